"""Checks across a campus file's sections (what a field-by-field schema cannot see): ids unique, references
resolve, windows ordered, instants with offsets, contract terms parse as the engine will parse them.

Works on the dumped document (plain JSON values) and returns (field path, reason) pairs. It also completes the
document in place: each `urdb_file` is embedded into its version's terms (the stored document stands on its own)
and instants are written in UTC.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from campus.file_csv_layouts import csv_layout_problems
from campus.file_market import market_problems
from campus.file_storage import storage_problems
from campus.file_zones import zone_problem
from campus.model import MeterRole
from common.bounds import checked_decimal
from common.canonical_json import sha256_hex
from common.errors import BadInput
from settlement.contracts import ContractVersion, validate_terms
from settlement.tariffs import unwrap_urdb_text

Path = tuple[Any, ...]
Problems = list[tuple[Path, str]]
PRICED_KINDS = ("fixed_price", "urdb_tariff")


def check_document(document: dict[str, Any], read_urdb: Callable[[str], str] | None) -> Problems:
    problems: Problems = []
    _check_campus(document["campus"], problems)
    tenants = _unique(document.get("tenants", []), "tenants", "id", problems)
    meters = _unique(document["meters"], "meters", "id", problems)
    _check_tenants(document.get("tenants", []), problems)
    _check_meters(document["meters"], tenants, meters, problems)
    _unique(document.get("contracts", []), "contracts", "key", problems)
    for index, contract in enumerate(document.get("contracts", [])):
        _check_contract(index, contract, tenants, meters, read_urdb, problems)
    _check_priced(document, problems)
    _check_metered(document, problems)
    _check_esg(document, tenants, problems)
    _check_channels(document, problems)
    problems += market_problems(document)
    problems += storage_problems(document)
    problems += csv_layout_problems(document)
    return problems


def _check_channels(document: dict[str, Any], problems: Problems) -> None:
    """Each live channel names a meter of the file, and one register feeds one (meter, channel)."""
    meter_ids = {meter["id"] for meter in document["meters"]}
    seen: set[tuple[str, str]] = set()
    for index, declared in enumerate(document.get("channels") or []):
        key = (declared["meter"], declared["channel"])
        if declared["meter"] not in meter_ids:
            problems.append((("channels", index, "meter"), f"unknown meter {declared['meter']!r}"))
        elif key in seen:
            problems.append((("channels", index, "channel"), f"meter {key[0]} channel {key[1]} is declared twice"))
        seen.add(key)
        _check_level_channel(index, declared, _state_of_charge_channels(document), problems)


def _state_of_charge_channels(document: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(discharge meter, channel) -> battery id: the channels that carry a level, never a register."""
    return {(asset["discharge_meter"], asset["state_of_charge_channel"]): asset["id"]
            for asset in document.get("storage") or [] if asset.get("state_of_charge_channel")}


def _check_level_channel(index: int, declared: dict[str, Any], levels: dict[tuple[str, str], str],
                         problems: Problems) -> None:
    """A battery's state of charge read live is a level (Wh stored), read from its battery management system: it
    never wraps and no current or voltage transformer scales it."""
    battery = levels.get((declared["meter"], declared["channel"]))
    if battery is None:
        return
    what = f"channel {declared['channel']} is the state of charge of battery {battery}"
    if declared.get("register_modulus"):
        problems.append((("channels", index, "register_modulus"), f"{what}: a level never wraps"))
    if declared.get("reports", "primary") == "secondary":
        problems.append((("channels", index, "reports"), f"{what}: a level is never scaled by the meter's CT x VT"))


def _check_esg(document: dict[str, Any], tenants: set[str], problems: Problems) -> None:
    """The `[esg]` section names meters of the right role and tenants of the file."""
    esg = document.get("esg") or {}
    roles = {meter["id"]: meter["role"] for meter in document["meters"]}
    carbon_free = {meter["id"] for meter in document["meters"] if meter.get("carbon_free")}
    for meter_id in esg.get("heat_rate_mmbtu_per_mwh") or {}:
        if roles.get(meter_id) != MeterRole.GENERATION:
            problems.append((("esg", "heat_rate_mmbtu_per_mwh", meter_id), "not a generation meter of the file"))
        elif meter_id in carbon_free:
            problems.append((("esg", "heat_rate_mmbtu_per_mwh", meter_id), "a carbon-free generator burns no fuel"))
    for index, meter_id in enumerate(esg.get("volume_metered_fuel_meters") or []):
        if roles.get(meter_id) != MeterRole.FUEL:
            problems.append((("esg", "volume_metered_fuel_meters", index), f"{meter_id!r} is not a fuel meter"))
    seen: set[str] = set()
    for index, tenant_rate in enumerate(esg.get("tenant_supplier_rates") or []):
        if tenant_rate["tenant"] not in tenants:
            problems.append((("esg", "tenant_supplier_rates", index, "tenant"),
                             f"unknown tenant {tenant_rate['tenant']!r}"))
        elif tenant_rate["tenant"] in seen:
            problems.append((("esg", "tenant_supplier_rates", index, "tenant"), "a tenant has one supplier rate"))
        seen.add(tenant_rate["tenant"])
    for index, service in enumerate(esg.get("shared_services") or []):
        for tenant in service["allocation_key"]:
            if tenant not in tenants:
                problems.append((("esg", "shared_services", index, "allocation_key", tenant),
                                 f"unknown tenant {tenant!r}"))


