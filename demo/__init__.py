"""A deterministic sample campus: registry rows and a month of site-export CSV files."""

__all__ = ["campus", "ercot", "site_export"]
