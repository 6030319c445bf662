"""The campus file: parsed exactly, every problem named by line and field, history rewrites refused (pure)."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from campus.errors import CampusFileInvalid
from campus.file import parse_campus_text, read_campus_file
from campus.plan import plan_changes

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "demo" / "campus.toml"


def _demo_text() -> str:
    return DEMO.read_text()


def test_the_demo_campus_file_is_valid_and_keeps_prices_exact() -> None:
    """The shipped demo file parses; a price written with trailing zeros keeps them (no float on the way)."""
    document = read_campus_file(DEMO)
    assert document.campus_id == "demo-campus"
    assert len(document.document["meters"]) == 14  # 12 and the battery's charge and discharge meters
    prices = {c["tenant"]: c["versions"][0]["terms"]["price_usd_per_mwh"] for c in document.document["contracts"]}
    assert prices == {"acme-ai": "62.50", "borealis-labs": "58.75", "cirrus-cloud": "65.00"}


def test_the_same_facts_give_the_same_sha256_whatever_the_layout() -> None:
    """Reordered keys and a number written as a string normalize to the same document and hash."""
    text = _demo_text()
    shuffled = text.replace('name = "Hudson Valley AI Campus"\n', "").replace(
        'id = "demo-campus"\n', 'id = "demo-campus"\nname = "Hudson Valley AI Campus"\n')
    as_string = shuffled.replace("rated_kw = 32000", "rated_kw = 32000")
    assert parse_campus_text("a.toml", text.encode(), None).sha256_hex == \
        parse_campus_text("b.toml", as_string.encode(), None).sha256_hex


def test_an_exported_document_parses_back_to_the_same_hash() -> None:
    """export writes the stored document as TOML; reading that file gives the same document, so re-applying it is
    a no-op."""
    document = read_campus_file(DEMO)
    exported = tomli_w.dumps(document.document)
    again = parse_campus_text("exported.toml", exported.encode(), None)
    assert again.document == document.document
    assert again.sha256_hex == document.sha256_hex


def test_every_problem_is_reported_with_its_line_and_field() -> None:
    """Two bad values in two meters: both reported, each with the line it is on and its field path."""
    text = _demo_text().replace('role = "fuel"', 'role = "fule"').replace("rated_kw = 8000", "rated_kw = -8", 1)
    with pytest.raises(CampusFileInvalid) as caught:
        parse_campus_text("campus.toml", text.encode(), None)
    problems = caught.value.problems
    lines = text.splitlines()
    assert [p.field for p in problems] == ["meters[1].role", "meters[2].rated_kw"]
    assert lines[problems[0].line - 1].strip() == 'role = "fule"'
    assert lines[problems[1].line - 1].strip() == "rated_kw = -8"
    assert caught.value.source == "campus.toml" and caught.value.line == problems[0].line


def test_a_toml_syntax_error_is_named_by_its_line() -> None:
    """An unterminated string: the problem carries the line (tomllib says it only in its message)."""
    text = _demo_text().replace('unit = "kWh"', 'unit = "kWh', 1)
    with pytest.raises(CampusFileInvalid) as caught:
        parse_campus_text("campus.toml", text.encode(), None)
    [problem] = caught.value.problems
    assert problem.line is not None and text.splitlines()[problem.line - 1] == 'unit = "kWh'
    assert problem.field is None and problem.reason.startswith("not TOML: Illegal character")
    assert caught.value.line == problem.line


def test_cross_references_are_checked() -> None:
    """A meter naming an unknown tenant, an unknown zone and a misspelt key are refused; nothing is guessed."""
    text = _demo_text().replace('tenant = "cirrus-cloud"\nunit', 'tenant = "cirrus"\nunit', 1)
    text = text.replace('time_zone = "America/New_York"', 'time_zone = "America/Gotham"')
    with pytest.raises(CampusFileInvalid) as caught:
        parse_campus_text("campus.toml", text.encode(), None)
    reasons = {p.field: p.reason for p in caught.value.problems}
    assert reasons["campus.time_zone"].startswith("'America/Gotham' is not an IANA time zone (e.g. 'America/New_York'")
    assert "unknown tenant 'cirrus'" in reasons["meters[10].tenant"]
    misspelt = _demo_text().replace("rated_kw = 32000", "rated_kwh = 32000")
    with pytest.raises(CampusFileInvalid) as caught:
        parse_campus_text("campus.toml", misspelt.encode(), None)
    assert caught.value.problems[0].field == "meters[0].rated_kwh"
    assert caught.value.problems[0].reason == "unknown field 'rated_kwh': did you mean 'rated_kw'?"


def test_a_misspelt_key_is_answered_with_the_field_it_was_meant_to_be() -> None:
    """The nearest known field of the key's own section is named; a key like no field is just unknown."""
    text = _demo_text().replace('role = "fuel"', 'rol = "fuel"').replace("[market]", "[market]\nnotice_minute = 15")
    text = text.replace('id = "demo-campus"\n', 'id = "demo-campus"\ncolour = "red"\n')
    with pytest.raises(CampusFileInvalid) as caught:
        parse_campus_text("campus.toml", text.encode(), None)
    reasons = {p.field: p.reason for p in caught.value.problems}
    assert reasons["meters[1].rol"] == "unknown field 'rol': did you mean 'role'?"
    assert reasons["meters[1].role"] == "Field required"
    assert reasons["market.notice_minute"] == "unknown field 'notice_minute': did you mean 'notice_minutes'?"
    assert reasons["campus.colour"] == "unknown field 'colour'"


