"""Energy attribute certificates (REC, GO, hourly GC) and PPA attributes, and a registry that refuses double claims.

A lot is a block of certificates from one facility and vintage window, issued by one registry under a range of
serial numbers (`serial_start` to `serial_end`, both inclusive, each serial worth `certificate_wh`). A serial
range is registered once: a lot whose range overlaps any registered range of the same registry and serial
prefix is refused, naming both lots (so the same MWh cannot come back under a new lot id). A claim retires some
of its Wh on behalf of a beneficiary (`tenant:<id>` or `campus`) for a consumption window inside the vintage.
The sum of claims on a lot can never exceed its Wh (Scope 2 Quality Criterion 2: one claim per MWh), on every
path: the registry service, the table trigger, and the calculation's own list of claims
(`check_claims_within_lots`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from common.errors import Conflict
from common.timeutil import require_utc
from esg.errors import (
    CertificateIneligible,
    CertificateLotConflict,
    CertificateOverclaimed,
    CertificateSerialsOverlap,
    EmissionsInputInvalid,
)

INSTRUMENTS = frozenset({"REC", "GO", "GC", "PPA"})
WH_PER_MWH = 1_000_000  # one REC or GO certifies 1 MWh
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
    # The registry's serial numbers of the lot (inclusive); None only for lots held in memory for a dry run.
    serial_start: int | None = None
    serial_end: int | None = None
    serial_prefix: str = ""
    certificate_wh: int = WH_PER_MWH
    location: str = ""

    def __post_init__(self) -> None:
        where = f"certificate lot {self.lot_id}"
        self._check_serials(where)
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

    def _check_serials(self, where: str) -> None:
        if (self.serial_start is None) != (self.serial_end is None):
            raise EmissionsInputInvalid(where, None, "serial_end", "a serial range needs both start and end")
        if self.serial_start is None or self.serial_end is None:
            return
        if self.serial_start < 0:
            raise EmissionsInputInvalid(where, None, "serial_start", f"{self.serial_start} is negative")
        if self.serial_end < self.serial_start:
            raise EmissionsInputInvalid(
                where, None, "serial_end", f"{self.serial_end} is before serial_start {self.serial_start}"
            )
        if self.certificate_wh <= 0:
            raise EmissionsInputInvalid(where, None, "certificate_wh", f"{self.certificate_wh} is not positive")
        serials_wh = self.serial_count() * self.certificate_wh
        if serials_wh != self.energy_wh:
            raise EmissionsInputInvalid(
                where, None, "energy_wh",
                f"{self.energy_wh} Wh, but serials {self.serial_text()} hold {self.serial_count()} x "
                f"{self.certificate_wh} Wh = {serials_wh} Wh",
            )

    def has_serials(self) -> bool:
        return self.serial_start is not None and self.serial_end is not None

    def serial_count(self) -> int:
        assert self.serial_start is not None and self.serial_end is not None
        return self.serial_end - self.serial_start + 1

    def serial_text(self) -> str:
        """`<registry> <prefix>-<start> to <prefix>-<end>` as a registry prints it (prefix omitted when empty)."""
        prefix = f"{self.serial_prefix}-" if self.serial_prefix else ""
        return f"{self.registry} {prefix}{self.serial_start} to {prefix}{self.serial_end}"

    def serials_overlap(self, other: CertificateLot) -> bool:
        """Whether both lots name at least one common serial of the same registry and prefix."""
        if not (self.has_serials() and other.has_serials()):
            return False
        if (self.registry, self.serial_prefix) != (other.registry, other.serial_prefix):
            return False
        assert self.serial_start is not None and self.serial_end is not None
        assert other.serial_start is not None and other.serial_end is not None
        return self.serial_start <= other.serial_end and other.serial_start <= self.serial_end

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


def check_lot_serials_free(lot: CertificateLot, registered: Iterable[CertificateLot]) -> None:
    """Refuse a lot whose serial range overlaps a registered lot's (same registry and prefix), naming both."""
    for other in registered:
        if other.lot_id != lot.lot_id and lot.serials_overlap(other):
            raise CertificateSerialsOverlap(lot.lot_id, lot.serial_text(), other.lot_id, other.serial_text())


def check_claims_within_lots(claims: Iterable[tuple[CertificateLot, CertificateClaim]]) -> None:
    """The claims a calculation is given never take more Wh of a lot than it holds, whatever their source.

    This is the calculation's own check: claims handed to it directly (a dry run, a script, a test) obey the
    same rule as those the registry stored. One lot id with two different contents, or one claim id twice,
    is refused too. (A claim outside its lot's vintage is not refused here: the calculation discloses it as
    not applied.)
    """
    lots: dict[str, CertificateLot] = {}
    claimed: dict[str, dict[str, CertificateClaim]] = {}
    for lot, claim in claims:
        known = lots.setdefault(lot.lot_id, lot)
        if known != lot:
            raise CertificateLotConflict(lot.lot_id)
        if claim.lot_id != lot.lot_id:
            raise CertificateIneligible(lot.lot_id, f"claim {claim.claim_id} names lot {claim.lot_id}")
        seen = claimed.setdefault(lot.lot_id, {})
        if claim.claim_id in seen:
            # Even with the same content: the calculation would apply its Wh twice.
            raise Conflict(f"claim {claim.claim_id} is given twice to one calculation")
        seen[claim.claim_id] = claim
    for lot_id, lot_claims in sorted(claimed.items()):
        total_wh = sum(claim.energy_wh for claim in lot_claims.values())
        if total_wh > lots[lot_id].energy_wh:
            raise CertificateOverclaimed(lot_id, total_wh, lots[lot_id].energy_wh)


class CertificateRegistry:
    """In-memory registry with the same rules as the database one; used by tests and dry runs."""

    def __init__(self) -> None:
        self._lots: dict[str, CertificateLot] = {}
        self._claims: dict[str, CertificateClaim] = {}

    def register_lot(self, lot: CertificateLot) -> None:
        existing = self._lots.get(lot.lot_id)
        if existing is not None and existing != lot:
            raise CertificateLotConflict(lot.lot_id)
        check_lot_serials_free(lot, self._lots.values())
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
