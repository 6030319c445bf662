"""Temporal payload codec: AES-256-GCM over every payload, with key ids so keys can rotate.

Workflow history lives in the Temporal server's database, which operators and the Web UI can read. Meter
data references, amounts and invoice numbers travel in payloads, so every client and worker encrypts them
before they leave the process. The server only ever stores ciphertext.

Encoded payload (one per original payload):
    metadata  encoding = "binary/encrypted", encryption-key-id = <key id>
    data      12-byte random nonce || AES-GCM(key, nonce, serialized original payload, aad = key id)

The key id is bound as associated data, so a payload cannot be relabelled to another key. Rotation: the
keyring file holds every key ever used and names the current one; new payloads use the current key, old
histories decrypt with the key their metadata names. An unknown key id or a tampered payload is an error.

A payload that is not encrypted is refused too: it can only come from a client without the keyring (the Temporal
CLI or Web UI pointed at the port, or a forger), so a worker never hands a workflow input nobody here sealed.
Refused means replaced by an empty payload of encoding `binary/unencrypted-refused`, which no converter reads:
the SDK then rejects such an update and drops such a signal (logging why), where raising here would fail the
workflow task again and again. Two exceptions, both opt-in: `accept_plaintext` for the codec server (it only displays history, and the SDK
writes a few plain payloads by design: `workflow.patched` markers and search attributes), and the setting
`payload_plaintext_accepted` for a deployment that turns encryption on while histories written before it are
still open (turn it off once they have closed).

Keyring file (JSON, owner-readable only):
    {"current_key_id": "k20261127a", "keys": {"k20261127a": "<base64 of 32 random bytes>"}}
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

from settings import Settings

ENCODING_ENCRYPTED = b"binary/encrypted"
# What an unencrypted payload decodes to: no payload converter knows this encoding, so nothing reads its content.
ENCODING_REFUSED = b"binary/unencrypted-refused"
METADATA_KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Bounds what one keyring may hold; rotation adds a key a year or so, never thousands.
KEYRING_KEYS_MAX = 256


class PayloadKeyError(ValueError):
    """The keyring is missing, malformed, or does not hold the key a payload names."""


@dataclass(frozen=True)
class Keyring:
    current_key_id: str
    keys: Mapping[str, bytes]

    def __post_init__(self) -> None:
        if not self.keys or len(self.keys) > KEYRING_KEYS_MAX:
            raise PayloadKeyError(f"a keyring holds 1 to {KEYRING_KEYS_MAX} keys, not {len(self.keys)}")
        for key_id, key in self.keys.items():
            if not KEY_ID_PATTERN.match(key_id):
                raise PayloadKeyError(f"key id {key_id!r} must match {KEY_ID_PATTERN.pattern}")
            if len(key) != KEY_BYTES:
                raise PayloadKeyError(f"key {key_id} has {len(key)} bytes; AES-256 needs {KEY_BYTES}")
        if self.current_key_id not in self.keys:
            raise PayloadKeyError(f"current key id {self.current_key_id!r} is not in the keyring")

    def to_json(self) -> str:
        keys = {key_id: base64.b64encode(key).decode() for key_id, key in self.keys.items()}
        return json.dumps({"current_key_id": self.current_key_id, "keys": keys}, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        try:
            raw = json.loads(text)
            keys = {str(key_id): base64.b64decode(value, validate=True) for key_id, value in raw["keys"].items()}
            return cls(current_key_id=str(raw["current_key_id"]), keys=keys)
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as error:
            # The message names the problem, never the key material.
            raise PayloadKeyError(f"keyring is not valid: {type(error).__name__}") from error


def new_key_id(now_utc: datetime | None = None) -> str:
    stamp = (now_utc or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    return f"k{stamp}{os.urandom(2).hex()}"


def load_keyring(path: Path) -> Keyring:
    try:
        return Keyring.from_json(path.read_text())
    except OSError as error:
        raise PayloadKeyError(f"cannot read payload keyring {path}: {error.strerror}") from error


def write_keyring(path: Path, keyring: Keyring) -> None:
    """Write atomically with mode 0600: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(keyring.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def generate_keyring(path: Path) -> Keyring:
    key_id = new_key_id()
    keyring = Keyring(current_key_id=key_id, keys={key_id: AESGCM.generate_key(bit_length=256)})
    write_keyring(path, keyring)
    return keyring


def rotate_keyring(path: Path) -> Keyring:
    """Add a fresh key and make it current; every older key stays so old histories still decrypt."""
    old = load_keyring(path)
    key_id = new_key_id()
    keyring = Keyring(current_key_id=key_id, keys={**old.keys, key_id: AESGCM.generate_key(bit_length=256)})
    write_keyring(path, keyring)
    return keyring


class EncryptionCodec(PayloadCodec):
    """AES-GCM payload codec over a `Keyring` (see the module docstring for the format)."""

    def __init__(self, keyring: Keyring, *, accept_plaintext: bool = False) -> None:
        self._keyring = keyring
        self._accept_plaintext = accept_plaintext
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keyring.keys.items()}

    @property
    def current_key_id(self) -> str:
        return self._keyring.current_key_id

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self._keyring.current_key_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(
            metadata={"encoding": ENCODING_ENCRYPTED, METADATA_KEY_ID: key_id.encode()},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING_ENCRYPTED:
            return payload if self._accept_plaintext else Payload(metadata={"encoding": ENCODING_REFUSED})
        key_id = payload.metadata.get(METADATA_KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadKeyError(f"payload encrypted with key id {key_id!r}, which this keyring does not hold")
        if len(payload.data) <= NONCE_BYTES:
            raise PayloadKeyError("encrypted payload is shorter than its nonce")
        try:
            plain = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], key_id.encode())
        except InvalidTag as error:
            raise PayloadKeyError(f"payload under key {key_id} failed authentication (altered?)") from error
        return Payload.FromString(plain)


def ensure_payload_keyring(settings: Settings) -> Keyring | None:
    """The keyring named by the settings; created on first use in dev, required in prod. None when off."""
    if not settings.payload_encryption:
        return None
    path = settings.payload_keyring_file
    if path.is_file():
        return load_keyring(path)
    if settings.env == "prod":
        raise PayloadKeyError(f"no payload keyring at {path}; provision WATTLEDGER_PAYLOAD_KEYRING_PATH")
    return generate_keyring(path)


def encrypted_data_converter(base: DataConverter, keyring: Keyring, *, accept_plaintext: bool = False) -> DataConverter:
    # Failure messages and stack traces can quote input (file names, values): encrypt them as well.
    codec = EncryptionCodec(keyring, accept_plaintext=accept_plaintext)
    return dataclasses.replace(
        base, payload_codec=codec, failure_converter_class=DefaultFailureConverterWithEncodedAttributes
    )
