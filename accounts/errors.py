"""Errors of user accounts."""

from __future__ import annotations

from typing import ClassVar

from common.errors import DomainError


class AccountNotFound(DomainError):
    http_status: ClassVar[int] = 404

    def __init__(self, user_name: str) -> None:
        self.user_name = user_name
        super().__init__(f"no user account {user_name!r}")


class AccountExists(DomainError):
    http_status: ClassVar[int] = 409

    def __init__(self, user_name: str) -> None:
        self.user_name = user_name
        super().__init__(f"user account {user_name!r} exists already")
