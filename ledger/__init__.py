"""The hash-chained, double-entry ledger (docs/ledger-spec.md), by audience:

- writing: `service` (append, open accounts) over `requests` (shape checks, request bytes), `planning`
  (the state machine), `chain` and `merkle` (hashes), `checkpoint`, `repository`; reads in `balances`,
  `queries`, `proofs`, `export`. `accounts` is the chart of accounts every posting package uses.
- the live audit the API and CLI run: `ledger.audit` (`verify_ledger`).
- the standalone verifier an auditor runs on an export: `python -m ledger.verifier EXPORT_DIR`.

`posting_rules` holds the rules all three apply. Public names are loaded lazily (PEP 562), so
`python -m ledger.verifier` imports only the standard library and `cryptography`, never SQLAlchemy:
the verifier must run on an auditor's machine.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "AccountSpec": "ledger.model",
    "PostingRequest": "ledger.model",
    "EntryRequest": "ledger.model",
    "AppendedEntry": "ledger.model",
    "VerifyReport": "ledger.model",
    "ensure_ledger": "ledger.service",
    "open_accounts": "ledger.service",
    "append_entries": "ledger.service",
    "verify_ledger": "ledger.audit",
    "sign_checkpoint": "ledger.checkpoint",
    "Checkpoint": "ledger.checkpoint",
}

__all__ = [
    "AccountSpec",
    "AppendedEntry",
    "Checkpoint",
    "EntryRequest",
    "PostingRequest",
    "VerifyReport",
    "append_entries",
    "ensure_ledger",
    "open_accounts",
    "sign_checkpoint",
    "verify_ledger",
]
assert sorted(__all__) == sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ledger' has no attribute {name!r}")
    return getattr(import_module(module), name)


if TYPE_CHECKING:
    from ledger.audit import verify_ledger
    from ledger.checkpoint import Checkpoint, sign_checkpoint
    from ledger.model import AccountSpec, AppendedEntry, EntryRequest, PostingRequest, VerifyReport
    from ledger.service import append_entries, ensure_ledger, open_accounts
