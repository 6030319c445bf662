"""A witness of the project's own: the C2SP tlog-witness `add-checkpoint` endpoint over HTTP.

`wattledger witness serve` runs it with its own Ed25519 key and state file under its own home (never the ledger's
key or database). For each log it trusts (an origin and the log's verifier keys) it remembers the largest
checkpoint it cosigned: size and root. A request is

    old <size the witness last cosigned>\\n
    <zero or more consistency proof hashes, base64, one per line>\\n
    \\n
    <the signed checkpoint note>

and the witness answers, as the protocol says: 404 for an unknown origin, 403 when no trusted log key signed the
note, 400 for a malformed request or an old size above the new one, 409 (body `<stored size>\\n`, content type
`text/x.tlog.size`) when `old` is not the size it stored, 409 when the size is the stored one but the root is not,
422 when the RFC 6962 consistency proof from the stored root to the new root does not verify. Otherwise it stores
the new size and root (written to a temporary file, synced and renamed, before it answers) and returns its
cosignature line (ledger/cosignature.py). The check and the update happen under one lock, so two concurrent
requests cannot roll the stored size back.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import stat
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.cosignature import CosignerKey, cosign, cosigner_key_from_private, split_note
from ledger.merkle import ProofError, verify_consistency
from ledger.signed_note import NoteError, VerifierKey, open_note, parse_checkpoint_body, parse_vkey

log = logging.getLogger(__name__)

KEY_FILE = "witness-ed25519.pem"
STATE_FILE = "state.json"
REQUEST_BYTES_MAX = 64 * 1024
PROOF_LINES_MAX = 63
OLD_LINE = re.compile(r"^old (0|[1-9][0-9]{0,18})$")
SIZE_CONTENT_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def load_or_create_witness_key(home: Path) -> Ed25519PrivateKey:
    """`<home>/witness-ed25519.pem`, created 0600 on first use; a file group or others can read is refused."""
    key_path = home / KEY_FILE
    if not key_path.exists():
        home.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # created concurrently: read it below
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
            return key
    mode = key_path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PermissionError(f"{key_path} is accessible by group or others (mode {oct(mode & 0o777)}); chmod 600")
    loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise TypeError(f"{key_path} is not an Ed25519 key")
    return loaded


@dataclass
class Witness:
    """The witness's name, key, trusted logs (origin -> verifier keys) and state file."""

    name: str
    private_key: Ed25519PrivateKey
    logs: Mapping[str, Sequence[VerifierKey]]
    state_path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def at_home(cls, home: Path, name: str, log_vkeys: Sequence[str]) -> Witness:
        logs: dict[str, list[VerifierKey]] = {}
        for vkey in log_vkeys:
            key = parse_vkey(vkey)  # a log's key is named by its origin
            logs.setdefault(key.name, []).append(key)
        return cls(name, load_or_create_witness_key(home), logs, home / STATE_FILE)

    @property
    def key(self) -> CosignerKey:
        return cosigner_key_from_private(self.name, self.private_key)

    def stored(self, origin: str) -> tuple[int, bytes | None]:
        """(size, root) of the largest checkpoint of `origin` this witness cosigned; (0, None) before the first."""
        record = self._read_state().get(origin)
        if record is None:
            return 0, None
        return int(str(record["size"])), base64.b64decode(str(record["root"]))

    def _read_state(self) -> dict[str, dict[str, object]]:
        if not self.state_path.exists():
            return {}
        state: dict[str, dict[str, object]] = json.loads(self.state_path.read_text())
        return state

    def _write_state(self, state: dict[str, dict[str, object]]) -> None:
        temporary = self.state_path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(json.dumps(state, sort_keys=True, indent=1) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.state_path)

    def add_checkpoint(self, request: bytes, now_s: int | None = None) -> Answer:
        try:
            text = request.decode("utf-8")
        except UnicodeDecodeError:
            return Answer(400, "request is not UTF-8\n")
        parsed = _parse_request(text)
        if isinstance(parsed, Answer):
            return parsed
        old_size, proof, note = parsed
        body, _ = split_note(note)
        try:
            origin, size, root = parse_checkpoint_body(body)
        except NoteError as error:
            return Answer(400, f"checkpoint: {error}\n")
        keys = self.logs.get(origin)
        if keys is None:
            return Answer(404, f"unknown log {origin}\n")
        try:
            open_note(note, list(keys))
        except NoteError as error:
            return Answer(403, f"checkpoint signature: {error}\n")
        if old_size > size:
            return Answer(400, f"old size {old_size} is above the checkpoint size {size}\n")
        with self._lock:  # check and persist atomically
            state = self._read_state()
            record = state.get(origin)
            stored_size = 0 if record is None else int(str(record["size"]))
            stored_root = None if record is None else base64.b64decode(str(record["root"]))
            if old_size != stored_size:
                return Answer(409, f"{stored_size}\n", SIZE_CONTENT_TYPE)
            if old_size == size and stored_root is not None and stored_root != root:
                return Answer(409, f"size {size} was cosigned with another root\n")
            if old_size == 0 and proof:
                return Answer(400, "the proof must be empty when the old size is 0\n")
            if old_size > 0 and stored_root is not None:
                try:
                    verify_consistency(old_size, size, proof, stored_root, root)
                except ProofError as error:
                    log.warning("witness: %s %d -> %d refused: %s", origin, old_size, size, error)
                    return Answer(422, f"consistency proof {old_size} -> {size}: {error}\n")
            state[origin] = {"size": size, "root": base64.b64encode(root).decode()}
            self._write_state(state)
        timestamp = int(time.time()) if now_s is None else now_s
        return Answer(200, cosign(body, self.name, self.private_key, timestamp))