def _check_campus(campus: dict[str, Any], problems: Problems) -> None:
    reason = zone_problem(campus["time_zone"], "the campus's zone")
    if reason is not None:
        problems.append((("campus", "time_zone"), reason))


def _unique(items: list[dict[str, Any]], section: str, key: str, problems: Problems) -> set[str]:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item[key] in seen:
            problems.append(((section, index, key), f"{item[key]!r} appears twice"))
        seen.add(item[key])
    return seen


def _check_tenants(tenants: list[dict[str, Any]], problems: Problems) -> None:
    for index, tenant in enumerate(tenants):
        move_in, move_out = tenant.get("move_in"), tenant.get("move_out")
        if move_in and move_out and date.fromisoformat(move_out) <= date.fromisoformat(move_in):
            problems.append((("tenants", index, "move_out"), f"{move_out} is not after move_in {move_in}"))


def _check_meters(meters: list[dict[str, Any]], tenants: set[str], meter_ids: set[str], problems: Problems) -> None:
    serials: set[str] = set()
    for index, meter in enumerate(meters):
        where: Path = ("meters", index)
        tenant = meter.get("tenant")
        if (meter["role"] == MeterRole.TENANT) != (tenant is not None):
            problems.append(((*where, "tenant"), "a tenant_consumption meter names its tenant; no other role does"))
        elif tenant is not None and tenant not in tenants:
            problems.append(((*where, "tenant"), f"unknown tenant {tenant!r}"))
        for field in ("parent", "generator"):
            if meter.get(field) is not None and meter[field] not in meter_ids:
                problems.append(((*where, field), f"unknown meter {meter[field]!r}"))
        fuel_unit = meter["unit"] in ("MMBtu", "therm")
        if fuel_unit != (meter["role"] == MeterRole.FUEL):
            problems.append(((*where, "unit"), f"unit {meter['unit']} does not fit role {meter['role']}"))
        _window(meter, where, "active_from", "active_to", problems)
        for number, device in enumerate(meter.get("devices", [])):
            device_where = (*where, "devices", number)
            if device["serial"] in serials or (device["serial"] in meter_ids and device["serial"] != meter["id"]):
                problems.append(((*device_where, "serial"), f"{device['serial']!r} is already a meter or device"))
            serials.add(device["serial"])
            _window(device, device_where, "installed", "removed", problems)
            _check_exchange_reads(meter, device, device_where, problems)
        _check_device_order(meter.get("devices", []), where, problems)


def _window(item: dict[str, Any], where: Path, start: str, end: str, problems: Problems) -> None:
    """Instants need an offset (the file is read on machines in any zone); stored in UTC."""
    for field in (start, end):
        if item.get(field) is not None:
            instant = datetime.fromisoformat(item[field])
            if instant.tzinfo is None:
                problems.append(((*where, field), f"{item[field]} has no UTC offset"))
                return
            item[field] = instant.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if item.get(start) and item.get(end) and item[end] <= item[start]:
        problems.append(((*where, end), f"{item[end]} is not after {start} {item[start]}"))


def _check_exchange_reads(meter: dict[str, Any], device: dict[str, Any], where: Path, problems: Problems) -> None:
    """Exchange reads turn a register into energy across a swap: only for energy registers, and a removal read
    only for a device that was removed."""
    reads = [field for field in ("install_read", "removal_read") if device.get(field) is not None]
    if reads and meter["unit"] not in ("Wh", "kWh", "MWh"):
        problems.append(((*where, reads[0]), f"exchange reads are taken for Wh, kWh or MWh registers, not {meter['unit']}"))
    if device.get("removal_read") is not None and device.get("removed") is None:
        problems.append(((*where, "removal_read"), "a removal read needs `removed`"))


def _check_device_order(devices: list[dict[str, Any]], where: Path, problems: Problems) -> None:
    for number in range(1, len(devices)):
        before, after = devices[number - 1], devices[number]
        if before.get("removed") is None or after.get("installed") is None or after["installed"] < before["removed"]:
            problems.append(((*where, "devices", number, "installed"),
                             "an exchange needs the old device's `removed` and this one's `installed`, not overlapping"))


