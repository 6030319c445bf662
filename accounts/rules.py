"""Pure rules of user accounts: names, the password policy, roles and their bindings, sign-in backoff, and the
mapping of an identity provider's claims to roles. No I/O here; the repository stores, the service decides.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from common.errors import BadInput

ROLES = frozenset({"operator", "finance", "auditor", "tenant", "ingest"})
USER_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,119}$")
BINDING_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
PASSWORD_CHARACTERS_MIN = 12
# Argon2 hashes any length, but a megabyte password is a denial-of-service vector, not a password.
PASSWORD_CHARACTERS_MAX = 256


@dataclass(frozen=True)
class Account:
    user_name: str
    roles: frozenset[str]
    tenant_id: str | None
    campus_ids: frozenset[str]
    disabled: bool


def checked_user_name(user_name: str) -> str:
    """The user name, lower-cased; `BadInput` unless it is 1-120 of a-z 0-9 . _ @ - (starting alphanumeric)."""
    folded = user_name.strip().lower()
    if not USER_NAME_PATTERN.match(folded):
        raise BadInput("user account", None, "user_name",
                       f"{user_name[:60]!r} must be 1-120 of a-z 0-9 . _ @ - and start with a letter or digit")
    return folded


def checked_password(password: str, user_name: str) -> str:
    """The password (NFKC-normalised) if the policy admits it, else `BadInput` naming the rule it breaks.

    Policy (NIST SP 800-63B style): 12 to 256 characters, any characters including spaces, and not containing the
    user name. No composition rules and no periodic change; the hash is Argon2id.
    """
    normalised = unicodedata.normalize("NFKC", password)
    if len(normalised) < PASSWORD_CHARACTERS_MIN:
        raise BadInput("user account", None, "password", f"must have at least {PASSWORD_CHARACTERS_MIN} characters")
    if len(normalised) > PASSWORD_CHARACTERS_MAX:
        raise BadInput("user account", None, "password", f"must have at most {PASSWORD_CHARACTERS_MAX} characters")
    if user_name and user_name.lower() in normalised.lower():
        raise BadInput("user account", None, "password", "must not contain the user name")
    if len(set(normalised)) < 4:
        raise BadInput("user account", None, "password", "must use at least 4 different characters")
    return normalised


def checked_binding(roles: Iterable[str], tenant_id: str | None, campus_ids: Iterable[str]) -> frozenset[str]:
    """The roles, if known and consistent with the bindings: a tenant account names its tenant and at least one
    campus billing it (a tenant id is unique only within a campus); no other account is bound to either."""
    role_set = frozenset(roles)
    campus_set = frozenset(campus_ids)
    if not role_set or not role_set <= ROLES:
        raise BadInput("user account", None, "roles", f"{sorted(role_set)} must be a non-empty subset of {sorted(ROLES)}")
    if ("tenant" in role_set) != (tenant_id is not None):
        raise BadInput("user account", None, "tenant_id", "is required with the tenant role and only with it")
    if ("tenant" in role_set) != bool(campus_set):
        raise BadInput("user account", None, "campus_ids", "at least one campus is required with the tenant role "
                       "and only with it")
    for name, value in [("tenant_id", tenant_id)] + [("campus_ids", campus) for campus in sorted(campus_set)]:
        if value is not None and not BINDING_ID_PATTERN.match(value):
            raise BadInput("user account", None, name, f"{value[:60]!r} is not an id (a-z 0-9 _ -, up to 63)")
    return role_set


@dataclass(frozen=True)
class BackoffPolicy:
    """After `failures_free` failures in a row, each further failure locks the key for twice as long as the one
    before, from `lock_s_base` up to `lock_s_max`; a key with no failure for `forget_after_s` starts afresh."""

    failures_free: int = 5
    lock_s_base: int = 2
    lock_s_max: int = 900
    forget_after_s: int = 3600


@dataclass
class FailureRecord:
    count: int = 0
    last_utc: datetime | None = None
    locked_until_utc: datetime | None = None


def record_failure(record: FailureRecord, now_utc: datetime, policy: BackoffPolicy) -> FailureRecord:
    """The record after one more failure at `now_utc`: counted, and locked once beyond the free failures."""
    stale = record.last_utc is not None and now_utc - record.last_utc > timedelta(seconds=policy.forget_after_s)
    count = 1 if stale else record.count + 1
    locked_until_utc = None
    if count > policy.failures_free:
        exponent = min(count - policy.failures_free - 1, 30)
        lock_s = min(policy.lock_s_base * 2**exponent, policy.lock_s_max)
        locked_until_utc = now_utc + timedelta(seconds=lock_s)
    return FailureRecord(count=count, last_utc=now_utc, locked_until_utc=locked_until_utc)


def retry_after_s(record: FailureRecord | None, now_utc: datetime) -> int:
    """Whole seconds until the key may try again (0 = now)."""
    if record is None or record.locked_until_utc is None or record.locked_until_utc <= now_utc:
        return 0
    remaining = record.locked_until_utc - now_utc
    return max(1, int(remaining.total_seconds() + 0.999))


def roles_from_claims(claims: Mapping[str, object], claim_name: str, mapping: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """The roles an identity provider's ID token grants: each value of the claim `claim_name` (a string or a list
    of strings, e.g. groups) that `mapping` names adds the roles mapped to it; unknown values add nothing."""
    value = claims.get(claim_name)
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    roles: set[str] = set()
    for item in values:
        if isinstance(item, str):
            roles.update(mapping.get(item, ()))
    return frozenset(roles) & ROLES
