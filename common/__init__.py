"""Small pieces every package shares, each a public module: `errors` (the error base classes), `timeutil` (UTC
helpers), `storage` (every file read and written by URI, on a local folder or S3), `uri` (older names for it),
`canonical_json` (the one hash recipe), `lazy_names` (a package's names loaded on first use), `largest_remainder` (the one exact rounding of shares to a total) and
`bounds` (the ranges accepted for numbers, instants and days that arrive from outside)."""

from common.errors import BadInput, DomainError

__all__ = ["BadInput", "DomainError", "bounds", "canonical_json", "errors", "largest_remainder", "lazy_names", "storage",
           "timeutil", "uri"]
