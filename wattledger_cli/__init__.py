"""The `wattledger` command (`main.app`); `stack` runs the whole application in one process."""

__all__ = ["main", "stack"]
