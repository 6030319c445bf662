"""Small pieces every package shares, each a public module: `errors` (the error base classes), `timeutil` (UTC
helpers), `uri` (reading and writing by URI), `canonical_json` (the one hash recipe), `largest_remainder` (the one
exact rounding of shares to a total) and `bounds` (the ranges accepted for numbers, instants and days that arrive
from outside)."""

from common.errors import BadInput, DomainError

__all__ = ["BadInput", "DomainError", "bounds", "canonical_json", "errors", "largest_remainder", "timeutil", "uri"]
