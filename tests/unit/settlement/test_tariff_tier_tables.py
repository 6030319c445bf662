"""Malformed tier tables and period tables are refused with the record, the structure, the period and the tier row
named (real LADWP A-3 and ConEd SC-9 records, altered one field at a time); well-formed ones still bill."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from common.errors import BadInput
from settlement.tariffs import parse_urdb_rate, unwrap_urdb_text

DATA = Path(__file__).parent / "data"
LADWP = "67c1f1c74737dd843e060fe8"
CONED = "67b78db9c1ba7352cd0c0853"


def _record(name: str) -> dict[str, Any]:
    return unwrap_urdb_text(name, (DATA / name).read_text())


def _ladwp() -> dict[str, Any]:
    return _record("urdb_ladwp_a3.json")


def _coned() -> dict[str, Any]:
    return _record("urdb_coned_sc9_zone_j.json")


def _tiers(structure: str, period: int, tiers: list[dict[str, Any]]) -> Callable[[dict[str, Any]], None]:
    def change(rate: dict[str, Any]) -> None:
        rate[structure][period] = [{key: Decimal(str(value)) if key in ("max", "rate", "adj") else value
                                    for key, value in tier.items()} for tier in tiers]
    return change


def _set(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(rate: dict[str, Any]) -> None:
        rate[field] = value
    return change


def _shift_schedule(rate: dict[str, Any]) -> None:
    """A 1-based schedule (SAM's numbering) written into a URDB record."""
    for field in ("demandweekdayschedule", "demandweekendschedule"):
        rate[field] = [[period + 1 for period in row] for row in rate[field]]


def _drop_period_from_schedule(rate: dict[str, Any]) -> None:
    """Period 3 (on-peak) replaced by period 2 everywhere: period 3's rates apply to no hour."""
    for field in ("demandweekdayschedule", "demandweekendschedule"):
        rate[field] = [[2 if period == 3 else period for period in row] for row in rate[field]]


CASES = [
    # (record, change, field, words the reason must contain)
    ("ladwp", _tiers("energyratestructure", 1, [{"max": 500, "rate": "0.05"}, {"max": 300, "rate": "0.06"},
                                               {"rate": "0.07"}]),
     "energyratestructure[1][1].max", ["energyratestructure period 1, tier row 1", "max 300",
                                       "not above the previous tier's max 500"]),
    ("ladwp", _tiers("energyratestructure", 0, [{"max": 500, "rate": "0.05"}, {"max": 500, "rate": "0.06"}]),
     "energyratestructure[0][1].max", ["energyratestructure period 0, tier row 1", "max 500"]),
    ("ladwp", _tiers("energyratestructure", 2, [{"rate": "0.05"}, {"max": 900, "rate": "0.06"}]),
     "energyratestructure[2][0].max", ["energyratestructure period 2, tier row 0", "no max but is not the last"]),
    ("ladwp", _tiers("energyratestructure", 0, [{"max": "1e38", "rate": "0.05"}, {"rate": "0.06"}]),
     "energyratestructure[0][0].max", ["tier row 0", "no upper bound but is not the last tier"]),
    ("ladwp", _tiers("energyratestructure", 0, [{"max": -10, "rate": "0.05"}, {"rate": "0.06"}]),
     "energyratestructure[0][0].max", ["tier row 0", "negative"]),
    ("ladwp", _tiers("energyratestructure", 0, [{"max": 100, "rate": "0.05", "unit": "kWh"},
                                                {"rate": "0.06", "unit": "kWh daily"}]),
     "energyratestructure[0][1].unit", ["energyratestructure period 0, tier row 1", "one unit per period"]),
    ("ladwp", _tiers("demandratestructure", 2, [{"max": 100, "rate": "4.3"}, {"max": 50, "rate": "3"},
                                                {"rate": "2"}]),
     "demandratestructure[2][1].max", ["demandratestructure period 2, tier row 1", "max 50"]),
    ("ladwp", _tiers("flatdemandstructure", 0, [{"max": 100, "rate": "4.56"}, {"max": 100, "rate": "4"}]),
     "flatdemandstructure[0][1].max", ["flatdemandstructure period 0, tier row 1"]),
    ("ladwp", _tiers("demandratestructure", 1, [{"rate": "3.3", "adj": "-5"}]),
     "demandratestructure[1][0].rate", ["demandratestructure[1][0]", "-1.7", "negative"]),
    ("ladwp", _tiers("flatdemandstructure", 0, [{"rate": "4.56", "unit": "kVA"}]),
     "flatdemandstructure[0][0].unit", ["kVA"]),
    ("ladwp", _shift_schedule, "demandweekdayschedule[5][13]", ["period 4 does not exist", "4 periods"]),
    ("ladwp", _drop_period_from_schedule, "demandratestructure[3]",
     ["demandratestructure period 3 is used by no hour"]),
    ("coned", _set("flatdemandmonths", [0] * 12), "flatdemandstructure[1]",
     ["flatdemandstructure period 1 is used by no hour"]),
    ("coned", _set("flatdemandmonths", [0] * 11 + [2]), "flatdemandmonths[11]", ["period 2 does not exist"]),
]


@pytest.mark.parametrize(("which", "change", "field", "words"), CASES)
def test_malformed_tables_are_refused_naming_record_structure_period_and_row(
        which: str, change: Callable[[dict[str, Any]], None], field: str, words: list[str]) -> None:
    rate = copy.deepcopy(_ladwp() if which == "ladwp" else _coned())
    change(rate)
    with pytest.raises(BadInput) as caught:
        parse_urdb_rate(f"{which}.json", rate)
    assert caught.value.field == field, caught.value
    assert (LADWP if which == "ladwp" else CONED) in caught.value.reason
    for word in words:
        assert word in caught.value.reason, caught.value.reason


@pytest.mark.parametrize("tiers", [
    [{"max": 0, "rate": "0.05"}, {"rate": "0.06"}],                      # an empty first tier
    [{"max": 100, "rate": "0.05"}, {"max": 200, "rate": "0.06"}],        # a bounded last tier (billed as open)
    [{"max": 100, "rate": "0.05"}, {"max": "9.9999996802856925e37", "rate": "0.06"}],  # URDB's "no bound"
    [{"max": 100, "rate": "-0.01", "adj": "0.03"}, {"rate": "0.06"}],    # negative rate, positive with adj
    [{"rate": "-0.02"}],                                                 # an energy credit rate is billable
])
def test_well_formed_tables_are_accepted(tiers: list[dict[str, Any]]) -> None:
    rate = _ladwp()
    _tiers("energyratestructure", 0, tiers)(rate)
    tariff = parse_urdb_rate("ladwp.json", rate)
    assert len(tariff.energy_periods[0]) == len(tiers)
    assert tariff.energy_periods[0][-1].max_quantity is None or tiers[-1].get("max") == 200
