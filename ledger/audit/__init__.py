"""The live audit the API and CLI run: replay the database-backed ledger and diff its rows.

`verify_ledger` tries the compiled check first and falls back to the streaming replay, which shares its
rules and byte checks with the standalone verifier (`ledger.verifier.replay`).
"""

from ledger.audit.row_check import replay_verify_ledger, verify_ledger

__all__ = ["replay_verify_ledger", "verify_ledger"]
