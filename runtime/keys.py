"""The Ed25519 signing key for checkpoints and invoices lives outside the database, in a file.

On the embedded (dev) defaults the key is created on first start, readable only by its owner. In
production (`WATTLEDGER_ENV=prod`) a missing key is an error: it must be provisioned as a secret.
"""

from __future__ import annotations

from invoicing import generate_signing_key
from settings import Settings


def ensure_signing_key(settings: Settings) -> None:
    path = settings.signing_key_path
    if path.is_file():
        return
    if settings.env == "prod":
        raise RuntimeError(f"no signing key at {path}; provision WATTLEDGER_LEDGER_SIGNING_KEY_PATH")
    generate_signing_key(path)
