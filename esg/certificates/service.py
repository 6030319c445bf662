"""Certificate registry service functions: register lots, claim Wh once (lot lock here, trigger in the table)."""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from common.errors import Conflict
from esg import repository
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
    try:
        repository.insert_claim(conn, campus_id, claim)
    except DBAPIError as error:
        if "esg_certificate_overclaimed" in str(error.orig):
            raise CertificateOverclaimed(lot.lot_id, claim.energy_wh, remaining_wh) from error
        raise
    return True
