"""What every ISO adapter shares: each ISO's market clock, our meters as the ISO knows them, the credentials a
client authenticates with, and the ISO's answer to an accepted submission."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from campus import MeterRole

MARKET_TIME_ZONES = {
    # Each ISO's market clock: the prevailing local time its operating days and hour labels follow.
    "NYISO": "America/New_York", "PJM": "America/New_York", "ISONE": "America/New_York",
    "ERCOT": "America/Chicago", "MISO": "America/Chicago", "SPP": "America/Chicago",
    "CAISO": "America/Los_Angeles",
}

ISO_METER_ROLES = frozenset(MeterRole)


@dataclass(frozen=True)
class IsoMeterRef:
    """One of our meters registered with the ISO: `iso_meter_id` is the ISO's id (NYISO PTID, ERCOT ESI ID,
    PJM meter account); `role` is our meter role (`meter.role`), which picks the ISO collection it goes to."""

    meter_id: str
    iso_meter_id: str
    role: str

    def __post_init__(self) -> None:
        assert self.role in ISO_METER_ROLES, f"unknown meter role {self.role!r}"


@dataclass(frozen=True)
class IsoCredentials:
    """What an ISO client authenticates with. Certificate paths are PEM files; `ca_bundle_path` pins the ISO's CA."""

    username: str
    password: str
    client_cert_path: str | None = None
    client_key_path: str | None = None
    ca_bundle_path: str | None = None


@dataclass(frozen=True)
class SubmissionOutcome:
    """The ISO's answer to an accepted (or dry-run validated) submission."""

    iso_request_id: str
    user_request_id: str
    dry_run: bool
    records_submitted: int
    records_accepted: int
    response: dict[str, Any] = field(repr=False)
