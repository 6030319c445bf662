"""The standalone verifier an auditor runs on a ledger export: `python -m ledger.verifier EXPORT_DIR`.

It imports the standard library, `cryptography` and the ledger's stdlib-only modules (chain, merkle,
signed_note, posting_rules), never the writer's (SQLAlchemy, rfc8785), so it runs without the rest of
wattledger's dependencies and does not trust the code that wrote the ledger. The compiled pre-check
(`ledger.verifier.compiled_check`, numpy and numba) is optional and is not imported here.
"""

from ledger.verifier.export_check import ExportReport, read_checkpoints, verify_export
from ledger.verifier.published import (
    PublishedCheckpoint,
    PublishedCheckpointError,
    check_published,
    extension_failure,
    read_published,
)
from ledger.verifier.replay import ChainReplay, VerificationFailure, check_checkpoint_note

__all__ = [
    "ChainReplay",
    "ExportReport",
    "PublishedCheckpoint",
    "PublishedCheckpointError",
    "VerificationFailure",
    "check_checkpoint_note",
    "check_published",
    "extension_failure",
    "read_checkpoints",
    "read_published",
    "verify_export",
]
