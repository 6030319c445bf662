"""The Ed25519 keys live outside the database, in files: the ledger's (checkpoints and invoices) and the approval
key (finance decisions, which the API signs and the worker's workflows verify: workflows/approvals.py).

On the embedded (dev) defaults a key is created on first start, readable only by its owner. In production
(`WATTLEDGER_ENV=prod`) a missing key is an error: it must be provisioned as a secret. The worker needs only the
approval key's public half (`WATTLEDGER_APPROVAL_PUBLIC_KEY_PATH`); the API and the CLI that decide need the key.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from invoicing import generate_signing_key, load_public_key, load_signing_key
from settings import Settings
from workflows.approvals import Signed, sign_decision


def ensure_signing_key(settings: Settings) -> None:
    """The ledger's key and the approval key (or, where only decisions are verified, its public half), created on
    the dev defaults."""
    public_only = settings.approval_public_key_path is not None and settings.approval_public_key_path.is_file()
    for path, variable in ((settings.signing_key_path, "WATTLEDGER_LEDGER_SIGNING_KEY_PATH"),
                           (settings.approval_key_path, "WATTLEDGER_APPROVAL_SIGNING_KEY_PATH")):
        if path.is_file() or (public_only and path == settings.approval_key_path):
            continue
        if settings.env == "prod":
            raise RuntimeError(f"no signing key at {path}; provision {variable}")
        generate_signing_key(path)


def trusted_approval_key(settings: Settings) -> Ed25519PublicKey:
    """The public key the worker believes finance decisions from."""
    return load_public_key(settings.approval_public_key_path or settings.approval_key_path)


def signed_decision(settings: Settings, decision: Signed, subject: str, version: int) -> Signed:
    """`decision` signed with the approval key for workflow `subject` at settlement version (or revision)
    `version`: the caller has authenticated the approver and their role."""
    return sign_decision(decision, subject, version, load_signing_key(settings.approval_key_path), datetime.now(UTC))
