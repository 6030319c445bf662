"""The live audit: replay the database-backed ledger and diff its rows against the hashed bytes."""
