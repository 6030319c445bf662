"""ESG service functions: what activities, the API and the CLI call. Each takes its connection (unit of work)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from common.errors import Conflict, NotFound
from esg import repository
from esg.certificates import CertificateClaim, CertificateLot, check_claim_eligible
from esg.combustion import FactorOverride
from esg.cycle import EmissionOptions, compute_cycle_emissions
from esg.errors import (
    CertificateIneligible,
    CertificateLotConflict,
    CertificateOverclaimed,
    EditionAlreadyRegistered,
)
from esg.factors import DATA_DIR, FactorEdition, FactorLibrary, load_factor_library
from esg.restatement import EmissionsDelta, restatement_delta
from esg.result import CycleEmissions


def register_factor_library(
    conn: Connection, library: FactorLibrary | None = None, data_dir: Path = DATA_DIR
) -> list[str]:
    """Store every table and edition of the library; returns the editions newly stored.

    Already stored with the same bytes: nothing happens. Same id, different content: EditionAlreadyRegistered,
    because a published edition is never overwritten (a revision is a new edition id).
    """
    library = library or load_factor_library(data_dir)
    for meta in library.tables.values():
        stored = repository.factor_table_sha256(conn, meta.table_id)
        if stored is None:
            rows = list(csv.DictReader(io.StringIO((data_dir / meta.file).read_text(encoding="utf-8"))))
            repository.insert_factor_table(
                conn,
                {
                    "table_id": meta.table_id,
                    "publication_id": meta.table_id.split("/")[0],
                    "publisher": meta.publication["publisher"],
                    "publication_edition": meta.publication["edition"],
                    "kind": meta.kind,
                    "file_name": meta.file,
                    "file_sha256": meta.sha256,
                    "workbook_sha256": meta.publication.get("source_workbook_sha256"),
                    "confidence": meta.confidence,
                    "licence": meta.publication["licence"],
                    "note": meta.note,
                    "rows_json": repository.rows_json(rows),
                },
            )
        elif stored != meta.sha256:
            raise EditionAlreadyRegistered(meta.table_id)
    return [
        edition.edition_id
        for edition in library.editions.values()
        if _register_edition(conn, library, edition)
    ]


def edition_content_sha256(library: FactorLibrary, edition: FactorEdition) -> str:
    content = {
        "edition_id": edition.edition_id,
        "valid_from": edition.valid_from.isoformat(),
        "valid_to": edition.valid_to.isoformat() if edition.valid_to else None,
        "description": edition.description,
        "tables": {
            kind: [table_id, library.tables[table_id].sha256] for kind, table_id in edition.tables.items()
        },
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _register_edition(conn: Connection, library: FactorLibrary, edition: FactorEdition) -> bool:
    content_sha256 = edition_content_sha256(library, edition)
    stored = repository.edition_content_sha256(conn, edition.edition_id)
    if stored == content_sha256:
        return False
    if stored is not None:
        raise EditionAlreadyRegistered(edition.edition_id)
    repository.insert_edition(
        conn,
        {
            "edition_id": edition.edition_id,
            "valid_from": edition.valid_from,
            "valid_to": edition.valid_to,
            "description": edition.description,
            "tables_json": json.dumps(edition.tables, sort_keys=True),
            "content_sha256": content_sha256,
        },
    )
    return True


def record_factor_override(
    conn: Connection, campus_id: str, override: FactorOverride, evidence_sha256: str | None = None
) -> bool:
    """Store an override (who, why, evidence); the same again is a no-op, a different one with its id a Conflict."""
    stored = repository.override_row(conn, override.override_id)
    if stored is None:
        repository.insert_override(conn, campus_id, override, evidence_sha256)
        return True
    requested = {
        "campus_id": campus_id,
        "evidence_sha256": evidence_sha256,
        **repository.override_params(override),
    }
    # numeric(30,12) gives back trailing zeros: compare values as numbers, everything else as stored.
    differs = [
        name
        for name, value in requested.items()
        if (stored[name].compare(value) != 0 if name == "value" else stored[name] != value)
    ]
    if differs:
        raise Conflict(f"override {override.override_id} is already recorded with other {', '.join(differs)}")
    return False


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


@dataclass(frozen=True)
class RecordOutcome:
    """`status`: `recorded` (first version), `unchanged` (same result again), `restated` (new version + delta)."""

    status: str
    version: int
    delta: EmissionsDelta | None


def record_cycle_emissions(
    conn: Connection, campus_id: str, cycle_key: str, emissions: CycleEmissions, reason: str
) -> RecordOutcome:
    """Store the cycle's result as a new version when it differs from the latest; return the restatement delta.

    The factor library is registered first (a no-op when it already is), so the stored result always points at a
    stored edition.
    """
    if repository.edition_content_sha256(conn, emissions.factor_edition) is None:
        register_factor_library(conn)
    latest = repository.latest_result(conn, cycle_key)
    if latest is not None and latest[2] == emissions.sha256():
        return RecordOutcome("unchanged", latest[0], None)
    version = 1 if latest is None else latest[0] + 1
    repository.insert_result(
        conn,
        {
            "cycle_key": cycle_key,
            "version": version,
            "campus_id": campus_id,
            "factor_edition": emissions.factor_edition,
            "gwp_set": emissions.gwp_set,
            "period_start_utc": emissions.period_start_utc,
            "period_end_utc": emissions.period_end_utc,
            "result_json": emissions.to_json(),
            "result_sha256": emissions.sha256(),
            "intervals_file_sha256": emissions.inputs["intervals_file_sha256"],
            "reason": reason,
        },
    )
    if latest is None:
        return RecordOutcome("recorded", version, None)
    return RecordOutcome(
        "restated", version, restatement_delta(CycleEmissions.from_json(latest[1]), emissions, campus_id)
    )


def cycle_emissions(conn: Connection, cycle_key: str, version: int | None = None) -> CycleEmissions:
    """A stored result: the latest version, or the one named."""
    if version is None:
        latest = repository.latest_result(conn, cycle_key)
        text_json = latest[1] if latest else None
    else:
        text_json = repository.result_json(conn, cycle_key, version)
    if text_json is None:
        raise NotFound(
            f"no emissions recorded for cycle {cycle_key}" + (f" version {version}" if version else "")
        )
    return CycleEmissions.from_json(text_json)


def compute_campus_cycle(
    conn: Connection,
    campus_id: str,
    intervals_uri: str,
    campus_egrid_subregion: str | None,
    period_start_utc: datetime,
    period_end_utc: datetime,
    factor_edition: str | None = None,
    options: EmissionOptions | None = None,
) -> CycleEmissions:
    """Compute with the campus's meters, stored overrides and claimed certificates from the database.

    `campus_egrid_subregion` None takes the campus's configured subregion.
    """
    options = options or EmissionOptions()
    subregion = campus_egrid_subregion or repository.campus_egrid_subregion(conn, campus_id)
    if subregion is None:
        raise NotFound(f"campus {campus_id} has no eGRID subregion configured")
    meters = repository.campus_meters(conn, campus_id)
    if not meters:
        raise NotFound(f"campus {campus_id} has no meters")
    options = replace(
        options,
        overrides=[*options.overrides, *repository.overrides_for_campus(conn, campus_id)],
        claims=[
            *options.claims,
            *repository.claims_overlapping(conn, campus_id, period_start_utc, period_end_utc),
        ],
    )
    return compute_cycle_emissions(
        intervals_uri, meters, subregion, period_start_utc, period_end_utc, factor_edition, options=options
    )


def stored_cycle(conn: Connection, cycle_key: str, version: int | None = None) -> tuple[str, CycleEmissions]:
    """The campus and the stored result (latest version unless one is named)."""
    emissions = cycle_emissions(conn, cycle_key, version)
    campus_id = repository.result_campus_id(conn, cycle_key)
    assert campus_id is not None, "a stored result has a campus"
    return campus_id, emissions


def cycle_versions(conn: Connection, cycle_key: str) -> list[dict[str, object]]:
    versions = repository.result_versions(conn, cycle_key)
    if not versions:
        raise NotFound(f"no emissions recorded for cycle {cycle_key}")
    return versions


def list_factor_editions(conn: Connection) -> list[dict[str, object]]:
    return repository.list_editions(conn)


def restate_billing_cycle(
    conn: Connection,
    cycle_id: str,
    factor_edition: str | None,
    reason: str,
    options: EmissionOptions | None = None,
) -> RecordOutcome:
    """Recompute a settled billing cycle's emissions (new edition, new claims, corrected meters) and record it.

    Reads the cycle's period and validated intervals from the core `billing_cycle` / `cycle_step` rows. If the
    cycle's emissions were only kept in its `settle` step, that result is recorded first as version 1, so the
    delta returned is against what was settled and posted. Post `outcome.delta.ledger_legs` as a ledger
    adjustment of the settlement entry.
    """
    cycle = repository.billing_cycle(conn, cycle_id)
    validated = repository.cycle_step_result(conn, cycle_id, "validate")
    if cycle is None or not validated or "validated_uri" not in validated:
        raise NotFound(f"billing cycle {cycle_id} has no validated intervals")
    settled = _settled_emissions(conn, cycle_id)
    if repository.latest_result(conn, cycle_id) is None and settled is not None:
        record_cycle_emissions(conn, cycle["campus_id"], cycle_id, settled, "as settled")
    subregion = settled.campus_egrid_subregion if settled is not None else None
    emissions = compute_campus_cycle(
        conn,
        cycle["campus_id"],
        validated["validated_uri"],
        subregion,
        cycle["period_start_utc"],
        cycle["period_end_utc"],
        factor_edition,
        options,
    )
    return record_cycle_emissions(conn, cycle["campus_id"], cycle_id, emissions, reason)


def _settled_emissions(conn: Connection, cycle_id: str) -> CycleEmissions | None:
    settle = repository.cycle_step_result(conn, cycle_id, "settle") or {}
    stored = settle.get("emissions")
    if stored is None:
        return None
    return CycleEmissions.from_json(stored if isinstance(stored, str) else json.dumps(stored))
