"""URDB field spellings and field classes, on real records (tests/unit/settlement/data/SOURCES.md): every spelling
NREL's readers and the API use is read, two spellings that disagree are refused, and a field the engine does not
bill is refused by name instead of being dropped."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from common.errors import BadInput
from settlement.tariffs import (
    METERING_NET_METERING,
    bill_tariff_json,
    load_urdb_text,
    parse_urdb_rate,
    unwrap_urdb_text,
)
from tests.unit.settlement.tariff_fixtures import load_csv, rate_json, two_period_rate, utc

DATA = Path(__file__).parent / "data"
NEW_YORK = ZoneInfo("America/New_York")
CONED_LABEL = "67b78db9c1ba7352cd0c0853"
REAL_RECORDS = ("urdb_xcel_re_tou_response.json", "urdb_coned_sc9_zone_j.json", "urdb_ladwp_a3.json",
                "urdb_fpl_gsld1.json")


def _record(name: str) -> dict[str, Any]:
    return unwrap_urdb_text(name, (DATA / name).read_text())


def _coned(**extra: Any) -> dict[str, Any]:
    return {**_record("urdb_coned_sc9_zone_j.json"), **extra}


@pytest.mark.parametrize("name", REAL_RECORDS)
def test_real_records_load_and_list_their_descriptive_fields(name: str) -> None:
    """Every key of these real records is either billed or descriptive; the descriptive ones are listed."""
    rate = _record(name)
    tariff = parse_urdb_rate(name, rate)
    assert tariff.label == rate["label"]
    assert "utility" in tariff.descriptive_fields and "energyratestructure" not in tariff.descriptive_fields
    assert tariff.energy_periods


def _flat_charges(rate: dict[str, Any]) -> list[Decimal]:
    """July 15 (Wed) 12:00 EDT: 100 kWh in an hour (100 kW); August 12 12:00 EDT: 50 kW. Flat demand per month."""
    load = load_csv([(utc(2026, 7, 15, 16), "100"), (utc(2026, 8, 12, 16), "50")])
    result = bill_tariff_json("coned.json", json.dumps(rate, default=str), "load.csv", load, NEW_YORK)
    return [Decimal(month["demand_flat_charge_usd"]) for month in result["months"]]


@pytest.mark.parametrize("spelling", [
    {"lookbackpercent": "0.8", "lookbackrange": 11},      # as PySAM reads them (lowercase)
    {"lookbackPercent": "0.8", "lookbackRange": 11},      # as the v8 documentation and REopt spell them
    {"lookbackpercent": "0.8", "lookbackRange": 11},      # mixed within one record
    {"lookbackPercent": "0.8", "lookbackpercent": "0.80", "lookbackRange": 11},  # both spellings, equal values
])
def test_ratchet_is_billed_whatever_the_spelling(spelling: dict[str, Any]) -> None:
    """ConEd SC-9 summer flat demand is 26.2 $/kW. July: 100 kW x 26.2 = 2,620. August: peak 50 kW, ratchet
    0.8 x 100 = 80 kW -> 80 x 26.2 = 2,096 (without the ratchet 50 x 26.2 = 1,310)."""
    assert _flat_charges(_coned()) == [Decimal(2620), Decimal(1310)]
    assert _flat_charges(_coned(**spelling)) == [Decimal(2620), Decimal(2096)]


def test_ratchet_months_in_lowercase_are_read() -> None:
    """`lookbackmonths` (lowercase, PySAM's spelling): only July's peak counts for August: 0.8 x 100 = 80 kW."""
    months = [False] * 12
    months[6] = True
    assert _flat_charges(_coned(lookbackpercent="0.8", lookbackmonths=months))[1] == Decimal(2096)


@pytest.mark.parametrize(("extra", "field"), [
    ({"lookbackPercent": "0.8", "lookbackpercent": "0.5", "lookbackrange": 11}, "lookbackpercent"),
    ({"dgrules": "Net Metering", "dgRules": "Buy All Sell All"}, "dgRules"),
    ({"coincidentratestructure": [[{"rate": 1}]], "coincidentschedule": [[0] * 24] * 12,
      "coincidentrateschedule": [[0] * 23 + [1] for _ in range(12)]}, "coincidentrateschedule"),
])
def test_two_spellings_with_different_values_are_refused(extra: dict[str, Any], field: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_urdb_rate("coned.json", _coned(**extra))
    assert caught.value.field == field
    assert "67b78db9c1ba7352cd0c0853" in caught.value.reason and "two spellings" in caught.value.reason


def test_coincident_schedule_and_dg_rules_spellings_are_equivalent() -> None:
    """SAM reads `coincidentschedule`, earlier files wrote `coincidentrateschedule`; the bulk export writes
    `dgRules`. Either spelling gives the same tariff."""
    schedule = [[0] * 24 for _ in range(12)]
    structure = [[{"rate": 2}]]
    one = parse_urdb_rate("a", _coned(coincidentratestructure=structure, coincidentschedule=schedule))
    two = parse_urdb_rate("b", _coned(coincidentratestructure=structure, coincidentrateschedule=schedule))
    assert one == two and one.coincident_periods[0][0].rate_usd == 2
    rate = _coned()
    rate["dgRules"] = rate.pop("dgrules")
    assert parse_urdb_rate("c", rate).metering == METERING_NET_METERING


def test_a_charge_the_engine_does_not_bill_is_refused_by_name() -> None:
    """SCE TOU-8 Option D carries a 0.66 $/kVAR reactive power charge: refused, naming the field and the record.
    The same record with the charge at 0 bills."""
    rate = _record("urdb_sce_tou8_option_d.json")
    with pytest.raises(BadInput) as caught:
        parse_urdb_rate("sce.json", rate)
    assert caught.value.field == "demandreactivepowercharge"
    assert "674e0b87201c6bd096007a5a" in caught.value.reason
    assert parse_urdb_rate("sce.json", {**rate, "demandreactivepowercharge": 0}).label == rate["label"]


@pytest.mark.parametrize(("extra", "field"), [
    ({"fueladjustmentsmonthly": [0.01] * 12}, "fueladjustmentsmonthly"),
    ({"demandratchetpercentage": [0.5] * 12}, "demandratchetpercentage"),
    ({"fixedchargeeaaddl": 10}, "fixedchargeeaaddl"),
    ({"energyRateStrux": []}, "energyRateStrux"),
    ({"demandrate": 5}, "demandrate"),
    ({"lookbackpercent": "0.8"}, "lookbackpercent"),  # no range and no months: would bill no ratchet
    ({"lookbackPercent": 80, "lookbackRange": 3}, "lookbackPercent"),
])
def test_unbilled_unknown_or_incomplete_fields_are_refused(extra: dict[str, Any], field: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_urdb_rate("coned.json", _coned(**extra))
    assert caught.value.field == field
    assert "67b78db9c1ba7352cd0c0853" in caught.value.reason


def test_empty_unbilled_fields_are_accepted() -> None:
    """A zero or all-zero unbilled charge bills nothing, so the record is accepted."""
    tariff = parse_urdb_rate("coned.json", _coned(fueladjustmentsmonthly=[0] * 12, demandratchetpercentage=[0] * 12,
                                                  fixedchargeeaaddl=0))
    assert tariff.label == "67b78db9c1ba7352cd0c0853"


def test_an_unknown_tier_key_is_refused() -> None:
    rate = two_period_rate()
    rate["demandratestructure"][1][0]["sell"] = 1
    with pytest.raises(BadInput) as caught:
        load_urdb_text("rate.json", rate_json(rate))
    assert caught.value.field == "demandratestructure[1][0].sell"


def test_errors_name_the_field_as_the_record_spells_it() -> None:
    """An unknown metering rule under the bulk-export spelling `dgRules` is reported as `dgRules`, with the record."""
    rate = _coned()
    rate.pop("dgrules")
    rate["dgRules"] = "Net Metering Monthly"
    with pytest.raises(BadInput) as caught:
        parse_urdb_rate("coned.json", rate)
    assert caught.value.field == "dgRules" and CONED_LABEL in caught.value.reason


@pytest.mark.parametrize("field", ["mincharge", "minCharge", "annualmincharge"])
def test_a_negative_minimum_charge_is_refused(field: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_urdb_rate("coned.json", _coned(**{field: Decimal(-5), "minchargeunits": "$/month"}))
    assert caught.value.field == field and "negative" in caught.value.reason