def _check_contract(index: int, contract: dict[str, Any], tenants: set[str], meters: set[str],
                    read_urdb: Callable[[str], str] | None, problems: Problems) -> None:
    where: Path = ("contracts", index)
    tenant = contract.get("tenant")
    if tenant is not None and tenant not in tenants:
        problems.append(((*where, "tenant"), f"unknown tenant {tenant!r}"))
    if contract["kind"] == "fixed_price" and tenant is None:
        problems.append(((*where, "tenant"), "a fixed_price contract names the tenant it prices"))
    previous: str | None = None
    for number, version in enumerate(contract["versions"]):
        version_where = (*where, "versions", number)
        if previous is not None and version["effective_from"] <= previous:
            problems.append(((*version_where, "effective_from"), "versions must be in effective_from order"))
        previous = version["effective_from"]
        rate_in_place = _embed_urdb(contract, version, version_where, read_urdb, problems)
        for meter_id in version["terms"].get("meter_ids") or []:
            if meter_id not in meters:
                problems.append(((*version_where, "terms", "meter_ids"), f"unknown meter {meter_id!r}"))
        if rate_in_place:  # a URDB file that could not be read is one problem, not a second about empty terms
            _check_terms(contract, version, version_where, problems)


def _embed_urdb(contract: dict[str, Any], version: dict[str, Any], where: Path,
                read_urdb: Callable[[str], str] | None, problems: Problems) -> bool:
    """Embed a `urdb_file` into the terms; False when a problem with it was recorded (the terms stay incomplete)."""
    name = version.pop("urdb_file", None)
    if contract["kind"] != "urdb_tariff":
        if name is not None:
            problems.append(((*where, "urdb_file"), "only urdb_tariff contracts name a URDB file"))
        return True
    if (name is None) == ("urdb" not in version["terms"]):
        problems.append(((*where, "urdb_file"), "give the rate once: urdb_file, or terms.urdb inline"))
        return False
    if name is None:
        return True
    if read_urdb is None:
        problems.append(((*where, "urdb_file"), "files cannot be named here: put the rate inline as terms.urdb"))
        return False
    try:
        version["terms"]["urdb"] = unwrap_urdb_text(name, read_urdb(name))
    except OSError as error:
        problems.append(((*where, "urdb_file"), f"cannot read {name}: {error.strerror or error}"))
        return False
    except BadInput as error:
        problems.append(((*where, "urdb_file"), str(error)))
        return False
    return True


def _check_terms(contract: dict[str, Any], version: dict[str, Any], where: Path, problems: Problems) -> None:
    """Parse the terms exactly as the engine will, so a contract that cannot be settled is refused now."""
    if contract["kind"] == "fixed_price":
        price = version["terms"].get("price_usd_per_mwh")
        extra = sorted(set(version["terms"]) - {"price_usd_per_mwh"})
        if price is None or extra:
            problems.append(((*where, "terms"), "fixed_price terms are {price_usd_per_mwh} only"))
        elif not _non_negative_decimal(price):
            problems.append(((*where, "terms", "price_usd_per_mwh"), f"{price!r} is not a price >= 0"))
        return
    terms = json.loads(json.dumps(version["terms"], default=str), parse_float=Decimal)
    candidate = ContractVersion(0, contract["key"], 0, contract["kind"], contract.get("tenant"),
                                date.fromisoformat(version["effective_from"]), terms, sha256_hex("x"))
    try:
        validate_terms(candidate)
    except BadInput as error:
        problems.append(((*where, "terms", *(error.field or "").split(".")), error.reason))


def _non_negative_decimal(value: Any) -> bool:
    try:
        number = checked_decimal(value)  # finite, ASCII digits, below 10**15 (common.bounds)
    except ValueError:
        return False
    return number >= 0 and number == number.quantize(Decimal("0.000001"))


def _check_priced(document: dict[str, Any], problems: Problems) -> None:
    """Every tenant needs a price for its own consumption (the engine refuses a cycle otherwise)."""
    priced = {c.get("tenant") for c in document.get("contracts", []) if c["kind"] in PRICED_KINDS}
    for index, tenant in enumerate(document.get("tenants", [])):
        if tenant["id"] not in priced:
            problems.append((("tenants", index, "id"),
                             f"tenant {tenant['id']!r} has no fixed_price or urdb_tariff contract"))
    fixed_price_tenants = Counter(c.get("tenant") for c in document.get("contracts", []) if c["kind"] == "fixed_price")
    for index, contract in enumerate(document.get("contracts", [])):
        if contract["kind"] == "fixed_price" and fixed_price_tenants[contract.get("tenant")] > 1:
            reason = "one fixed_price contract per tenant (amend it with a new version instead)"
            problems.append((("contracts", index, "tenant"), reason))


def _check_metered(document: dict[str, Any], problems: Problems) -> None:
    """Every tenant has a meter of its own: a tenant whose meter was left out would be settled at zero energy
    without a word, its contract billing nothing."""
    metered = {meter.get("tenant") for meter in document["meters"] if meter["role"] == MeterRole.TENANT}
    for index, tenant in enumerate(document.get("tenants", [])):
        if tenant["id"] not in metered:
            reason = (f"tenant {tenant['id']!r} has no tenant_consumption meter (a [[meters]] entry with "
                      f"role = \"tenant_consumption\" and tenant = \"{tenant['id']}\")")
            problems.append((("tenants", index, "id"), reason))
