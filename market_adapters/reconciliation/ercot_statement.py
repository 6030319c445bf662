"""ERCOT Real-Time Market settlement statement (`ercot.statement_csv`) -> a statement file for the versioned import.

Charge types settled here: RTEIAMT, the real-time energy imbalance at the campus's settlement point (a Load Zone
for a load, Nodal Protocols 6.6.3.2; PRICE the settlement point price, QTY the MWh taken from the market).
Lines keep ERCOT's code as their charge type, so differences are totalled and posted per ERCOT charge type. Rows
of any other charge type are counted in `source.ignored_charge_types`, never dropped silently: our meter data
cannot recompute them.

Signs: ERCOT's statements charge positive and pay negative (Protocols 9.1.5), QTY positive for energy taken;
format v1 counts MWh delivered to the market and USD paid to us, so both turn over. PRICE stays as printed.

Checked per row, for every charge type: AMT is PRICE x QTY to the cent (|AMT - PRICE x QTY| <= 0.005, which
either half-cent rounding rule meets). BILLQTY/BILLAMT are checked against the previous run in
`statement_file.statement_document`. A failed check is a finding: the statement is still stored as issued.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from market_adapters.ercot.statement_csv import RtmStatement, StatementRow
from market_adapters.reconciliation.statement_file import FileLine, Finding, StatedDeltas, StatementFile

REPORT = "ERCOT-RTM-STATEMENT"
SETTLED_CHARGE_TYPES = ("RTEIAMT",)
INTERVAL_MINUTES = 15
HALF_CENT = Decimal("0.005")
ERCOT_TO_V1_SIGN = -1  # charge positive (ERCOT) -> paid to us positive (v1); MWh taken -> MWh delivered


def ercot_statement_file(statement: RtmStatement) -> StatementFile:
    lines = tuple(_line(row) for row in statement.rows if row.charge_type in SETTLED_CHARGE_TYPES)
    ignored = Counter(row.charge_type for row in statement.rows if row.charge_type not in SETTLED_CHARGE_TYPES)
    findings = tuple(finding for row in statement.rows if (finding := _amount_finding(row)) is not None)
    statement_id = (f"ERCOT-RTM-{statement.operating_day:%Y%m%d}-{statement.run_type}-"
                    f"{statement.published_at_utc:%Y%m%dT%H%M%SZ}")
    return StatementFile("ERCOT", statement.source, REPORT, statement_id, statement.operating_day,
                         statement.published_at_utc, statement.run_type, lines, findings,
                         {"qse": statement.qse, "ignored_charge_types": dict(sorted(ignored.items()))})


def _line(row: StatementRow) -> FileLine:
    stated = StatedDeltas("BILLQTY", "BILLAMT", row.bill_quantity_mwh, row.bill_amount_usd, ERCOT_TO_V1_SIGN)
    return FileLine(row.line, row.charge_type, row.settlement_point, row.settlement_point, row.interval_start_utc,
                    INTERVAL_MINUTES, _turned(row.quantity_mwh), row.price_usd_per_mwh, _turned(row.amount_usd),
                    stated)


def _turned(value: Decimal) -> Decimal:
    # Adding to 0 turns -0 into 0, so a zero reads "0", not "-0", in the stored document.
    return 0 + ERCOT_TO_V1_SIGN * value


def _amount_finding(row: StatementRow) -> Finding | None:
    product = row.price_usd_per_mwh * row.quantity_mwh
    if abs(row.amount_usd - product) <= HALF_CENT:
        return None
    return Finding(row.line, "AMT", f"{row.amount_usd} is not PRICE x QTY = {row.price_usd_per_mwh} x "
                   f"{row.quantity_mwh} = {product} to the cent")
