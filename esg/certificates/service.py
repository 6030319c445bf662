"""Certificate registry service functions: register lots once per serial range, retire Wh once and record each
retirement in the ledger (lot lock and serial check here; trigger and exclusion constraint in the tables)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection

from common.errors import Conflict
from esg.certificates import repository
from esg.certificates.model import (
    CertificateClaim,
    CertificateLot,
    check_claim_eligible,
    check_lot_serials_free,
)
from esg.errors import (
    CertificateIneligible,
    CertificateLotConflict,
    CertificateOverclaimed,
    EmissionsInputInvalid,
)
from ledger import EntryRequest, Leg, PostingRequest, append_checkpointed, ensure_ledger, open_accounts
from ledger.accounts import ASSET_ENERGY, account_spec, certificates_claimed, certificates_retired

RETIREMENT_REASON = "certificate_retirement"


def register_certificate_lot(conn: Connection, lot: CertificateLot) -> bool:
    """Register a lot with its serial range; the same lot again is a no-op.

    Refused: a lot without serials (`EmissionsInputInvalid`), the same id with other attributes
    (`CertificateLotConflict`), a range overlapping any registered range of the same registry and prefix
    (`CertificateSerialsOverlap`, naming both lots). Registrations of one registry are serialized, so two
    overlapping lots registered at the same time cannot both pass the check.
    """
    if not lot.has_serials():
        raise EmissionsInputInvalid(f"certificate lot {lot.lot_id}", None, "serial_start",
                                    "a registered lot needs its registry serial range (serial_start, serial_end)")
    if not lot.location:
        raise EmissionsInputInvalid(f"certificate lot {lot.lot_id}", None, "location",
                                    "a registered lot needs the location of its generator")
    repository.lock_registry_serials(conn, lot.registry, lot.serial_prefix)
    stored = repository.lot(conn, lot.lot_id, for_update=False)
    if stored is not None:
        if stored != lot:
            raise CertificateLotConflict(lot.lot_id)
        return False
    check_lot_serials_free(lot, repository.lots_with_overlapping_serials(conn, lot))
    repository.insert_lot(conn, lot)
    return True


def claim_certificate(
    conn: Connection, campus_id: str, claim: CertificateClaim, ledger_origin: str, signing_key_path: Path
) -> bool:
    """Retire Wh of a lot for a beneficiary and period, once, and record the retirement in the ledger.

    Refuses any Wh beyond what the lot still holds (no double claim). The lot row is locked first, so two
    concurrent claims on one lot are serialized; the table trigger checks the same rule again. The retirement
    entry (`retirement_entry`) moves the Wh from the campus's claimed certificates to the beneficiary's
    retired certificates (asset MWH/6) and names lot, registry, serials, vintage, location and period in its
    meta; it is appended and checkpointed in the caller's transaction, so claim and entry commit together.
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
    entry = retirement_entry(campus_id, lot, claim)
    repository.insert_claim(conn, campus_id, claim, remaining_wh, entry.idempotency_key)
    legs = [(p.account_path, p.asset_code, p.amount_minor) for p in entry.postings]
    ensure_ledger(conn, ledger_origin)
    open_accounts(conn, ledger_origin, [account_spec(path, asset) for path, asset, _ in legs])
    append_checkpointed(conn, ledger_origin, [entry], signing_key_path)
    return True


def retirement_key(campus_id: str, claim_id: str) -> str:
    """The retirement entry's idempotency key: one per (campus, claim); claim ids may be long, so hashed."""
    digest = hashlib.sha256(f"{campus_id}\n{claim_id}".encode()).hexdigest()[:40]
    return f"esg:certificate-retirement:{campus_id}:{digest}"


def retirement_legs(campus_id: str, claim: CertificateClaim) -> list[Leg]:
    return [
        (certificates_retired(campus_id, claim.beneficiary), ASSET_ENERGY, claim.energy_wh),
        (certificates_claimed(campus_id), ASSET_ENERGY, -claim.energy_wh),
    ]


def retirement_entry(campus_id: str, lot: CertificateLot, claim: CertificateClaim) -> EntryRequest:
    """The ledger entry of one retirement: Wh from the campus's claimed certificates to the beneficiary."""
    return EntryRequest(
        idempotency_key=retirement_key(campus_id, claim.claim_id),
        kind="posting",
        effective_at_utc=claim.consumption_end_utc,
        postings=[PostingRequest(path, asset, amount) for path, asset, amount in retirement_legs(campus_id, claim)],
        meta={
            "reason_code": RETIREMENT_REASON,
            "campus_id": campus_id,
            "claim_id": claim.claim_id,
            "beneficiary": claim.beneficiary,
            "consumption_start_utc": claim.consumption_start_utc.isoformat(),
            "consumption_end_utc": claim.consumption_end_utc.isoformat(),
            "lot_id": lot.lot_id,
            "registry": lot.registry,
            "serials": lot.serial_text() if lot.has_serials() else "",
            "instrument": lot.instrument,
            "technology": lot.technology,
            "location": lot.location,
            "zone": lot.zone,
            "vintage_start_utc": lot.vintage_start_utc.isoformat(),
            "vintage_end_utc": lot.vintage_end_utc.isoformat(),
        },
    )


def claims_overlapping(
    conn: Connection, campus_id: str, start_utc: datetime, end_utc: datetime
) -> list[tuple[CertificateLot, CertificateClaim]]:
    """The campus's claims whose consumption window overlaps `[start_utc, end_utc)`, each with its lot."""
    return repository.claims_overlapping(conn, campus_id, start_utc, end_utc)


def certificate_lots(conn: Connection, lot_ids: list[str]) -> dict[str, CertificateLot]:
    """The registered lots named, by id (ids not registered are left out)."""
    found = {lot_id: repository.lot(conn, lot_id, for_update=False) for lot_id in sorted(set(lot_ids))}
    return {lot_id: lot for lot_id, lot in found.items() if lot is not None}
