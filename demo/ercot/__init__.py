"""The ERCOT sample campus: its site export (meter CSVs and settlement point prices)."""

__all__ = ["site_export"]
