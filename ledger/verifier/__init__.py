"""The standalone verifier an auditor runs on a ledger export (standard library and `cryptography`)."""
