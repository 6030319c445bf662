"""Publish signed checkpoints outside the database: witnesses' cosignatures, then an append-only folder of notes.

After a transaction that signed a checkpoint commits, `publish_checkpoints` takes every checkpoint newer than
the last one published and, oldest first:

1. for the newest of them (a cosignature on it vouches for every prefix), asks each configured witness to cosign it (C2SP tlog-witness `add-checkpoint`, ledger/witness.py), sending
   the RFC 6962 consistency proof from the size the witness last cosigned (learnt from its 409 answer when it
   differs from ours), and keeps each cosignature line that verifies with that witness's configured key;
2. writes `<folder>/<quoted origin>/<tree size>.note`: the checkpoint note with the ledger's signature and the
   witnesses' cosignature lines. A file is created once (O_EXCL) and never rewritten.

Before filing anything, the ledger must still extend the last note filed (its first entries give the filed
root); otherwise `PublishedCheckpointNotExtended` is raised (logged as an error after a step's commit) and
nothing more is filed over a cut or rewritten ledger. The witnesses refuse such a ledger on their own.

Only committed checkpoints are published: a witness must never hold a root the ledger then rolls back. A witness
that is down, or refuses, costs its cosignature on this checkpoint only (logged); the next checkpoint it cosigns
extends this one, and the publishing of the next batch catches up any checkpoint whose note is missing.
"""

from __future__ import annotations

import base64
import logging
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Connection, Engine

from ledger import repository as repo
from ledger.checkpoint import Checkpoint, leaf_hashes, list_checkpoints
from ledger.cosignature import parse_cosigner_vkey, split_note, verify_cosignature
from ledger.errors import PublishedCheckpointNotExtended
from ledger.merkle import consistency_proof, root_hash
from ledger.signed_note import NoteError, parse_checkpoint_body

log = logging.getLogger(__name__)

CHECKPOINTS_PER_PUBLISH_MAX = 1000
WITNESS_TIMEOUT_S = 10.0
NOTE_SUFFIX = ".note"


@dataclass(frozen=True)
class Published:
    tree_size: int
    path: Path | None
    witnesses: tuple[str, ...]  # names of the witnesses whose cosignature the note carries


def origin_folder(directory: Path, origin: str) -> Path:
    return directory / urllib.parse.quote(origin, safe="")


def published_sizes(directory: Path, origin: str) -> list[int]:
    folder = origin_folder(directory, origin)
    if not folder.is_dir():
        return []
    names = (path.name.removesuffix(NOTE_SUFFIX) for path in folder.glob(f"*{NOTE_SUFFIX}"))
    return sorted(int(name) for name in names if name.isdigit())


def publish_checkpoints_after_commit(engine: Engine, origin: str, directory: Path | None,
                                     witnesses: Mapping[str, str]) -> list[Published]:
    """`publish_checkpoints` on a connection of its own; never raises (the step's entries and checkpoint are
    committed): an unreachable witness or a full disk is a warning (the next publish catches up), a ledger that no
    longer extends the published notes an error in the log (and `wattledger ledger publish` exits 1 on it)."""
    try:
        with engine.connect() as conn:
            return publish_checkpoints(conn, origin, directory, witnesses)
    except (OSError, httpx.HTTPError) as error:
        log.warning("ledger %s: checkpoint publishing failed (will catch up with the next): %s", origin, error)
        return []
    except PublishedCheckpointNotExtended as error:
        # The business step committed and stays committed; what it cannot do is vouch for this ledger outside.
        log.error("%s", error)
        return []


