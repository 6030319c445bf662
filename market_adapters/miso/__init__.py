"""MISO: Data Exchange LMP reader."""