@pytest.mark.parametrize(("written", "meant"), [("EST", "'America/New_York'"), ("PST", "'America/Los_Angeles'")])
def test_a_zone_abbreviation_is_refused_naming_the_zone_it_stands_for(written: str, meant: str) -> None:
    """EST is an IANA name, but of a fixed UTC-05:00: a New York campus written so would bill summer an hour off.
    PST is no zone at all. Both are answered with the zone meant."""
    text = _demo_text().replace('time_zone = "America/New_York"', f'time_zone = "{written}"')
    with pytest.raises(CampusFileInvalid) as caught:
        parse_campus_text("campus.toml", text.encode(), None)
    [problem] = caught.value.problems
    assert problem.field == "campus.time_zone" and problem.line is not None
    assert text.splitlines()[problem.line - 1] == f'time_zone = "{written}"'
    assert problem.reason.startswith(f"'{written}' is an abbreviation, not the campus's zone: write its IANA name, "
                                     f"e.g. {meant} (daylight saving time included)")


def test_a_tenant_without_a_price_and_a_bad_contract_are_refused_before_storage() -> None:
    """Contract terms are parsed as the engine parses them: a negative PPA price is refused at apply time."""
    raw = tomllib.loads(_demo_text(), parse_float=Decimal)
    raw["contracts"] = raw["contracts"][:2]
    raw["contracts"].append({"key": "solar", "kind": "ppa", "tenant": "cirrus-cloud", "versions": [
        {"effective_from": "2026-01-01", "terms": {"meter_ids": ["PV1-GEN"], "form": "sideways"}}]})
    with pytest.raises(CampusFileInvalid) as caught:
        parse_campus_text("campus.toml", tomli_w.dumps(raw).encode(), None)
    fields = [p.field for p in caught.value.problems]
    assert "contracts[2].versions[0].terms.form" in fields
    assert "tenants[2].id" in fields  # cirrus-cloud has no fixed price any more


