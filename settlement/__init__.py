"""Settlement: contracts, tariffs, PPAs, allocation and price series turn interval energy into money.

Public names: `allocate_largest_remainder` (exact integer split); the service entry points `settle_cycle`,
`record_settlement` and `record_delta` (corrections as differences only; `preview_delta` computes one without
recording it) with their result types.
"""

from campus import CampusNotFound  # the campus package's error, still importable from settlement
from settlement.allocation import allocate_largest_remainder
from settlement.errors import AllocationWeightsInvalid, ContractMissing, MeterUnknown, PriceMissing
from settlement.repository import SettlementAlreadyRecorded
from settlement.service import (
    CycleNotSettled,
    DeltaSettlement,
    preview_delta,
    record_delta,
    record_settlement,
    record_settlement_or_delta,
    settle_cycle,
)
from settlement.types import EnergyBalance, SettlementLine, SettlementResult

__all__ = [
    "AllocationWeightsInvalid",
    "CampusNotFound",
    "ContractMissing",
    "CycleNotSettled",
    "DeltaSettlement",
    "EnergyBalance",
    "MeterUnknown",
    "PriceMissing",
    "SettlementAlreadyRecorded",
    "SettlementLine",
    "SettlementResult",
    "allocate_largest_remainder",
    "preview_delta",
    "record_delta",
    "record_settlement",
    "record_settlement_or_delta",
    "settle_cycle",
]
