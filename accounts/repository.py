"""SQL of user accounts, web sessions and pending single sign-on logins (tables of migration 0013)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from accounts.rules import Account, FailureRecord

_ACCOUNT_COLUMNS = "user_name, roles, tenant_id, campus_ids, disabled_at_utc IS NOT NULL"


def _account(row: Sequence[Any]) -> Account:
    return Account(user_name=row[0], roles=frozenset(row[1]), tenant_id=row[2], campus_ids=frozenset(row[3]),
                   disabled=bool(row[4]))


def insert_account(conn: Connection, account: Account, password_hash: str | None) -> bool:
    """Insert the account; False when the user name is taken."""
    result = conn.execute(
        text("INSERT INTO user_account (user_name, password_hash, roles, tenant_id, campus_ids, "
             "password_changed_at_utc) VALUES (:name, :hash, :roles, :tenant, :campuses, "
             "CASE WHEN CAST(:hash AS text) IS NULL THEN NULL ELSE now() END) ON CONFLICT (user_name) DO NOTHING"),
        {"name": account.user_name, "hash": password_hash, "roles": sorted(account.roles),
         "tenant": account.tenant_id, "campuses": sorted(account.campus_ids)})
    return result.rowcount == 1


def load_account(conn: Connection, user_name: str) -> tuple[Account, str | None] | None:
    row = conn.execute(text(f"SELECT {_ACCOUNT_COLUMNS}, password_hash FROM user_account WHERE user_name = :name"),
                       {"name": user_name}).one_or_none()
    return None if row is None else (_account(tuple(row)), row[5])


def list_accounts(conn: Connection) -> list[Account]:
    rows = conn.execute(text(f"SELECT {_ACCOUNT_COLUMNS} FROM user_account ORDER BY user_name")).all()
    return [_account(tuple(row)) for row in rows]


def set_password_hash(conn: Connection, user_name: str, password_hash: str) -> bool:
    result = conn.execute(text("UPDATE user_account SET password_hash = :hash, password_changed_at_utc = now() "
                               "WHERE user_name = :name"), {"name": user_name, "hash": password_hash})
    return result.rowcount == 1


def set_roles(conn: Connection, account: Account) -> bool:
    result = conn.execute(text("UPDATE user_account SET roles = :roles, tenant_id = :tenant, campus_ids = :campuses "
                               "WHERE user_name = :name"),
                          {"name": account.user_name, "roles": sorted(account.roles), "tenant": account.tenant_id,
                           "campuses": sorted(account.campus_ids)})
    return result.rowcount == 1


def set_disabled(conn: Connection, user_name: str, disabled: bool) -> bool:
    result = conn.execute(
        text("UPDATE user_account SET disabled_at_utc = CASE WHEN :disabled THEN coalesce(disabled_at_utc, now()) "
             "ELSE NULL END WHERE user_name = :name"), {"name": user_name, "disabled": disabled})
    return result.rowcount == 1


def insert_session(conn: Connection, session_sha256_hex: str, account: Account, method: str,
                   expires_at_utc: datetime) -> None:
    """Insert the session; sessions that ended or expired more than 30 days ago are removed on the way."""
    conn.execute(text("DELETE FROM web_session WHERE coalesce(ended_at_utc, expires_at_utc) "
                      "< now() - interval '30 days'"))
    conn.execute(
        text("INSERT INTO web_session (session_sha256_hex, subject, roles, tenant_id, campus_ids, method, "
             "expires_at_utc) VALUES (:id, :subject, :roles, :tenant, :campuses, :method, :expires)"),
        {"id": session_sha256_hex, "subject": account.user_name, "roles": sorted(account.roles),
         "tenant": account.tenant_id, "campuses": sorted(account.campus_ids), "method": method,
         "expires": expires_at_utc})


def load_live_session(conn: Connection, session_sha256_hex: str) -> Account | None:
    """The session's holder, if the session has neither expired nor ended."""
    row = conn.execute(
        text("SELECT subject, roles, tenant_id, campus_ids, false FROM web_session WHERE session_sha256_hex = :id "
             "AND ended_at_utc IS NULL AND expires_at_utc > now()"), {"id": session_sha256_hex}).one_or_none()
    return None if row is None else _account(tuple(row))


