"""Ledger errors: each names the broken fact and carries the values that explain it."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from common.errors import BadInput, Conflict, DomainError, NotFound


class LedgerNotFound(NotFound):
    def __init__(self, origin: str) -> None:
        self.origin = origin
        super().__init__(f"ledger {origin!r} does not exist (call ensure_ledger first)")


class InvalidEntryRequest(BadInput):
    """An entry request of the wrong shape: bad kind, naive time, zero amount, missing reference."""

    def __init__(self, idempotency_key: str, field: str, reason: str) -> None:
        self.idempotency_key = idempotency_key
        super().__init__(f"ledger entry {idempotency_key!r}", None, field, reason)


class InvalidAccountSpec(BadInput):
    def __init__(self, path: str, field: str, reason: str) -> None:
        super().__init__(f"account {path!r}", None, field, reason)


class AccountSpecConflict(Conflict):
    def __init__(self, path: str, asset_code: str, field: str, stored: object, requested: object) -> None:
        self.field = field
        super().__init__(
            f"account {path} ({asset_code}) is open with {field}={stored!r}, requested {requested!r}"
        )


class AccountNotOpen(DomainError):
    def __init__(self, idempotency_key: str, path: str, asset_code: str) -> None:
        self.path, self.asset_code = path, asset_code
        super().__init__(f"entry {idempotency_key!r}: account {path} ({asset_code}) is not open")


class IdempotencyConflict(Conflict):
    """Same idempotency key, different content: names the first differing field."""

    def __init__(self, idempotency_key: str, field: str, seq: int) -> None:
        self.idempotency_key, self.field, self.seq = idempotency_key, field, seq
        super().__init__(
            f"idempotency key {idempotency_key!r} was used by entry seq {seq} with a different {field}"
        )


class EntryDoesNotBalance(DomainError):
    def __init__(self, idempotency_key: str, asset_code: str, sum_minor: int) -> None:
        self.asset_code, self.sum_minor = asset_code, sum_minor
        super().__init__(f"entry {idempotency_key!r}: {asset_code} postings sum to {sum_minor}, not 0")


class ReferenceNotFound(NotFound):
    def __init__(self, idempotency_key: str, ref_idempotency_key: str) -> None:
        self.ref_idempotency_key = ref_idempotency_key
        super().__init__(f"entry {idempotency_key!r} refers to unknown entry {ref_idempotency_key!r}")


class ReferenceKindInvalid(DomainError):
    def __init__(self, idempotency_key: str, kind: str, ref_kind: str) -> None:
        super().__init__(f"entry {idempotency_key!r}: a {kind} cannot refer to a {ref_kind} entry")


class AlreadyReversed(Conflict):
    def __init__(self, idempotency_key: str, ref_seq: int) -> None:
        self.ref_seq = ref_seq
        super().__init__(f"entry {idempotency_key!r}: entry seq {ref_seq} is already reversed")


class AlreadyResolved(Conflict):
    def __init__(self, idempotency_key: str, ref_seq: int) -> None:
        self.ref_seq = ref_seq
        super().__init__(f"entry {idempotency_key!r}: pending entry seq {ref_seq} is already resolved")


class PostingsMismatch(DomainError):
    """A reversal that does not exactly negate, or a resolution that does not copy, its reference."""

    def __init__(self, idempotency_key: str, reason: str) -> None:
        super().__init__(f"entry {idempotency_key!r}: {reason}")


class PeriodClosed(DomainError):
    def __init__(self, idempotency_key: str, effective_at_utc: datetime, closed_until_utc: datetime) -> None:
        self.closed_until_utc = closed_until_utc
        super().__init__(
            f"entry {idempotency_key!r} is effective {effective_at_utc.isoformat()}, "
            f"in a period closed until {closed_until_utc.isoformat()}"
        )


class BalanceWouldGoNegative(DomainError):
    def __init__(self, idempotency_key: str, path: str, asset_code: str, balance_minor: int) -> None:
        self.path, self.balance_minor = path, balance_minor
        super().__init__(
            f"entry {idempotency_key!r}: account {path} ({asset_code}) must not go negative, "
            f"would be {balance_minor} (pending included)"
        )


class BalanceOutOfRange(DomainError):
    def __init__(self, idempotency_key: str, path: str, asset_code: str) -> None:
        super().__init__(
            f"entry {idempotency_key!r}: account {path} ({asset_code}) would leave the signed 64-bit range"
        )


class PublishedCheckpointNotExtended(DomainError):
    """The ledger in the database no longer extends a checkpoint already published outside it: tampering, or a
    database restored from before it. Nothing more is published until someone looks."""

    retryable: ClassVar[bool] = False

    def __init__(self, origin: str, where: str, reason: str) -> None:
        super().__init__(f"ledger {origin}: does not extend the checkpoint published at {where} ({reason}); "
                         "refusing to publish more")


class CheckpointInconsistent(DomainError):
    """The head is not an extension of the last signed checkpoint: refuse to sign it."""

    retryable: ClassVar[bool] = False

    def __init__(self, origin: str, reason: str) -> None:
        super().__init__(f"ledger {origin}: refusing to sign, {reason}")


class SigningKeyError(DomainError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"ledger signing key: {reason}")


class EntryNotFound(NotFound):
    def __init__(self, origin: str, seq: int) -> None:
        super().__init__(f"ledger {origin} has no entry seq {seq}")
