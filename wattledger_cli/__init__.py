"""The `wattledger` command."""