def end_session(conn: Connection, session_sha256_hex: str) -> bool:
    result = conn.execute(text("UPDATE web_session SET ended_at_utc = now() WHERE session_sha256_hex = :id "
                               "AND ended_at_utc IS NULL"), {"id": session_sha256_hex})
    return result.rowcount == 1


def end_sessions_of(conn: Connection, subject: str) -> int:
    result = conn.execute(text("UPDATE web_session SET ended_at_utc = now() WHERE subject = :subject "
                               "AND ended_at_utc IS NULL"), {"subject": subject})
    return result.rowcount


def insert_oidc_login(conn: Connection, state_sha256_hex: str, nonce: str, code_verifier: str,
                      expires_at_utc: datetime) -> None:
    conn.execute(text("DELETE FROM oidc_login WHERE expires_at_utc < now()"))
    conn.execute(text("INSERT INTO oidc_login (state_sha256_hex, nonce, code_verifier, expires_at_utc) "
                      "VALUES (:state, :nonce, :verifier, :expires)"),
                 {"state": state_sha256_hex, "nonce": nonce, "verifier": code_verifier, "expires": expires_at_utc})


def take_oidc_login(conn: Connection, state_sha256_hex: str) -> tuple[str, str] | None:
    """(nonce, code verifier) of a pending login, removed so that it is used once; None if unknown or expired."""
    row = conn.execute(text("DELETE FROM oidc_login WHERE state_sha256_hex = :state RETURNING nonce, code_verifier, "
                            "expires_at_utc > now()"), {"state": state_sha256_hex}).one_or_none()
    return None if row is None or not row[2] else (row[0], row[1])


def lock_failure_records(conn: Connection, keys: Sequence[str]) -> dict[str, FailureRecord]:
    """The failure records of `keys` (absent: no failure), each key locked until the caller's transaction ends,
    whether it has a row yet or not (a transaction-scoped advisory lock on the key's hash), so two processes
    counting the same key's failures at once count both. Keys are locked in sorted order: no deadlock."""
    ordered = sorted(set(keys))
    for key in ordered:
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 17))"), {"key": key})
    rows = conn.execute(
        text("SELECT throttle_key, failure_count, last_failure_utc, locked_until_utc FROM sign_in_failure"
             " WHERE throttle_key = ANY(:keys)"), {"keys": ordered}).all()
    return {row[0]: FailureRecord(count=row[1], last_utc=row[2], locked_until_utc=row[3]) for row in rows}


def load_failure_records(conn: Connection, keys: Sequence[str]) -> list[FailureRecord]:
    rows = conn.execute(
        text("SELECT failure_count, last_failure_utc, locked_until_utc FROM sign_in_failure"
             " WHERE throttle_key = ANY(:keys)"), {"keys": sorted(set(keys))}).all()
    return [FailureRecord(count=row[0], last_utc=row[1], locked_until_utc=row[2]) for row in rows]


def store_failure_record(conn: Connection, key: str, record: FailureRecord) -> None:
    conn.execute(
        text("INSERT INTO sign_in_failure (throttle_key, failure_count, last_failure_utc, locked_until_utc)"
             " VALUES (:key, :count, :last, :locked) ON CONFLICT (throttle_key) DO UPDATE SET"
             " failure_count = EXCLUDED.failure_count, last_failure_utc = EXCLUDED.last_failure_utc,"
             " locked_until_utc = EXCLUDED.locked_until_utc"),
        {"key": key, "count": record.count, "last": record.last_utc, "locked": record.locked_until_utc})


def delete_failure_record(conn: Connection, key: str) -> None:
    conn.execute(text("DELETE FROM sign_in_failure WHERE throttle_key = :key"), {"key": key})


def delete_stale_failure_records(conn: Connection, before_utc: datetime) -> None:
    conn.execute(text("DELETE FROM sign_in_failure WHERE last_failure_utc < :before AND"
                      " (locked_until_utc IS NULL OR locked_until_utc < :before)"), {"before": before_utc})


def database_now_utc(conn: Connection) -> datetime:
    """The database's clock: every API process reads the same one, so a lock lasts as long whichever asks."""
    now_utc: datetime = conn.execute(text("SELECT now()")).scalar_one()
    return now_utc
