"""Temporal workflows; orchestration only."""
