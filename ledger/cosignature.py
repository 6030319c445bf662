"""C2SP tlog-cosignature/v1 with Ed25519: what a witness signs over a checkpoint, and how it is checked.

Standard library and `cryptography` only, so the standalone verifier can check witnesses' cosignatures.

A cosignature is one more signature line on the checkpoint note, `— <witness name> base64(key id (4 bytes) ||
timestamp (8 bytes, big-endian seconds since the epoch) || Ed25519 signature (64 bytes))`. The key id is the first
four bytes of SHA-256(name || 0x0A || 0x04 || public key): type 0x04, not the 0x01 of a log's own signature, so a
witness key can never pass for the ledger's key or the other way round. The signed message is
`cosignature/v1\\ntime <timestamp>\\n` followed by the checkpoint body (its text before the signature lines).
A cosignature says: at that time, this was the largest tree of the log the witness had seen consistent.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.signed_note import (
    SIGNATURE_LINE_PREFIX,
    NoteError,
    check_key_name,
    key_id_for,
    parse_signature_line,
    parse_typed_vkey,
)

COSIGNATURE_TYPE_ED25519 = 0x04
COSIGNATURE_HEADER = "cosignature/v1\n"
TIMESTAMP_MAX = 2**63 - 1
COSIGNATURE_BYTES = 4 + 8 + 64


@dataclass(frozen=True)
class CosignerKey:
    """A witness's public key as a verifier knows it: its name, key id and Ed25519 key."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([COSIGNATURE_TYPE_ED25519]) + self.public_key.public_bytes_raw()).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


def cosigner_key_id(name: str, public_key_raw: bytes) -> bytes:
    return key_id_for(name, public_key_raw, COSIGNATURE_TYPE_ED25519)


def cosigner_key_from_private(name: str, private_key: Ed25519PrivateKey) -> CosignerKey:
    check_key_name(name, "witness name")
    public_key = private_key.public_key()
    return CosignerKey(name, cosigner_key_id(name, public_key.public_bytes_raw()), public_key)


def parse_cosigner_vkey(vkey: str) -> CosignerKey:
    """`name+hex key id+base64(0x04 || 32-byte key)`."""
    return CosignerKey(*parse_typed_vkey(vkey, COSIGNATURE_TYPE_ED25519, "witness key"))


def cosigned_message(body: str, timestamp: int) -> bytes:
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{body}".encode()


def cosign(body: str, name: str, private_key: Ed25519PrivateKey, timestamp: int) -> str:
    """The signature line (ending in a newline) a witness adds to the checkpoint whose body is `body`."""
    if not 0 <= timestamp <= TIMESTAMP_MAX:
        raise NoteError(f"timestamp {timestamp} out of range")
    key = cosigner_key_from_private(name, private_key)
    signature = private_key.sign(cosigned_message(body, timestamp))
    payload = base64.b64encode(key.key_id + timestamp.to_bytes(8, "big") + signature).decode()
    return f"{SIGNATURE_LINE_PREFIX}{name} {payload}\n"


def split_note(note: str) -> tuple[str, list[str]]:
    """(body, signature lines) of a signed note."""
    split_at = note.find("\n\n")
    if split_at < 0 or not note.endswith("\n"):
        raise NoteError("note has no blank line before its signatures")
    return note[: split_at + 1], note[split_at + 2 :].splitlines()


def verify_cosignature(note: str, key: CosignerKey) -> int:
    """The timestamp of `key`'s valid cosignature on `note`; NoteError when there is none or it does not verify."""
    body, lines = split_note(note)
    for line in lines:
        name, blob = parse_signature_line(line)
        if name != key.name or blob[:4] != key.key_id:
            continue
        if len(blob) != COSIGNATURE_BYTES:
            raise NoteError(f"cosignature by {name} is not 76 bytes")
        timestamp = int.from_bytes(blob[4:12], "big")
        if timestamp > TIMESTAMP_MAX:
            raise NoteError(f"cosignature by {name} has a timestamp beyond 2^63-1")
        try:
            key.public_key.verify(blob[12:], cosigned_message(body, timestamp))
        except InvalidSignature as error:
            raise NoteError(f"cosignature by witness {name} does not verify") from error
        return timestamp
    raise NoteError(f"no cosignature by witness {key.name}")
