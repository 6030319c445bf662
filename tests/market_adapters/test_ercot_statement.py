"""ERCOT RTM settlement statement (flat CSV) -> statement lines: IntervalEnding 1..100 on the fall-back day and
1..92 on the spring-forward day to UTC, DSTFlag on the second pass, ERCOT's signs turned into format v1's, AMT
checked against PRICE x QTY and BILLQTY/BILLAMT against the previous run (flagged, not refused), and refusals
naming file, line and field. Every figure is worked by hand in the test's docstring."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from common.errors import BadInput
from market_adapters.ercot.statement_csv import HEADER, read_rtm_statement_csv
from market_adapters.reconciliation import Finding, ercot_statement_file, parse_statement, statement_document
from market_adapters.reconciliation.statement_file import latest_lines

FOLDER = Path(__file__).parent / "statements"
INITIAL = FOLDER / "ercot_rtm_statement_QTEST1_20250715_initial.csv"
FINAL = FOLDER / "ercot_rtm_statement_QTEST1_20250715_final.csv"


def _statement(day: str, run_type: str, rows: list[tuple[int, str, str, str, str]],
               charge_type: str = "RTEIAMT") -> str:
    """rows: (IntervalEnding, DSTFlag, PRICE, QTY, AMT); BILLQTY/BILLAMT = QTY/AMT (an initial run's)."""
    lines = [",".join(HEADER)]
    for ending, flag, price, quantity, amount in rows:
        lines.append(f"QTEST1,{day},{run_type},2025-12-01T10:00:00-06:00,{charge_type},LZ_NORTH,{ending},{flag},"
                     f"{price},{quantity},{amount},{quantity},{amount}")
    return "\n".join(lines) + "\n"


def test_fall_back_day_has_100_intervals_and_the_second_pass_is_flagged():
    """2025-11-02 starts at 00:00 CDT = 05:00 UTC. Intervals 5..8 are 01:00-02:00 CDT (06:00-06:45 UTC), 9..12 the
    second pass 01:00-02:00 CST (07:00-07:45 UTC, DSTFlag Y), 13 is 02:00 CST (08:00 UTC), and 100 is 23:45 CST
    = 05:00 + 99 x 15 min = 11-03 05:45 UTC."""
    rows = [(5, "N"), (8, "N"), (9, "Y"), (12, "Y"), (13, "N"), (100, "N")]
    statement = read_rtm_statement_csv("fall.csv", _statement("11/02/2025", "INITIAL", [
        (ending, flag, "20.00", "1", "20.00") for ending, flag in rows]))
    assert [(row.interval_start_utc.day, row.interval_start_utc.hour, row.interval_start_utc.minute)
            for row in statement.rows] == [(2, 6, 0), (2, 6, 45), (2, 7, 0), (2, 7, 45), (2, 8, 0), (3, 5, 45)]
    with pytest.raises(BadInput) as caught:  # the first pass is not flagged
        read_rtm_statement_csv("fall.csv", _statement("11/02/2025", "INITIAL", [(8, "Y", "20.00", "1", "20.00")]))
    assert (caught.value.source, caught.value.line, caught.value.field) == ("fall.csv", 2, "DSTFlag")
    with pytest.raises(BadInput) as caught:  # the second pass must be
        read_rtm_statement_csv("fall.csv", _statement("11/02/2025", "INITIAL", [(9, "N", "20.00", "1", "20.00")]))
    assert (caught.value.line, caught.value.field) == (2, "DSTFlag")
    with pytest.raises(BadInput) as caught:
        read_rtm_statement_csv("fall.csv", _statement("11/02/2025", "INITIAL", [(101, "N", "20.00", "1", "20.00")]))
    assert (caught.value.line, caught.value.field) == (2, "IntervalEnding")
    assert "1..100" in caught.value.reason


def test_spring_forward_day_has_92_intervals():
    """2025-03-09 starts at 00:00 CST = 06:00 UTC. Interval 8 is 01:45 CST (07:45 UTC); interval 9 is 03:00 CDT
    (08:00 UTC), the clock having skipped 02:00-03:00; interval 92 is 23:45 CDT = 06:00 + 91 x 15 min =
    03-10 04:45 UTC; there is no interval 93."""
    statement = read_rtm_statement_csv("spring.csv", _statement("03/09/2025", "INITIAL", [
        (ending, "N", "20.00", "1", "20.00") for ending in (8, 9, 92)]))
    assert [row.interval_start_utc for row in statement.rows] == [
        datetime(2025, 3, 9, 7, 45, tzinfo=UTC), datetime(2025, 3, 9, 8, tzinfo=UTC),
        datetime(2025, 3, 10, 4, 45, tzinfo=UTC)]
    with pytest.raises(BadInput) as caught:
        read_rtm_statement_csv("spring.csv", _statement("03/09/2025", "INITIAL", [(93, "N", "20.00", "1", "20.00")]))
    assert (caught.value.line, caught.value.field) == (2, "IntervalEnding")
    assert "1..92" in caught.value.reason
    with pytest.raises(BadInput) as caught:  # no repeated hour on this day
        read_rtm_statement_csv("spring.csv", _statement("03/09/2025", "INITIAL", [(9, "Y", "20.00", "1", "20.00")]))
    assert caught.value.field == "DSTFlag"


def test_rows_become_format_v1_lines_with_signs_turned():
    """Initial of 2025-07-15 (00:00 CDT = 05:00 UTC): interval 1 charges 30.00 x 2.5 = 75.00 $ for 2.5 MWh taken,
    which in format v1 is -2.5 MWh delivered and -75.00 $ paid to us. Row 5 states AMT 71.10 where 28.40 x 2.5 =
    71.00: flagged (line 5, AMT), still stored as issued. LARTRNAMT is counted, not settled."""
    statement_file = ercot_statement_file(read_rtm_statement_csv(INITIAL.name, INITIAL.read_text()))
    assert (statement_file.iso, statement_file.run_type, statement_file.statement_id) == (
        "ERCOT", "INITIAL", "ERCOT-RTM-20250715-INITIAL-20250717T223000Z")
    assert statement_file.findings == (Finding(5, "AMT", "71.10 is not PRICE x QTY = 28.40 x 2.5 = 71.000 to the cent"),)
    assert statement_file.source_facts == {"qse": "QTEST1", "ignored_charge_types": {"LARTRNAMT": 1}}
    document, findings = statement_document(statement_file, "INITIAL", 1, {}, "0" * 64)
    assert findings == statement_file.findings  # BILLQTY/BILLAMT of an initial run equal QTY/AMT: nothing more
    run = parse_statement(document)
    first = run.lines[0]
    assert (first.charge_type, first.resource_id, first.node, first.interval_start_utc, first.interval_minutes) == (
        "RTEIAMT", "LZ_HOUSTON", "LZ_HOUSTON", datetime(2025, 7, 15, 5, tzinfo=UTC), 15)
    assert (first.quantity_mwh, first.price_usd_per_mwh, first.amount_usd_micros) == (
        Decimal("-2.5"), Decimal("30.00"), -75_000_000)
    assert [line.amount_usd_micros for line in run.lines] == [-75_000_000, -75_000_000, -68_540_000, -71_100_000]
    assert (run.operating_day, run.published_at_utc) == (date(2025, 7, 15), datetime(2025, 7, 17, 22, 30, tzinfo=UTC))


def test_a_resettlement_states_its_deltas_and_a_wrong_one_is_flagged():
    """Final after the stored initial: interval 3 goes from 2.3 MWh / 68.54 $ to 2.6 MWh / 77.48 $, so BILLQTY
    0.3 and BILLAMT 8.94 (v1 deltas -0.3 MWh, -8.94 $) agree. Interval 2 did not change (75.00 both times) but
    states BILLAMT 0.05: flagged on line 3. Interval 4's AMT 71.10 is flagged again on line 5."""
    initial = ercot_statement_file(read_rtm_statement_csv(INITIAL.name, INITIAL.read_text()))
    stored = parse_statement(statement_document(initial, "INITIAL", 1, {}, "0" * 64)[0])
    final = ercot_statement_file(read_rtm_statement_csv(FINAL.name, FINAL.read_text()))
    document, findings = statement_document(final, "FINAL", 2, latest_lines([stored]), "1" * 64)
    assert findings == (
        Finding(5, "AMT", "71.10 is not PRICE x QTY = 28.40 x 2.5 = 71.000 to the cent"),
        Finding(3, "BILLAMT", "states a change of 0.05 from the previous run; this run's figure less the previous "
                "run's is 0.00"))
    run = parse_statement(document)
    third = run.lines[2]
    assert (third.quantity_delta_mwh, third.amount_delta_usd_micros) == (Decimal("-0.3"), -8_940_000)
    assert document["source"]["findings"][1] == {"line": 3, "field": "BILLAMT", "message": findings[1].message}  # type: ignore[index]


def test_stated_deltas_are_not_checked_without_the_previous_run():
    """A Final imported with no earlier run stored: BILLAMT 8.94 cannot be compared with anything, so it is not
    flagged, and the stored document says so; the v1 deltas are against nothing (the full amounts)."""
    final = ercot_statement_file(read_rtm_statement_csv(FINAL.name, FINAL.read_text()))
    document, findings = statement_document(final, "FINAL", 1, {}, "1" * 64)
    assert [finding.field for finding in findings] == ["AMT"]
    assert document["source"]["stated_deltas_checked"] is False  # type: ignore[index]
    assert parse_statement(document).lines[2].amount_delta_usd_micros == -77_480_000


def test_ercot_spellings_of_run_types_and_refusals_name_line_and_field():
    assert read_rtm_statement_csv("t.csv", _statement("07/15/2025", "True-Up", [
        (1, "N", "20.00", "1", "20.00")])).run_type == "TRUEUP"
    cases = [
        (_statement("07/15/2025", "DAM", [(1, "N", "20.00", "1", "20.00")]), 2, "RunType"),
        (_statement("07/15/2025", "INITIAL", [(1, "N", "20.00", "1", "20.005")]), 2, "AMT"),
        (_statement("07/15/2025", "INITIAL", [(1, "N", "2O.00", "1", "20.00")]), 2, "PRICE"),
        (_statement("07/15/2025", "INITIAL", [(1, "N", "20.00", "1", "20.00")], charge_type="rt eiamt"), 2,
         "ChargeType"),
        (_statement("07/15/2025", "INITIAL", [(1, "N", "20.00", "1", "20.00")] * 2), 3, "IntervalEnding"),
        (_statement("07/15/2025", "INITIAL", [(1, "N", "20.00", "1", "20.00")]).replace(",LZ_NORTH,", ",,"), 2,
         "SettlementPoint"),
        (_statement("13/15/2025", "INITIAL", [(1, "N", "20.00", "1", "20.00")]), 2, "OperatingDay"),
        (_statement("07/15/2025", "INITIAL", [(1, "N", "20.00", "1", "20.00")]).replace(
            "2025-12-01T10:00:00-06:00", "2025-12-01T10:00:00"), 2, "PublishTime"),
        (",".join(HEADER).replace("DSTFlag", "DST") + "\n", 1, "DSTFlag"),
        (",".join(HEADER) + ",Extra\n", 1, "Extra"),
    ]
    mixed = _statement("07/15/2025", "INITIAL", [(1, "N", "20.00", "1", "20.00"), (2, "N", "20.00", "1", "20.00")])
    cases.append((mixed.replace("INITIAL,2025-12-01T10:00:00-06:00,RTEIAMT,LZ_NORTH,2",
                                "FINAL,2025-12-01T10:00:00-06:00,RTEIAMT,LZ_NORTH,2"), 3, "RunType"))
    for text, line, field in cases:
        with pytest.raises(BadInput) as caught:
            read_rtm_statement_csv("bad.csv", text)
        assert (caught.value.source, caught.value.line, caught.value.field) == ("bad.csv", line, field), text
    with pytest.raises(BadInput) as caught:
        read_rtm_statement_csv("empty.csv", ",".join(HEADER) + "\n")
    assert caught.value.reason == "no statement rows under the header"


def test_a_resettlement_of_the_fall_back_day_keeps_the_two_passes_apart():
    """2025-11-02, Initial then Resettlement at LZ_NORTH. Interval 5 (01:00 CDT, 06:00 UTC): 20.00 x 1.0 = 20.00
    both times, BILLQTY 0, BILLAMT 0.00. Interval 9 (01:00 CST, 07:00 UTC, the same wall clock): 18.50 x 1.2 =
    22.20, resettled to 18.50 x 1.4 = 25.90, BILLQTY 0.2, BILLAMT 3.70; in format v1 -0.2 MWh and -3.70 $. The
    stated changes agree with the computed ones: no finding."""
    initial_text = _statement("11/02/2025", "INITIAL", [(5, "N", "20.00", "1.0", "20.00"),
                                                        (9, "Y", "18.50", "1.2", "22.20")])
    initial = ercot_statement_file(read_rtm_statement_csv("initial.csv", initial_text))
    stored = parse_statement(statement_document(initial, "INITIAL", 1, {}, "0" * 64)[0])
    resettlement_text = "\n".join([
        ",".join(HEADER),
        "QTEST1,11/02/2025,Resettlement,2026-01-15T10:00:00-06:00,RTEIAMT,LZ_NORTH,5,N,20.00,1.0,20.00,0.0,0.00",
        "QTEST1,11/02/2025,Resettlement,2026-01-15T10:00:00-06:00,RTEIAMT,LZ_NORTH,9,Y,18.50,1.4,25.90,0.2,3.70",
    ]) + "\n"
    resettlement = ercot_statement_file(read_rtm_statement_csv("resettlement.csv", resettlement_text))
    assert (resettlement.run_type, resettlement.statement_id) == (
        "RESETTLEMENT", "ERCOT-RTM-20251102-RESETTLEMENT-20260115T160000Z")
    document, findings = statement_document(resettlement, "RESETTLEMENT", 2, latest_lines([stored]), "1" * 64)
    assert findings == ()
    run = parse_statement(document)
    assert [(line.interval_start_utc.hour, line.quantity_delta_mwh, line.amount_delta_usd_micros)
            for line in run.lines] == [(6, Decimal("0.0"), 0), (7, Decimal("-0.2"), -3_700_000)]
    wrong = resettlement_text.replace(",0.2,3.70", ",0.2,3.07")
    _, flagged = statement_document(ercot_statement_file(read_rtm_statement_csv("r.csv", wrong)), "RESETTLEMENT", 2,
                                    latest_lines([stored]), "2" * 64)
    assert [(finding.line, finding.field) for finding in flagged] == [(3, "BILLAMT")]
