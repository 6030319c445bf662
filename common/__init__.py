"""Small pieces every package shares, each a public module: `errors` (the error base classes), `timeutil` (UTC
helpers), `uri` (reading and writing by URI) and `canonical_json` (the one hash recipe)."""

from common.errors import BadInput, DomainError

__all__ = ["BadInput", "DomainError", "canonical_json", "errors", "timeutil", "uri"]
