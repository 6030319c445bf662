"""Campus meters as the engine holds them (roles are `campus.MeterRole` values).

Campus facts are read through the `campus` package only; the service turns each `campus.Meter` into the few
fields the engine uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from campus import Meter


@dataclass(frozen=True)
class MeterRef:
    """`role` is a `campus.MeterRole` (a StrEnum, so its plain string value compares equal)."""

    meter_id: str
    role: str
    tenant_id: str | None
    interval_minutes: int
    rated_kw: int | None = None

    @classmethod
    def of(cls, meter: Meter) -> MeterRef:
        return cls(meter.meter_id, meter.role, meter.tenant_id, meter.interval_minutes, meter.rated_kw)

