"""What applying a campus document would change, like a diff, and what it may not change (pure).

History is append-only: a tenant moves out (`move_out`), a meter leaves service (`active_to`) or is exchanged (a new
device), a contract is amended (a new version). Removing any of them, or editing what a settled month was billed on
(a meter's role, tenant, unit or interval; an applied contract version; the campus's zone or ISO), is refused with
what to do instead, because re-settling an old month must find that month's facts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FIXED_METER_FIELDS = ("role", "tenant", "unit", "interval_minutes")
FIXED_CAMPUS_FIELDS = ("time_zone", "iso")
REMOVAL_FIELDS = ("removed", "removal_read")


@dataclass(frozen=True)
class Change:
    action: str
    """"+" added, "~" changed."""
    subject: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.action} {self.subject}" + (f": {self.detail}" if self.detail else "")


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)


def plan_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> Plan:
    plan = Plan()
    if old is None:
        plan.changes.append(Change("+", f"campus {new['campus']['id']}", new["campus"]["name"]))
        old = {"campus": new["campus"], "tenants": [], "meters": [], "contracts": []}
    else:
        _campus(old["campus"], new["campus"], plan)
    _section(old, new, "tenants", "id", "tenant", plan, _tenant)
    _section(old, new, "meters", "id", "meter", plan, _meter)
    _section(old, new, "contracts", "key", "contract", plan, _contract)
    for name in ("esg", "iso_submission"):
        if old.get(name) is not None and old.get(name) != new.get(name):
            plan.changes.append(Change("~", name, _fields_changed(old.get(name) or {}, new.get(name) or {})))
    if (old.get("channels") or []) != (new.get("channels") or []):
        plan.changes.append(Change("~", "channels", f"{len(new.get('channels') or [])} live channels declared"))
    _csv_layouts(old.get("csv_layouts") or [], new.get("csv_layouts") or [], plan)
    if (old.get("storage") or []) != (new.get("storage") or []):
        plan.changes.append(Change("~", "storage", f"{len(new.get('storage') or [])} storage assets declared"))
    return plan


def _csv_layouts(old: list[dict[str, Any]], new: list[dict[str, Any]], plan: Plan) -> None:
    """Layouts are versioned by name: every file received with one is read with it again (a cycle, a correction),
    so an applied layout never changes or goes; a new shape is a new name."""
    before = {layout["name"]: layout for layout in old}
    after = {layout["name"]: layout for layout in new}
    for name in sorted(set(before) - set(after)):
        plan.refusals.append(f"csv layout {name} cannot be removed: files received with it are read with it "
                             "again; keep it")
    for name, layout in after.items():
        if name not in before:
            source = f"unit {layout['unit']}" if layout.get("unit") else f"unit column {layout.get('unit_column')}"
            plan.changes.append(Change("+", f"csv layout {name}", f"{source}, time {layout['time_label']}"))
        elif before[name] != layout:
            plan.refusals.append(f"csv layout {name} cannot change ({_fields_changed(before[name], layout)}): files "
                                 "received with it are read with it again; add a layout with a new name")


def _campus(old: dict[str, Any], new: dict[str, Any], plan: Plan) -> None:
    for name in FIXED_CAMPUS_FIELDS:
        if old.get(name) != new.get(name):
            plan.refusals.append(f"campus.{name} cannot change ({_shown(old.get(name))} -> {_shown(new.get(name))}): "
                                 "months already billed depend on it; register a new campus id instead")
    if old != new:
        plan.changes.append(Change("~", f"campus {new['id']}", _fields_changed(old, new)))


def _section(old: dict[str, Any], new: dict[str, Any], section: str, key: str, noun: str, plan: Plan,
             compare: Callable[[dict[str, Any], dict[str, Any], Plan], None]) -> None:
    before = {item[key]: item for item in old.get(section, [])}
    after = {item[key]: item for item in new.get(section, [])}
    for item_id in sorted(set(before) - set(after)):
        plan.refusals.append(f"{noun} {item_id} cannot be removed: history is kept ("
                             + {"tenant": "set move_out", "meter": "set active_to",
                                "contract": "add a version"}[noun] + " instead)")
    for item_id, item in after.items():
        if item_id not in before:
            plan.changes.append(Change("+", f"{noun} {item_id}", _summary(noun, item)))
        elif before[item_id] != item:
            compare(before[item_id], item, plan)


def _summary(noun: str, item: dict[str, Any]) -> str:
    if noun == "tenant":
        return str(item["name"]) + (f", moves in {item['move_in']}" if item.get("move_in") else "")
    if noun == "meter":
        return f"{item['role']}" + (f", tenant {item['tenant']}" if item.get("tenant") else "")
    return f"{item['kind']}" + (f" for {item['tenant']}" if item.get("tenant") else "") + \
        f", {len(item['versions'])} version(s) from {item['versions'][0]['effective_from']}"


def _tenant(old: dict[str, Any], new: dict[str, Any], plan: Plan) -> None:
    plan.changes.append(Change("~", f"tenant {new['id']}", _fields_changed(old, new)))


def _meter(old: dict[str, Any], new: dict[str, Any], plan: Plan) -> None:
    for name in FIXED_METER_FIELDS:
        if old.get(name) != new.get(name):
            plan.refusals.append(f"meter {new['id']}: {name} cannot change "
                                 f"({_shown(old.get(name))} -> {_shown(new.get(name))}); "
                                 "set active_to on it and add a new meter")
    if not old.get("devices") and old.get("multiplier") != new.get("multiplier") and not new.get("devices"):
        plan.refusals.append(f"meter {new['id']}: the multiplier cannot change in place; record the exchange as "
                             "devices (the old one removed, the new one installed)")
    old_devices, new_devices = old.get("devices", []), new.get("devices", [])
    if not old_devices and new_devices and (new_devices[0]["multiplier"] != old["multiplier"]
                                            or new_devices[0].get("installed") is not None):
        plan.refusals.append(f"meter {new['id']}: its first device is the one that read it so far: no "
                             f"`installed`, multiplier {old['multiplier']}")
    # A device's removal (its instant and register) is written when it happens: the only change allowed to it.
    kept = [_without(d, *REMOVAL_FIELDS) for d in old_devices] == [_without(d, *REMOVAL_FIELDS) for d in
                                                                   new_devices[:len(old_devices)]]
    removals_kept = all(d.get(field) in (None, n.get(field)) for d, n in zip(old_devices, new_devices)
                        for field in REMOVAL_FIELDS)
    if not kept or not removals_kept:
        plan.refusals.append(f"meter {new['id']}: devices already applied cannot change; add the next device")
    plan.changes.append(Change("~", f"meter {new['id']}", _fields_changed(old, new)))


def _contract(old: dict[str, Any], new: dict[str, Any], plan: Plan) -> None:
    if old["kind"] != new["kind"] or old.get("tenant") != new.get("tenant"):
        plan.refusals.append(f"contract {new['key']}: kind and tenant cannot change; start a new contract key")
    if new["versions"][:len(old["versions"])] != old["versions"]:
        plan.refusals.append(f"contract {new['key']}: applied versions cannot change; amend with a new version")
    for number, version in enumerate(new["versions"][len(old["versions"]):], start=len(old["versions"]) + 1):
        plan.changes.append(Change("+", f"contract {new['key']} v{number}", f"from {version['effective_from']}"))


def _without(item: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in item.items() if key not in names}


def _fields_changed(old: dict[str, Any], new: dict[str, Any]) -> str:
    names = sorted(set(old) | set(new))
    parts = []
    for name in names:
        if old.get(name) != new.get(name):
            before, after = old.get(name), new.get(name)
            if isinstance(before, (list, dict)) or isinstance(after, (list, dict)):
                parts.append(f"{name} changed")
            else:
                parts.append(f"{name} {_shown(before)} -> {_shown(after)}")
    return ", ".join(parts)


def _shown(value: object) -> str:
    """A field's value as the campus file writes it; an absent one as `(unset)`, not Python's None."""
    return "(unset)" if value is None else str(value)
