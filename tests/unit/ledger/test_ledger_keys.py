"""The checkpoint signing key lives outside the database: a 0600 PEM file created on first use, or
PEM text in the environment; a key file others can read is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.errors import SigningKeyError
from ledger.keys import SIGNING_KEY_ENV, load_signing_key


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


def test_missing_key_file_is_created_private_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """First use creates the PEM with mode 0600; the second load returns the same key."""
    monkeypatch.delenv(SIGNING_KEY_ENV, raising=False)
    path = tmp_path / "keys" / "ledger.pem"
    first = load_signing_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert _raw_public(load_signing_key(path)) == _raw_public(first)


def test_key_file_readable_by_others_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Like ssh, a private key with group or other permissions is not used."""
    monkeypatch.delenv(SIGNING_KEY_ENV, raising=False)
    path = tmp_path / "ledger.pem"
    load_signing_key(path)
    path.chmod(0o644)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        load_signing_key(path)


def test_key_from_the_environment_wins_over_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """WATTLEDGER_LEDGER_SIGNING_KEY_PEM holds the key; no file is created or read."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    monkeypatch.setenv(SIGNING_KEY_ENV, pem)
    path = tmp_path / "never.pem"
    assert _raw_public(load_signing_key(path)) == _raw_public(key)
    assert not path.exists()
    monkeypatch.setenv(SIGNING_KEY_ENV, "not a key")
    with pytest.raises(SigningKeyError):
        load_signing_key(path)