def _parse_request(text: str) -> tuple[int, list[bytes], str] | Answer:
    split_at = text.find("\n\n")
    if split_at < 0:
        return Answer(400, "request needs an old size line, proof lines, an empty line and the checkpoint\n")
    lines, note = text[:split_at].split("\n"), text[split_at + 2 :]
    matched = OLD_LINE.match(lines[0])
    if matched is None:
        return Answer(400, "first line must be `old <size>`\n")
    if len(lines) - 1 > PROOF_LINES_MAX:
        return Answer(400, f"more than {PROOF_LINES_MAX} consistency proof lines\n")
    proof: list[bytes] = []
    for line in lines[1:]:
        try:
            node = base64.b64decode(line, validate=True)
        except binascii.Error:
            node = b""
        if len(node) != 32:
            return Answer(400, "a consistency proof line is not a base64 SHA-256 hash\n")
        proof.append(node)
    if not note.endswith("\n") or "\n\n" not in note:
        return Answer(400, "checkpoint note is malformed\n")
    return int(matched.group(1)), proof, note


class _Handler(BaseHTTPRequestHandler):
    witness: Witness

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/add-checkpoint":
            self._answer(Answer(404, "not found\n"))
            return
        length_text = self.headers.get("Content-Length", "")
        if not length_text.isdigit() or int(length_text) > REQUEST_BYTES_MAX:
            self._answer(Answer(413 if length_text.isdigit() else 411, "request too large or without a length\n"))
            return
        try:
            answer = self.witness.add_checkpoint(self.rfile.read(int(length_text)))
        except (OSError, ValueError) as error:  # an unreadable or unwritable state file: cosign nothing
            log.error("witness: state %s: %s", self.witness.state_path, error)
            answer = Answer(500, "witness state unavailable\n")
        self._answer(answer)

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("", "/key"):
            self._answer(Answer(200, self.witness.key.vkey + "\n"))
        else:
            self._answer(Answer(404, "not found\n"))

    def _answer(self, answer: Answer) -> None:
        payload = answer.body.encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        log.info("witness: " + format, *args)


def witness_server(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server answering `POST /add-checkpoint` (and `GET /key`: the witness's vkey); call serve_forever."""
    handler = type("WitnessHandler", (_Handler,), {"witness": witness})
    return ThreadingHTTPServer((host, port), handler)
