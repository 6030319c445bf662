"""Errors of the campus model."""

from __future__ import annotations

from common.errors import NotFound


class CampusNotFound(NotFound):
    def __init__(self, campus_id: str) -> None:
        self.campus_id = campus_id
        super().__init__(f"campus {campus_id!r} is not registered (apply its campus file: wattledger campus apply)")
