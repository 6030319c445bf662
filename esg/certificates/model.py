"""Energy attribute certificates (REC, GO, hourly GC) and PPA attributes, and a registry that refuses double claims.

A lot is a block of certificates from one facility and vintage window. A claim retires some of its Wh on
behalf of a beneficiary (`tenant:<id>` or `campus`) for a consumption window inside the vintage. The sum of
claims on a lot can never exceed its Wh (Scope 2 Quality Criterion 2: one claim per MWh); the database
enforces the same rule again (`esg_certificate_claim` trigger).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from common.errors import Conflict
from common.timeutil import require_utc
from esg.errors import (
    CertificateIneligible,
    CertificateLotConflict,
    CertificateOverclaimed,
    EmissionsInputInvalid,
)

INSTRUMENTS = frozenset({"REC", "GO", "GC", "PPA"})
HOURLY_VINTAGE_MAX = timedelta(hours=1)


@dataclass(frozen=True)
class CertificateLot:
    """Certificates for `energy_wh` generated in `[vintage_start_utc, vintage_end_utc)` in grid `zone`.

    `emission_rate_g_co2e_per_mwh` is the attribute conveyed: 0 for wind/solar/hydro certificates, the
    facility's rate for a PPA with a fossil or mixed source.
    """

    lot_id: str
    instrument: str
    technology: str
    zone: str
    vintage_start_utc: datetime
    vintage_end_utc: datetime
    energy_wh: int
    emission_rate_g_co2e_per_mwh: int
    registry: str
    facility: str = ""
    commissioning_date: date | None = None

    def __post_init__(self) -> None:
        where = f"certificate lot {self.lot_id}"
        if self.instrument not in INSTRUMENTS:
            raise EmissionsInputInvalid(
                where, None, "instrument", f"{self.instrument!r} not in {sorted(INSTRUMENTS)}"
            )
        if self.energy_wh <= 0:
            raise EmissionsInputInvalid(where, None, "energy_wh", f"{self.energy_wh} is not positive")
        if self.emission_rate_g_co2e_per_mwh < 0:
            raise EmissionsInputInvalid(where, None, "emission_rate_g_co2e_per_mwh", "negative rate")
        start = require_utc(self.vintage_start_utc, "vintage_start_utc")
        if require_utc(self.vintage_end_utc, "vintage_end_utc") <= start:
            raise EmissionsInputInvalid(where, None, "vintage_end_utc", "vintage window is empty")

    def is_hourly(self) -> bool:
        """A granular certificate: its vintage fits in one hour (EnergyTag GC: interval of at most 1 hour)."""
        return self.vintage_end_utc - self.vintage_start_utc <= HOURLY_VINTAGE_MAX


@dataclass(frozen=True)
class CertificateClaim:
    """`energy_wh` of lot `lot_id` retired for `beneficiary` against consumption in the given window."""

    claim_id: str
    lot_id: str
    beneficiary: str
    energy_wh: int
    consumption_start_utc: datetime
    consumption_end_utc: datetime

    def __post_init__(self) -> None:
        where = f"certificate claim {self.claim_id}"
        if self.energy_wh <= 0:
            raise EmissionsInputInvalid(where, None, "energy_wh", f"{self.energy_wh} is not positive")
        if self.beneficiary != "campus" and not self.beneficiary.startswith("tenant:"):
            raise EmissionsInputInvalid(where, None, "beneficiary", "must be 'campus' or 'tenant:<id>'")
        if self.consumption_end_utc <= self.consumption_start_utc:
            raise EmissionsInputInvalid(where, None, "consumption_end_utc", "consumption window is empty")


def check_claim_eligible(lot: CertificateLot, claim: CertificateClaim) -> None:
    """Vintage rule (Quality Criterion 4): the consumption window must lie inside the lot's vintage."""
    if claim.consumption_start_utc < lot.vintage_start_utc or claim.consumption_end_utc > lot.vintage_end_utc:
        raise CertificateIneligible(
            lot.lot_id,
            f"claim {claim.claim_id} covers consumption {claim.consumption_start_utc.isoformat()} to "
            f"{claim.consumption_end_utc.isoformat()}, outside the vintage {lot.vintage_start_utc.isoformat()} "
            f"to {lot.vintage_end_utc.isoformat()}",
        )


class CertificateRegistry:
    """In-memory registry with the same rules as the database one; used by tests and dry runs."""

    def __init__(self) -> None:
        self._lots: dict[str, CertificateLot] = {}
        self._claims: dict[str, CertificateClaim] = {}

    def register_lot(self, lot: CertificateLot) -> None:
        existing = self._lots.get(lot.lot_id)
        if existing is not None and existing != lot:
            raise CertificateLotConflict(lot.lot_id)
        self._lots[lot.lot_id] = lot

    def claimed_wh(self, lot_id: str) -> int:
        return sum(claim.energy_wh for claim in self._claims.values() if claim.lot_id == lot_id)

    def claim(self, claim: CertificateClaim) -> None:
        """Retire Wh of a lot; the same claim twice is a no-op, anything beyond the lot's Wh is refused."""
        existing = self._claims.get(claim.claim_id)
        if existing is not None:
            if existing != claim:
                raise Conflict(f"claim {claim.claim_id} already recorded with different content")
            return
        lot = self._lots.get(claim.lot_id)
        if lot is None:
            raise CertificateIneligible(claim.lot_id, "no such lot in the registry")
        check_claim_eligible(lot, claim)
        remaining_wh = lot.energy_wh - self.claimed_wh(lot.lot_id)
        if claim.energy_wh > remaining_wh:
            raise CertificateOverclaimed(lot.lot_id, claim.energy_wh, remaining_wh)
        self._claims[claim.claim_id] = claim

    def claims_between(
        self, start_utc: datetime, end_utc: datetime
    ) -> list[tuple[CertificateLot, CertificateClaim]]:
        """Claims whose consumption window overlaps `[start_utc, end_utc)`, with their lots."""
        return [
            (self._lots[claim.lot_id], claim)
            for claim in sorted(self._claims.values(), key=lambda claim: claim.claim_id)
            if claim.consumption_start_utc < end_utc and claim.consumption_end_utc > start_utc
        ]
