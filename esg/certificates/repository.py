"""SQL for the certificate registry tables (migrations 0007, 0009): lots with their serial ranges, and the claims
that retire their Wh."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from esg.certificates.model import CertificateClaim, CertificateLot
from esg.errors import CertificateOverclaimed, CertificateSerialsOverlap


def lot(conn: Connection, lot_id: str, for_update: bool) -> CertificateLot | None:
    lock = " FOR UPDATE" if for_update else ""
    row = (
        conn.execute(
            text(f"SELECT * FROM esg_certificate_lot WHERE lot_id = :lot_id{lock}"), {"lot_id": lot_id}
        )
        .mappings()
        .first()
    )
    return _lot(dict(row)) if row else None


def _lot(row: dict[str, Any]) -> CertificateLot:
    return CertificateLot(
        row["lot_id"],
        row["instrument"],
        row["technology"],
        row["zone"],
        row["vintage_start_utc"],
        row["vintage_end_utc"],
        row["energy_wh"],
        row["emission_rate_g_co2e_per_mwh"],
        row["registry"],
        row["facility"],
        row["commissioning_date"],
        row["serial_start"],
        row["serial_end"],
        row["serial_prefix"],
        row["certificate_wh"],
        row["location"],
    )


def lots_with_overlapping_serials(conn: Connection, lot: CertificateLot) -> list[CertificateLot]:
    """Registered lots of the same registry and prefix whose serial range shares a serial with `lot`'s."""
    rows = conn.execute(
        text(
            "SELECT * FROM esg_certificate_lot WHERE registry = :registry AND serial_prefix = :serial_prefix"
            " AND serial_start IS NOT NULL AND lot_id <> :lot_id"
            " AND int8range(serial_start, serial_end, '[]') && int8range(:serial_start, :serial_end, '[]')"
            " ORDER BY serial_start"
        ),
        {"registry": lot.registry, "serial_prefix": lot.serial_prefix, "lot_id": lot.lot_id,
         "serial_start": lot.serial_start, "serial_end": lot.serial_end},
    ).mappings()
    return [_lot(dict(row)) for row in rows]


def lock_registry_serials(conn: Connection, registry: str, serial_prefix: str) -> None:
    """Serialize lot registrations of one registry and prefix until commit (the constraint is the backstop)."""
    conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 18))"),
        {"key": f"esg_certificate_lot\n{registry}\n{serial_prefix}"},
    )


def insert_lot(conn: Connection, lot: CertificateLot) -> None:
    """Store a lot; the exclusion constraint refusing its serials (a concurrent registration) names the range."""
    try:
        _insert_lot(conn, lot)
    except DBAPIError as error:
        if "esg_certificate_lot_serials_once" in str(error.orig):
            raise CertificateSerialsOverlap(lot.lot_id, lot.serial_text(), "(registered concurrently)",
                                            "overlapping") from error
        raise


def _insert_lot(conn: Connection, lot: CertificateLot) -> None:
    conn.execute(
        text(
            "INSERT INTO esg_certificate_lot (lot_id, instrument, technology, zone, vintage_start_utc, vintage_end_utc,"
            " energy_wh, emission_rate_g_co2e_per_mwh, registry, facility, commissioning_date, serial_start,"
            " serial_end, serial_prefix, certificate_wh, location) VALUES (:lot_id, :instrument, :technology, :zone,"
            " :vintage_start_utc, :vintage_end_utc, :energy_wh, :emission_rate_g_co2e_per_mwh, :registry, :facility,"
            " :commissioning_date, :serial_start, :serial_end, :serial_prefix, :certificate_wh, :location)"
        ),
        lot.__dict__,
    )


def claimed_wh(conn: Connection, lot_id: str) -> int:
    return int(
        conn.execute(
            text("SELECT coalesce(sum(energy_wh), 0) FROM esg_certificate_claim WHERE lot_id = :lot_id"),
            {"lot_id": lot_id},
        ).scalar_one()
    )


def claim(conn: Connection, claim_id: str) -> tuple[str, CertificateClaim] | None:
    row = (
        conn.execute(
            text("SELECT * FROM esg_certificate_claim WHERE claim_id = :claim_id"), {"claim_id": claim_id}
        )
        .mappings()
        .first()
    )
    return (row["campus_id"], _claim(dict(row))) if row else None


def _claim(row: dict[str, Any]) -> CertificateClaim:
    return CertificateClaim(
        row["claim_id"],
        row["lot_id"],
        row["beneficiary"],
        row["energy_wh"],
        row["consumption_start_utc"],
        row["consumption_end_utc"],
    )


def insert_claim(
    conn: Connection, campus_id: str, claim: CertificateClaim, energy_wh_remaining: int, retirement_ledger_key: str
) -> None:
    """Store a claim; the table trigger refusing it (`esg_certificate_overclaimed`) is a CertificateOverclaimed."""
    try:
        conn.execute(
            text(
                "INSERT INTO esg_certificate_claim (claim_id, lot_id, campus_id, beneficiary, energy_wh,"
                " consumption_start_utc, consumption_end_utc, retirement_ledger_key) VALUES (:claim_id, :lot_id,"
                " :campus_id, :beneficiary, :energy_wh, :consumption_start_utc, :consumption_end_utc,"
                " :retirement_ledger_key)"
            ),
            {**claim.__dict__, "campus_id": campus_id, "retirement_ledger_key": retirement_ledger_key},
        )
    except DBAPIError as error:
        if "esg_certificate_overclaimed" in str(error.orig):
            raise CertificateOverclaimed(claim.lot_id, claim.energy_wh, energy_wh_remaining) from error
        raise


def claims_overlapping(
    conn: Connection, campus_id: str, start_utc: datetime, end_utc: datetime
) -> list[tuple[CertificateLot, CertificateClaim]]:
    rows = conn.execute(
        text(
            "SELECT c.*, l.instrument, l.technology, l.zone, l.vintage_start_utc, l.vintage_end_utc,"
            " l.energy_wh AS lot_energy_wh, l.emission_rate_g_co2e_per_mwh, l.registry, l.facility, l.commissioning_date,"
            " l.serial_start, l.serial_end, l.serial_prefix, l.certificate_wh, l.location"
            " FROM esg_certificate_claim c JOIN esg_certificate_lot l USING (lot_id)"
            " WHERE c.campus_id = :campus_id AND c.consumption_start_utc < :end_utc AND c.consumption_end_utc > :start_utc"
            " ORDER BY c.claim_id"
        ),
        {"campus_id": campus_id, "start_utc": start_utc, "end_utc": end_utc},
    ).mappings()
    return [(_lot({**dict(row), "energy_wh": row["lot_energy_wh"]}), _claim(dict(row))) for row in rows]
