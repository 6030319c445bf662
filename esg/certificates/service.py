"""Certificate registry service functions: register lots, claim Wh once (lot lock here, trigger in the table)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from common.errors import Conflict
from esg.certificates import repository
from esg.certificates.model import CertificateClaim, CertificateLot, check_claim_eligible
from esg.errors import (
    CertificateIneligible,
    CertificateLotConflict,
    CertificateOverclaimed,
)


def register_certificate_lot(conn: Connection, lot: CertificateLot) -> bool:
    stored = repository.lot(conn, lot.lot_id, for_update=False)
    if stored is None:
        repository.insert_lot(conn, lot)
        return True
    if stored != lot:
        raise CertificateLotConflict(lot.lot_id)
    return False


def claim_certificate(conn: Connection, campus_id: str, claim: CertificateClaim) -> bool:
    """Retire Wh of a lot for a beneficiary; refuses any Wh beyond what the lot still holds (no double claim).

    The lot row is locked first, so two concurrent claims on one lot are serialized; the table trigger checks
    the same rule again.
    """
    existing = repository.claim(conn, claim.claim_id)
    if existing is not None:
        if existing != (campus_id, claim):
            raise Conflict(f"claim {claim.claim_id} is already recorded with different content")
        return False
    lot = repository.lot(conn, claim.lot_id, for_update=True)
    if lot is None:
        raise CertificateIneligible(claim.lot_id, "no such lot in the registry")
    check_claim_eligible(lot, claim)
    remaining_wh = lot.energy_wh - repository.claimed_wh(conn, lot.lot_id)
    if claim.energy_wh > remaining_wh:
        raise CertificateOverclaimed(lot.lot_id, claim.energy_wh, remaining_wh)
    repository.insert_claim(conn, campus_id, claim, remaining_wh)
    return True


def claims_overlapping(
    conn: Connection, campus_id: str, start_utc: datetime, end_utc: datetime
) -> list[tuple[CertificateLot, CertificateClaim]]:
    """The campus's claims whose consumption window overlaps `[start_utc, end_utc)`, each with its lot."""
    return repository.claims_overlapping(conn, campus_id, start_utc, end_utc)