def test_a_tenant_without_a_meter_of_its_own_is_refused_naming_its_line() -> None:
    """A tenant whose meter was left out would settle at zero energy without a word: refused at its id's line."""
    text = _demo_text() + '\n[[tenants]]\nid = "ghost-labs"\nname = "Ghost Labs"\n\n[[contracts]]\n' \
        'key = "ghost-supply"\nkind = "fixed_price"\ntenant = "ghost-labs"\n' \
        'versions = [{ effective_from = 2026-01-01, terms = { price_usd_per_mwh = "70" } }]\n'
    with pytest.raises(CampusFileInvalid) as caught:
        parse_campus_text("campus.toml", text.encode(), None)
    [problem] = caught.value.problems
    assert problem.field == "tenants[3].id" and problem.line is not None
    assert text.splitlines()[problem.line - 1] == 'id = "ghost-labs"'
    assert problem.reason.startswith("tenant 'ghost-labs' has no tenant_consumption meter")


def test_a_urdb_file_that_cannot_be_read_is_one_problem_at_its_line(tmp_path: Path) -> None:
    """A misspelt tariff file name is named once, on the urdb_file line; no second problem about empty terms."""
    (tmp_path / "urdb_tariff.json").write_text((ROOT / "demo" / "ercot" / "urdb_tariff.json").read_text())
    campus_file = tmp_path / "campus.toml"
    campus_file.write_text((ROOT / "demo" / "ercot" / "campus.toml").read_text().replace(
        'urdb_file = "urdb_tariff.json"', 'urdb_file = "urdb_tarif.json"', 1))
    with pytest.raises(CampusFileInvalid) as caught:
        read_campus_file(campus_file)
    [problem] = caught.value.problems
    assert problem.field == "contracts[0].versions[0].urdb_file" and problem.line is not None
    assert problem.reason == "cannot read urdb_tarif.json: No such file or directory"
    assert campus_file.read_text().splitlines()[problem.line - 1] == 'urdb_file = "urdb_tarif.json"'


def test_instants_need_an_offset_and_are_stored_in_utc() -> None:
    text = _demo_text().replace('id = "COOL-SHARED"\n', 'id = "COOL-SHARED"\nactive_from = 2026-09-01T00:00:00\n')
    with pytest.raises(CampusFileInvalid) as caught:
        parse_campus_text("campus.toml", text.encode(), None)
    assert caught.value.problems[0].reason.endswith("has no UTC offset")
    text = _demo_text().replace('id = "COOL-SHARED"\n', 'id = "COOL-SHARED"\nactive_from = 2026-09-01T00:00:00-04:00\n')
    meter = next(m for m in parse_campus_text("c.toml", text.encode(), None).document["meters"]
                 if m["id"] == "COOL-SHARED")
    assert meter["active_from"] == "2026-09-01T04:00:00Z"


def test_plan_lists_changes_and_refuses_history_rewrites() -> None:
    """Adding a version and a move-out are changes; removing a meter or editing an applied version is refused."""
    old = read_campus_file(DEMO).document
    amended = tomllib.loads(_demo_text(), parse_float=Decimal)
    amended["contracts"][0]["versions"].append({"effective_from": "2026-11-15",
                                                "terms": {"price_usd_per_mwh": "64.00"}})
    amended["tenants"][2]["move_out"] = "2026-12-01"
    new = parse_campus_text("v2.toml", tomli_w.dumps(amended).encode(), None).document
    plan = plan_changes(old, new)
    assert plan.refusals == []
    assert [str(change) for change in plan.changes] == [
        "~ tenant cirrus-cloud: move_out (unset) -> 2026-12-01", "+ contract acme-ai-supply v2: from 2026-11-15"]
    rewritten = tomllib.loads(_demo_text(), parse_float=Decimal)
    rewritten["meters"] = [m for m in rewritten["meters"] if m["id"] != "COOL-SHARED"]
    rewritten["contracts"][1]["versions"][0]["terms"]["price_usd_per_mwh"] = "59.00"
    refused = plan_changes(old, parse_campus_text("v3.toml", tomli_w.dumps(rewritten).encode(), None).document)
    assert refused.refusals == [
        "meter COOL-SHARED cannot be removed: history is kept (set active_to instead)",
        "contract borealis-labs-supply: applied versions cannot change; amend with a new version"]


