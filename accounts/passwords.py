"""Password hashing with Argon2id (argon2-cffi, RFC 9106 low-memory profile: 64 MiB, 3 passes, 4 lanes)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

HASHER = PasswordHasher()  # argon2-cffi's defaults are RFC 9106's second recommended profile (Argon2id)
# Verified against when the user name is unknown or has no password, so that answer takes as long as a wrong
# password for a real account (no user enumeration by timing).
_DUMMY_HASH = HASHER.hash("wattledger: no such account, this hash only spends the same time")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if `password` matches `password_hash`; with no hash, spends a verification's time and says False."""
    try:
        return HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (rehashed at the next sign-in)."""
    return HASHER.check_needs_rehash(password_hash)
