"""Failed sign-ins per key (`user:<name>`, `address:<ip>`), counted in PostgreSQL (table `sign_in_failure`,
migration 0017) so that every API process counts against the same records: two processes do not give a user
twice the attempts. The backoff itself is the pure rule `accounts.rules.record_failure`; times are the
database's clock, the same for every process.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine

from accounts import repository
from accounts.rules import BackoffPolicy, FailureRecord, record_failure, retry_after_s


@dataclass(frozen=True)
class SignInThrottle:
    engine: Engine
    policy: BackoffPolicy = field(default_factory=BackoffPolicy)

    def retry_after_s(self, keys: Iterable[str]) -> int:
        """Whole seconds until every one of `keys` may try again (0 = now)."""
        with self.engine.connect() as conn:
            now_utc = repository.database_now_utc(conn)
            records = repository.load_failure_records(conn, list(keys))
        return max((retry_after_s(record, now_utc) for record in records), default=0)

    def failed(self, keys: Iterable[str]) -> None:
        """Count one more failure against each key, and lock it once beyond the free failures."""
        with self.engine.begin() as conn:
            key_list = list(keys)
            records = repository.lock_failure_records(conn, key_list)
            now_utc = repository.database_now_utc(conn)
            for key in sorted(set(key_list)):
                updated = record_failure(records.get(key, FailureRecord()), now_utc, self.policy)
                repository.store_failure_record(conn, key, updated)
            # Forgotten records go as new ones arrive: the table holds at most the last forget period's keys.
            repository.delete_stale_failure_records(conn, now_utc - timedelta(seconds=self.policy.forget_after_s))

    def succeeded(self, key: str) -> None:
        with self.engine.begin() as conn:
            repository.delete_failure_record(conn, key)
