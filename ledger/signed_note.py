"""C2SP signed notes with Ed25519 (type 0x01) and tlog checkpoints. Stdlib + `cryptography` only.

A note is text ending in a newline, a blank line, then one line per signature:
`— <key name> base64(key id (4 bytes) || signature (64 bytes))`. The key id is the first four bytes of
SHA-256(key name || 0x0A || 0x01 || public key). Verifier keys are written `name+hex(key id)+base64(0x01 ||
public key)`. Unknown keys are ignored; a bad signature from a known key rejects the note.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIGNATURE_TYPE_ED25519 = 0x01
SIGNATURE_LINE_PREFIX = "\u2014 "  # em dash and a space, as C2SP writes it


class NoteError(ValueError):
    """A note, checkpoint or verifier key that is malformed or does not verify."""


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    @property
    def vkey(self) -> str:
        raw = self.public_key.public_bytes_raw()
        encoded = base64.b64encode(bytes([SIGNATURE_TYPE_ED25519]) + raw).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


def key_id_for(name: str, public_key_raw: bytes, key_type: int = SIGNATURE_TYPE_ED25519) -> bytes:
    """First four bytes of SHA-256(name || 0x0A || type || public key): C2SP's key id for every key type."""
    digest_input = name.encode() + b"\n" + bytes([key_type]) + public_key_raw
    return hashlib.sha256(digest_input).digest()[:4]


def check_key_name(name: str, what: str = "key name") -> None:
    if not name or any(ch in name for ch in "+ \n") or not name.isprintable():
        raise NoteError(f"{what} {name!r} must be non-empty, printable, without '+' or spaces")


def verifier_key_from_private(name: str, private_key: Ed25519PrivateKey) -> VerifierKey:
    check_key_name(name)
    public_key = private_key.public_key()
    return VerifierKey(name, key_id_for(name, public_key.public_bytes_raw()), public_key)


def parse_typed_vkey(vkey: str, key_type: int, what: str) -> tuple[str, bytes, Ed25519PublicKey]:
    """(name, key id, public key) of `name+hex(key id)+base64(type || 32-byte key)`, checked for `key_type`."""
    parts = vkey.strip().split("+", 2)  # the base64 key itself may contain '+'
    if len(parts) != 3:
        raise NoteError(f"{what} {vkey!r} is not name+keyid+key")
    name, key_id_hex, encoded = parts
    check_key_name(name, f"{what} name")
    try:
        key_id, blob = bytes.fromhex(key_id_hex), base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error) as error:
        raise NoteError(f"{what} {vkey!r} is not valid hex/base64") from error
    if len(blob) != 33 or blob[0] != key_type:
        raise NoteError(f"{what} {vkey!r} is not an Ed25519 key of type 0x{key_type:02x}")
    if key_id_for(name, blob[1:], key_type) != key_id:
        raise NoteError(f"{what} {vkey!r} has a key id that does not match its key")
    return name, key_id, Ed25519PublicKey.from_public_bytes(blob[1:])


def parse_vkey(vkey: str) -> VerifierKey:
    return VerifierKey(*parse_typed_vkey(vkey, SIGNATURE_TYPE_ED25519, "verifier key"))


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    if not text.endswith("\n") or "\n\n" in text:
        raise NoteError("note text must end with one newline and contain no blank line")
    key = verifier_key_from_private(name, private_key)
    signature = private_key.sign(text.encode())
    payload = base64.b64encode(key.key_id + signature).decode()
    return f"{text}\n{SIGNATURE_LINE_PREFIX}{name} {payload}\n"


def open_note(note: str, known_keys: list[VerifierKey]) -> tuple[str, list[VerifierKey]]:
    """Return (text, keys that verified). Raises NoteError unless at least one known key verifies."""
    split_at = note.rfind("\n\n")
    if split_at < 0 or not note.endswith("\n"):
        raise NoteError("note has no blank line before its signatures")
    text, signature_block = note[: split_at + 1], note[split_at + 2 :]
    verified: list[VerifierKey] = []
    for line in signature_block.splitlines():
        key = _check_signature_line(text, line, known_keys)
        if key is not None:
            verified.append(key)
    if not verified:
        raise NoteError("no known key signed this note")
    return text, verified


def parse_signature_line(line: str) -> tuple[str, bytes]:
    """(key name, decoded signature blob) of one `— <name> <base64>` line, of either signature type."""
    if not line.startswith(SIGNATURE_LINE_PREFIX) or line.count(" ") != 2:
        raise NoteError(f"malformed signature line {line!r}")
    name, payload = line[len(SIGNATURE_LINE_PREFIX) :].split(" ")
    try:
        return name, base64.b64decode(payload, validate=True)
    except binascii.Error as error:
        raise NoteError(f"signature line {line!r} is not base64") from error


def _check_signature_line(text: str, line: str, known_keys: list[VerifierKey]) -> VerifierKey | None:
    name, blob = parse_signature_line(line)
    if len(blob) < 5:
        raise NoteError(f"signature line {line!r} is too short")
    for key in known_keys:
        if key.name == name and key.key_id == blob[:4]:
            try:
                key.public_key.verify(blob[4:], text.encode())
            except InvalidSignature as error:
                raise NoteError(f"signature by known key {name} does not verify") from error
            return key
    return None  # unknown keys are ignored, which is what allows rotation and cosigning


def checkpoint_body(origin: str, tree_size: int, root: bytes) -> str:
    return f"{origin}\n{tree_size}\n{base64.b64encode(root).decode()}\n"


def parse_checkpoint_body(text: str) -> tuple[str, int, bytes]:
    """(origin, tree size, root) from a tlog-checkpoint body; extension lines are refused."""
    lines = text.split("\n")
    if len(lines) != 4 or lines[3] != "":
        raise NoteError("checkpoint body must be exactly origin, size and root lines")
    origin, size_text, root_text = lines[:3]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise NoteError(f"checkpoint size {size_text!r} is not a decimal without leading zeros")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error as error:
        raise NoteError("checkpoint root is not base64") from error
    if len(root) != 32:
        raise NoteError("checkpoint root is not 32 bytes")
    return origin, int(size_text), root