def test_recording_a_first_exchange_must_keep_the_meter_s_past() -> None:
    """A meter read at CT 80 so far gains devices: the first must be the one that read it (CT 80, no install
    instant); calling it CT 100 would re-price months already billed."""
    old = read_campus_file(DEMO).document
    exchanged = tomllib.loads(_demo_text(), parse_float=Decimal)
    meter = next(m for m in exchanged["meters"] if m["id"] == "ACME-A")
    meter["devices"] = [{"serial": "OLD-1", "multiplier": 100, "removed": "2026-11-10T15:00:00Z"},
                        {"serial": "NEW-1", "multiplier": 120, "installed": "2026-11-10T15:00:00Z"}]
    refused = plan_changes(old, parse_campus_text("x.toml", tomli_w.dumps(exchanged).encode(), None).document)
    reason = "meter ACME-A: its first device is the one that read it so far: no `installed`, multiplier 1"
    assert refused.refusals == [reason]
    meter["devices"][0]["multiplier"] = 1
    accepted = plan_changes(old, parse_campus_text("y.toml", tomli_w.dumps(exchanged).encode(), None).document)
    assert accepted.refusals == [] and [str(c) for c in accepted.changes] == ["~ meter ACME-A: devices changed"]


def _with_acme_devices(devices: list[dict[str, Any]]) -> tuple[dict[str, Any], int]:
    document = tomllib.loads(_demo_text(), parse_float=Decimal)
    index = next(n for n, m in enumerate(document["meters"]) if m["id"] == "ACME-A")
    document["meters"][index]["devices"] = devices
    return document, index


def _parsed(document: dict[str, Any]) -> dict[str, Any]:
    return parse_campus_text("x.toml", tomli_w.dumps(document).encode(), None).document


def test_exchange_reads_are_kept_exactly_and_a_removal_may_be_written_later() -> None:
    """Reads in the meter's unit, exact. The old device's `removed` and `removal_read` may be added once the swap
    happened; an install read already applied cannot change."""
    old_device = {"serial": "OLD-1", "multiplier": 1}
    new_device = {"serial": "NEW-1", "multiplier": 120, "installed": "2026-11-10T15:00:00Z", "install_read": "0.25"}
    before, _ = _with_acme_devices([old_device])
    swapped, index = _with_acme_devices([{**old_device, "removed": "2026-11-10T15:00:00Z",
                                          "removal_read": "48213.70"}, new_device])
    document = _parsed(swapped)
    devices = document["meters"][index]["devices"]
    assert (devices[0]["removal_read"], devices[1]["install_read"]) == ("48213.70", "0.25")
    assert plan_changes(_parsed(before), document).refusals == []
    retyped, _ = _with_acme_devices([{**old_device, "removed": "2026-11-10T15:00:00Z", "removal_read": "48213.70"},
                                     {**new_device, "install_read": "0.5"}])
    assert plan_changes(document, _parsed(retyped)).refusals == [
        "meter ACME-A: devices already applied cannot change; add the next device"]


def test_exchange_reads_are_refused_without_a_removal_or_on_a_fuel_register() -> None:
    """A removal read needs `removed`; a gas meter's register is no energy register. Each named by field."""
    document, index = _with_acme_devices([{"serial": "OLD-1", "multiplier": 1, "removal_read": 10}])
    fuel = next(n for n, m in enumerate(document["meters"]) if m["role"] == "fuel")
    document["meters"][fuel]["devices"] = [{"serial": "GAS-1", "multiplier": 1, "install_read": 5}]
    with pytest.raises(CampusFileInvalid) as caught:
        _parsed(document)
    reasons = {p.field: p.reason for p in caught.value.problems}
    assert reasons == {f"meters[{index}].devices[0].removal_read": "a removal read needs `removed`",
                       f"meters[{fuel}].devices[0].install_read":
                           "exchange reads are taken for Wh, kWh or MWh registers, not MMBtu"}
