"""Contracts: their kinds and JSON terms, the PPA pricing rules, their repository and service."""
