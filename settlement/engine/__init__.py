"""The campus engine: a period's interval file and the contract versions in force in, settlement lines out.

`files` reads the interval Parquet once and settles each contract segment (`segments`) on its aggregated
series (`loader`, `kernels`, `inputs`); `settle` prices a segment: tenant consumption, shared pools
(`pools`, `allocation_methods`), PPAs (`ppa_charges`, with `prices`) and tariffs (`tariff_charges`), each charge
a line (`lines`); `results` joins the segments; `annual` (take-or-pay) and `true_up` (net metering) add the
reconciliations of a contract year closing in the period; `delta` is what a corrected result changes. Pure apart from
reading files: no SQL.
"""

from settlement.engine.allocation_methods import (
    allocate_by_weights,
    apply_loss_factor,
    weights_for,
)
from settlement.engine.balance import energy_balance, shared_allocation_wh
from settlement.engine.delta import AdjustmentLine, LineKey, PositionLine, delta_lines, keyed, tenant_deltas
from settlement.engine.files import (
    CampusSetup,
    load_prices,
    settle_campus_files,
    settle_campus_rows,
)
from settlement.engine.inputs import CampusInputs, Series
from settlement.engine.kernels import STATUS_OFF_GRID, STATUS_OK, STATUS_OUTSIDE_PERIOD, aggregate_rows
from settlement.engine.loader import aggregate_series, split_deemed
from settlement.engine.meters import MeterRef
from settlement.engine.prices import PriceSeries, price_series, prices_for_intervals, read_price_file
from settlement.engine.segments import ContractSegment, contract_segments, local_days
from settlement.engine.settle import settle_campus
from settlement.engine.true_up import CLAUSE_TRUE_UP, NetMeteringYear, closing_true_up_day, true_up_months
from settlement.types import tenant_totals

__all__ = [
    "CLAUSE_TRUE_UP",
    "STATUS_OFF_GRID",
    "STATUS_OK",
    "STATUS_OUTSIDE_PERIOD",
    "AdjustmentLine",
    "CampusInputs",
    "CampusSetup",
    "ContractSegment",
    "LineKey",
    "MeterRef",
    "NetMeteringYear",
    "PositionLine",
    "PriceSeries",
    "Series",
    "aggregate_rows",
    "aggregate_series",
    "allocate_by_weights",
    "apply_loss_factor",
    "closing_true_up_day",
    "contract_segments",
    "delta_lines",
    "energy_balance",
    "keyed",
    "load_prices",
    "local_days",
    "price_series",
    "prices_for_intervals",
    "read_price_file",
    "settle_campus",
    "settle_campus_files",
    "settle_campus_rows",
    "shared_allocation_wh",
    "split_deemed",
    "tenant_deltas",
    "tenant_totals",
    "true_up_months",
    "weights_for",
]
