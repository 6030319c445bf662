"""Small pieces every package shares: the error base class, time helpers and (in `common.canonical_json`) the one hash recipe."""

from common.errors import BadInput, DomainError

__all__ = ["BadInput", "DomainError"]
