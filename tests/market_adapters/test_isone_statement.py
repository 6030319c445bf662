"""ISO-NE SR_RTLOCSUM (C/H/D/T) -> statement lines: hour-ending labels to UTC (fall-back 02X, spring-forward
without 03), quantity, LMP and amount per row, and refusals naming file, line and field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from common.errors import BadInput
from market_adapters.reconciliation import (
    parse_rtlocsum,
    parse_statement,
    rtlocsum_statement_file,
    statement_document,
)

FOLDER = Path(__file__).parent / "statements"
INITIAL = "SR_RTLOCSUM_000050017_2025071500_20250722140533.CSV"
HEADER = ('"H","Trading Interval","Location ID","Location Name","Adjusted Net Interchange Deviation",'
          '"Real Time Energy Component","Real Time Congestion Component","Real Time Marginal Loss Component",'
          '"Real Time Energy Charge/Credit","Real Time Congestion Charge/Credit","Real Time Loss Charge/Credit"')


def _report(day: str, rows: list[str]) -> str:
    lines = ['"C","SR_RTLOCSUM"', f'"C","Date: {day} and Version: 12/01/2025 10:00:00 GMT"', HEADER]
    return "\n".join(lines + [f'"D",{row}' for row in rows]) + '\n"T","end"\n'


def test_the_location_section_of_the_real_shape():
    """Row HE01: -12.5 MWh at 30.00 + 0.40 + 0.60 = 31.00 $/MWh; -375.00 - 5.00 - 7.50 = -387.50 $. EDT: HE01
    starts 04:00 UTC."""
    summary = parse_rtlocsum(INITIAL, (FOLDER / INITIAL).read_text())
    assert (summary.operating_day, summary.version_utc) == (date(2025, 7, 15), datetime(2025, 7, 22, 14, 5, 33,
                                                                                         tzinfo=UTC))
    first = summary.hours[0]
    assert (first.line_no, first.location_id, first.location_name, first.interval_start_utc) == (
        7, "4004", ".Z.CONNECTICUT", datetime(2025, 7, 15, 4, tzinfo=UTC))
    assert (first.quantity_mwh, first.price_usd_per_mwh, first.amount_usd) == (
        Decimal("-12.5"), Decimal("31.00"), Decimal("-387.50"))
    assert [hour.interval_start_utc.hour for hour in summary.hours] == [4, 5, 6]
    assert summary.ignored_columns == ("Location Type", "Real Time Adjusted Net Interchange",
                                       "Real Time Load Obligation", "Real Time Demand Reduction Credit")


def test_fall_back_and_spring_forward_labels():
    """2025-11-02: 02 is 01:00 EDT (05:00 UTC), 02X is 01:00 EST (06:00 UTC), 03 is 02:00 EST (07:00 UTC).
    2025-03-09: 01 is 05:00 UTC, 02 is 01:00 EST (06:00 UTC) and 04 follows it at 07:00 UTC (03:00 EDT); 03
    does not exist (the hour would start at 02:00, which the clock skips) - the same labels as the LMP reports."""
    row = '"{}","4000",".H.INTERNAL_HUB","1","20","0","0","20.00","0.00","0.00"'
    fall = parse_rtlocsum("f.csv", _report("11/02/2025", [row.format(label) for label in ("02", "02X", "03")]))
    assert [hour.interval_start_utc.hour for hour in fall.hours] == [5, 6, 7]
    spring = parse_rtlocsum("s.csv", _report("03/09/2025", [row.format(label) for label in ("01", "02", "04")]))
    assert [hour.interval_start_utc.hour for hour in spring.hours] == [5, 6, 7]
    with pytest.raises(BadInput) as caught:
        parse_rtlocsum("s.csv", _report("03/09/2025", [row.format("03")]))
    assert (caught.value.line, caught.value.field) == (4, "Trading Interval")


def test_bad_cells_name_line_and_field():
    with pytest.raises(BadInput) as caught:
        parse_rtlocsum("x.csv", _report("07/15/2025", ['"01","4000","HUB","1","2O","0","0","20.00","0","0"']))
    assert (caught.value.source, caught.value.line, caught.value.field) == ("x.csv", 4, "Real Time Energy Component")
    with pytest.raises(BadInput) as caught:
        parse_rtlocsum("x.csv", HEADER + "\n")
    assert caught.value.field == "Date/Version"


def test_the_run_document_parses_as_statement_format_v1_with_deltas():
    """A resettlement of HE03 (-11.0 -> -11.5 MWh, -302.50 -> -316.25 $): deltas -0.5 MWh and -13.75 $."""
    summary = parse_rtlocsum(INITIAL, (FOLDER / INITIAL).read_text())
    third = summary.hours[2].interval_start_utc.isoformat()
    previous = {("RT_ENERGY_TIE", "4004", third): (Decimal("-11.0"), Decimal("-302.50"))}
    later = parse_rtlocsum("v2.csv", (FOLDER / "SR_RTLOCSUM_000050017_2025071500_20250905093012.CSV").read_text())
    document, findings = statement_document(rtlocsum_statement_file(later), "RESETTLEMENT", 2, previous, "0" * 64)
    run = parse_statement(document)
    assert findings == ()  # SR_RTLOCSUM states no deltas of its own
    line = run.lines[2]
    assert (line.quantity_delta_mwh, line.amount_delta_usd_micros) == (Decimal("-0.5"), -13_750_000)
    assert (run.iso, run.run_type, run.statement_id) == ("ISONE", "RESETTLEMENT",
                                                         "ISONE-SR_RTLOCSUM-20250715-20250905T093012Z")