def publish_checkpoints(conn: Connection, origin: str, directory: Path | None,
                        witnesses: Mapping[str, str]) -> list[Published]:
    """Publish the checkpoints of `origin` newer than the last published note (see the module docstring)."""
    if directory is None and not witnesses:
        return []
    ledger_id = repo.ledger_id_for(conn, origin)
    newest = list_checkpoints(conn, ledger_id, CHECKPOINTS_PER_PUBLISH_MAX)
    done = published_sizes(directory, origin) if directory is not None else []
    last_published = done[-1] if done else 0
    pending = sorted((c for c in newest if c.tree_size > last_published), key=lambda c: c.tree_size)
    if directory is None:
        pending = pending[-1:]  # no folder to catch up: the witnesses get the newest
    signed_size = newest[0].tree_size if newest else 0
    if not pending and signed_size >= last_published:
        return []
    leaves = leaf_hashes(conn, ledger_id, max(signed_size, last_published))
    if directory is not None and done:
        _check_extends_published(origin, directory, last_published, leaves)
    results = []
    with httpx.Client(timeout=WITNESS_TIMEOUT_S) as http:
        for checkpoint in pending:
            lines, names = [], []
            # Only the newest goes to the witnesses: its cosignature vouches for every prefix, so a transaction
            # that signed many checkpoints (a correction's rebills) costs each witness one request.
            for url, vkey in witnesses.items() if checkpoint is pending[-1] else ():
                try:
                    line = request_cosignature(http, url, vkey, checkpoint, leaves, last_published)
                except (httpx.HTTPError, httpx.InvalidURL, NoteError) as error:
                    # Down, unreachable or misconfigured: this note goes without its cosignature (logged).
                    log.warning("witness %s: no cosignature on checkpoint %d: %s", url, checkpoint.tree_size, error)
                    continue
                if line is not None:
                    lines.append(line)
                    names.append(parse_cosigner_vkey(vkey).name)
            note = checkpoint.signed_note + "".join(lines)
            path = None if directory is None else write_note(directory, origin, checkpoint.tree_size, note)
            results.append(Published(checkpoint.tree_size, path, tuple(names)))
            last_published = checkpoint.tree_size
    return results


def _check_extends_published(origin: str, directory: Path, size: int, leaves: list[bytes]) -> None:
    """Refuse to file a checkpoint of a ledger that no longer extends the last note filed (our own folder: its
    root is read, its signature was ours)."""
    path = origin_folder(directory, origin) / f"{size}{NOTE_SUFFIX}"
    try:
        body, _ = split_note(path.read_text(encoding="utf-8"))
        _, filed_size, filed_root = parse_checkpoint_body(body)
    except (NoteError, UnicodeDecodeError) as error:
        raise PublishedCheckpointNotExtended(origin, str(path), f"unreadable: {error}") from error
    if filed_size > len(leaves):
        raise PublishedCheckpointNotExtended(origin, str(path), f"the ledger has fewer than {filed_size} entries")
    if root_hash(leaves[:filed_size]) != filed_root:
        raise PublishedCheckpointNotExtended(origin, str(path), f"its first {filed_size} entries give another root")


def request_cosignature(http: httpx.Client, url: str, vkey: str, checkpoint: Checkpoint, leaves: list[bytes],
                        old_size_guess: int) -> str | None:
    """The witness's verified cosignature line for `checkpoint`, or None (logged) when it gives none."""
    key = parse_cosigner_vkey(vkey)
    old_size = old_size_guess
    for _ in range(2):  # a 409 names the size the witness holds: one retry from there
        if old_size > checkpoint.tree_size:
            log.warning("witness %s holds size %d, beyond checkpoint %d", key.name, old_size, checkpoint.tree_size)
            return None
        proof = consistency_proof(leaves[: checkpoint.tree_size], old_size) if old_size else []
        request = f"old {old_size}\n" + "".join(base64.b64encode(node).decode() + "\n" for node in proof)
        response = http.post(url.rstrip("/") + "/add-checkpoint", content=request + "\n" + checkpoint.signed_note)
        if response.status_code == 409 and response.headers.get("content-type", "").startswith("text/x.tlog.size"):
            held = response.text.strip()
            if not held.isdigit():
                break
            old_size = int(held)
            continue
        if response.status_code != 200:
            log.warning("witness %s refused checkpoint %d: %d %s", key.name, checkpoint.tree_size,
                        response.status_code, response.text.strip())
            return None
        cosignatures = [line + "\n" for line in response.text.splitlines() if line]
        for line in cosignatures:
            try:
                verify_cosignature(checkpoint.signed_note + line, key)
            except NoteError:
                continue
            return line
        log.warning("witness %s answered checkpoint %d without a cosignature that verifies with %s",
                    key.name, checkpoint.tree_size, vkey)
        return None
    log.warning("witness %s did not agree on an old size for checkpoint %d", key.name, checkpoint.tree_size)
    return None


def write_note(directory: Path, origin: str, tree_size: int, note: str) -> Path | None:
    """Create `<origin folder>/<tree_size>.note` once; an existing file is left as it is (another publisher)."""
    folder = origin_folder(directory, origin)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{tree_size}{NOTE_SUFFIX}"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return None
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(note)
        handle.flush()
        os.fsync(handle.fileno())
    return path
