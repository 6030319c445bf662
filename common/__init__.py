"""Small pieces every package shares: the error base class and time helpers."""

from common.errors import BadInput, DomainError

__all__ = ["BadInput", "DomainError"]
