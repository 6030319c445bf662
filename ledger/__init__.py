"""The hash-chained, double-entry ledger (docs/ledger-spec.md), by audience:

- writing: `service` (append, open accounts) over `requests` (shape checks and the limits of one request,
  request bytes), `planning`
  (the state machine), `chain` and `merkle` (hashes), `checkpoint`, `repository`; reads in `balances`,
  `queries`, `proofs`, `export`.
- the live audit the API and CLI run: `ledger.audit` (`verify_ledger`).
- the standalone verifier an auditor runs on an export: `python -m ledger.verifier EXPORT_DIR`.

`posting_rules` holds the rules all three apply. Public names are loaded lazily (PEP 562), so
`python -m ledger.verifier` imports only the standard library and `cryptography`, never SQLAlchemy:
the verifier must run on an auditor's machine. Two modules are public as a whole: `accounts`, the chart of
accounts every posting package uses, and `balances` (balances, the trial balance, a tenant's statement).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from common.lazy_names import lazy_names

_EXPORTS = {
    "AccountSpec": "ledger.model",
    "PostingRequest": "ledger.model",
    "EntryRequest": "ledger.model",
    "AppendedEntry": "ledger.model",
    "VerifyReport": "ledger.model",
    "META_ENTRIES_MAX": "ledger.requests",
    "POSTINGS_PER_ENTRY_MAX": "ledger.requests",
    "check_entry_request": "ledger.requests",
    "ensure_ledger": "ledger.service",
    "open_accounts": "ledger.service",
    "append_entries": "ledger.service",
    "verify_ledger": "ledger.audit",
    "sign_checkpoint": "ledger.checkpoint",
    "append_checkpointed": "ledger.checkpoint",
    "publish_checkpoints_after_commit": "ledger.publication",
    "publish_checkpoints": "ledger.publication",
    "roots_at": "ledger.checkpoint",
    "ledger_vkey": "ledger.keys",
    "NoteError": "ledger.signed_note",
    "SigningKeyError": "ledger.errors",
    "PublishedCheckpointNotExtended": "ledger.errors",
    "cosigner_key_from_private": "ledger.cosignature",
    "Witness": "ledger.witness",
    "witness_server": "ledger.witness",
    "load_or_create_witness_key": "ledger.witness",
    "list_checkpoints": "ledger.checkpoint",
    "Checkpoint": "ledger.checkpoint",
    "Leg": "ledger.posting_rules",
    "unbalanced_asset": "ledger.posting_rules",
    "list_entries": "ledger.queries",
    "entry_seqs_by_key": "ledger.queries",
    "prove_consistency": "ledger.proofs",
    "prove_inclusion": "ledger.proofs",
    "InclusionProof": "ledger.proofs",
    "ConsistencyProof": "ledger.proofs",
    "export_ledger": "ledger.export",
    "ledger_id_for": "ledger.repository",
    "create_signing_key": "ledger.keys",
}
_MODULES = ("accounts", "balances")

__all__ = [
    "META_ENTRIES_MAX",
    "POSTINGS_PER_ENTRY_MAX",
    "AccountSpec",
    "AppendedEntry",
    "Checkpoint",
    "ConsistencyProof",
    "EntryRequest",
    "InclusionProof",
    "Leg",
    "NoteError",
    "PostingRequest",
    "PublishedCheckpointNotExtended",
    "SigningKeyError",
    "VerifyReport",
    "Witness",
    "accounts",
    "append_checkpointed",
    "append_entries",
    "balances",
    "check_entry_request",
    "cosigner_key_from_private",
    "create_signing_key",
    "ensure_ledger",
    "entry_seqs_by_key",
    "export_ledger",
    "ledger_id_for",
    "ledger_vkey",
    "list_checkpoints",
    "list_entries",
    "load_or_create_witness_key",
    "open_accounts",
    "prove_consistency",
    "prove_inclusion",
    "publish_checkpoints",
    "publish_checkpoints_after_commit",
    "roots_at",
    "sign_checkpoint",
    "unbalanced_asset",
    "verify_ledger",
    "witness_server",
]
assert sorted(__all__) == sorted([*_EXPORTS, *_MODULES])


__getattr__ = lazy_names("ledger", _EXPORTS)


if TYPE_CHECKING:
    from ledger.audit import verify_ledger
    from ledger.checkpoint import Checkpoint, append_checkpointed, list_checkpoints, roots_at, sign_checkpoint
    from ledger.cosignature import cosigner_key_from_private
    from ledger.errors import PublishedCheckpointNotExtended, SigningKeyError
    from ledger.export import export_ledger
    from ledger.keys import create_signing_key, ledger_vkey
    from ledger.model import AccountSpec, AppendedEntry, EntryRequest, PostingRequest, VerifyReport
    from ledger.posting_rules import Leg, unbalanced_asset
    from ledger.proofs import ConsistencyProof, InclusionProof, prove_consistency, prove_inclusion
    from ledger.publication import publish_checkpoints, publish_checkpoints_after_commit
    from ledger.queries import entry_seqs_by_key, list_entries
    from ledger.repository import ledger_id_for
    from ledger.requests import META_ENTRIES_MAX, POSTINGS_PER_ENTRY_MAX, check_entry_request
    from ledger.service import append_entries, ensure_ledger, open_accounts
    from ledger.signed_note import NoteError
    from ledger.witness import Witness, load_or_create_witness_key, witness_server
