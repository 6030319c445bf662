"""Campus service: plan, apply, show, history and export of campus documents. What the CLI and the API call.

`apply` is atomic (one transaction: the version row and the projection commit together or not at all) and
idempotent (the same document again changes nothing and returns the version already applied).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import tomli_w
from sqlalchemy import Connection, Engine

from campus import repository as repo
from campus.errors import CampusChangeRefused, CampusNotFound
from campus.file import CampusDocument
from campus.plan import Change, plan_changes
from campus.projection import project


@dataclass(frozen=True)
class ApplyResult:
    campus_id: str
    version: int
    document_sha256_hex: str
    applied: bool
    """False when the same document was already the latest version (nothing written)."""
    changes: list[str] = field(default_factory=list)


def plan(conn: Connection, document: CampusDocument) -> list[Change]:
    """The changes applying `document` would make; raises CampusChangeRefused if it would rewrite history."""
    return _changes(repo.latest_version(conn, document.campus_id), document)


def _changes(latest: tuple[int, str, dict[str, Any]] | None, document: CampusDocument) -> list[Change]:
    if latest is not None and latest[1] == document.sha256_hex:
        return []
    result = plan_changes(None if latest is None else latest[2], document.document)
    if result.refusals:
        raise CampusChangeRefused(f"{document.source_name}: " + "; ".join(result.refusals))
    return result.changes


def apply(engine: Engine, document: CampusDocument, applied_by: str) -> ApplyResult:
    with engine.begin() as conn:
        return apply_in(conn, document, applied_by)


def apply_in(conn: Connection, document: CampusDocument, applied_by: str) -> ApplyResult:
    """`apply` inside the caller's transaction (the version row and the projection commit with it)."""
    repo.lock_campus(conn, document.campus_id)
    latest = repo.latest_version(conn, document.campus_id)
    if latest is not None and latest[1] == document.sha256_hex:
        return ApplyResult(document.campus_id, latest[0], document.sha256_hex, applied=False)
    changes = _changes(latest, document)
    project(conn, document.document)
    version = 1 if latest is None else latest[0] + 1
    repo.insert_version(conn, document.campus_id, version, document.document, document.sha256_hex,
                        document.source_name, applied_by)
    return ApplyResult(document.campus_id, version, document.sha256_hex, True, [str(c) for c in changes])


def show(conn: Connection, campus_id: str, version: int | None = None) -> dict[str, Any]:
    """The applied document (latest, or `version`) with its version number and sha256."""
    history = repo.version_history(conn, campus_id)
    if not history:
        raise CampusNotFound(campus_id)
    entry = history[-1] if version is None else next((h for h in history if h["version"] == version), None)
    if entry is None:
        raise CampusNotFound(f"{campus_id} v{version}")
    document = repo.load_version(conn, campus_id, entry["version"])
    assert document is not None
    return {"campus_id": campus_id, "version": entry["version"], "document_sha256_hex": entry["document_sha256_hex"],
            "applied_by": entry["applied_by"], "applied_at_utc": entry["applied_at_utc"], "document": document}


def list_campuses(conn: Connection) -> list[dict[str, Any]]:
    """Every registered campus with its latest applied version (None for one registered without a file)."""
    return [{"campus_id": campus.campus_id, "name": campus.name, "iso": campus.iso, "time_zone": campus.time_zone,
             "version": repo.latest_version_number(conn, campus.campus_id)} for campus in repo.list_campuses(conn)]


def history(conn: Connection, campus_id: str) -> list[dict[str, Any]]:
    entries = repo.version_history(conn, campus_id)
    if not entries:
        raise CampusNotFound(campus_id)
    return entries


def export_toml(conn: Connection, campus_id: str, version: int | None = None) -> str:
    """The applied document as a campus file; applying it again changes nothing."""
    return tomli_w.dumps(show(conn, campus_id, version)["document"])
