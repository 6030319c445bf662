"""The checkpoint signing key: an Ed25519 key kept outside the database (a PEM file or the env).

`WATTLEDGER_LEDGER_SIGNING_KEY_PEM`, when set, holds the PEM text and wins over the file (for
deployments that inject secrets as variables). A missing file is created with mode 0600; a file
readable by group or others is refused, as ssh refuses such private keys.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.errors import SigningKeyError
from ledger.signed_note import verifier_key_from_private

SIGNING_KEY_ENV = "WATTLEDGER_LEDGER_SIGNING_KEY_PEM"


def _from_pem(pem: bytes, where: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise SigningKeyError(f"{where} is not an unencrypted PEM private key") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{where} is not an Ed25519 key")
    return key


def create_signing_key(key_path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: never overwrite a key another process just created; 0600 from the first byte.
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return key


def load_signing_key(key_path: Path, create_if_missing: bool = True) -> Ed25519PrivateKey:
    pem_text = os.environ.get(SIGNING_KEY_ENV)
    if pem_text:
        return _from_pem(pem_text.encode(), SIGNING_KEY_ENV)
    if not key_path.exists():
        if not create_if_missing:
            raise SigningKeyError(f"{key_path} does not exist")
        try:
            return create_signing_key(key_path)
        except FileExistsError:
            pass  # created concurrently; read it below
    mode = key_path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SigningKeyError(f"{key_path} is accessible by group or others (mode {oct(mode & 0o777)}); chmod 600")
    return _from_pem(key_path.read_bytes(), str(key_path))


def ledger_vkey(origin: str, key_path: Path) -> str:
    """The verifier key (vkey) of the ledger `origin`'s signing key, read from the key file (or the PEM variable);
    no database needed. An auditor passes it to the verifier as `--vkey`."""
    return verifier_key_from_private(origin, load_signing_key(key_path, create_if_missing=False)).vkey
