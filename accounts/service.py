"""User accounts and web sessions: what `wattledger access user ...` and the sign-in pages call.

Functions take an open connection in the caller's transaction (`engine.begin()`); errors are `BadInput` (bad
name, password or binding) and `AccountNotFound` / `AccountExists`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from accounts import repository
from accounts.errors import AccountExists, AccountNotFound
from accounts.passwords import hash_password, needs_rehash, verify_password
from accounts.rules import Account, checked_binding, checked_password, checked_user_name
from common.errors import BadInput

SESSION_PREFIX = "wls_"
SESSION_METHODS = frozenset({"password", "token", "oidc"})


def add_user(conn: Connection, user_name: str, roles: Iterable[str], tenant_id: str | None,
             campus_ids: Iterable[str], password: str | None) -> Account:
    """Create an account; without a password it can sign in through single sign-on only."""
    name = checked_user_name(user_name)
    campus_set = frozenset(campus_ids)
    account = Account(name, checked_binding(roles, tenant_id, campus_set), tenant_id, campus_set, disabled=False)
    password_hash = None if password is None else hash_password(checked_password(password, name))
    if not repository.insert_account(conn, account, password_hash):
        raise AccountExists(name)
    return account


def list_users(conn: Connection) -> list[Account]:
    return repository.list_accounts(conn)


def set_password(conn: Connection, user_name: str, password: str) -> None:
    """Replace the password and end the account's sessions (a changed password signs out everywhere)."""
    name = checked_user_name(user_name)
    if not repository.set_password_hash(conn, name, hash_password(checked_password(password, name))):
        raise AccountNotFound(name)
    repository.end_sessions_of(conn, name)


def set_roles(conn: Connection, user_name: str, roles: Iterable[str], tenant_id: str | None,
              campus_ids: Iterable[str]) -> Account:
    """Replace the account's roles and bindings; its open sessions end (they carry the old roles)."""
    name = checked_user_name(user_name)
    campus_set = frozenset(campus_ids)
    account = Account(name, checked_binding(roles, tenant_id, campus_set), tenant_id, campus_set, disabled=False)
    if not repository.set_roles(conn, account):
        raise AccountNotFound(name)
    repository.end_sessions_of(conn, name)
    return account


def set_disabled(conn: Connection, user_name: str, disabled: bool) -> None:
    """Disable (and end every session of) or re-enable an account."""
    name = checked_user_name(user_name)
    if not repository.set_disabled(conn, name, disabled):
        raise AccountNotFound(name)
    if disabled:
        repository.end_sessions_of(conn, name)


def check_password(conn: Connection, user_name: str, password: str) -> Account | None:
    """The account if the password is right and the account enabled, else None.

    An unknown or malformed user name, an account without a password and a disabled account all spend one
    Argon2 verification, like a wrong password, so the answer's timing does not tell which it was."""
    try:
        name = checked_user_name(user_name)
    except BadInput:
        verify_password(None, password)
        return None
    loaded = repository.load_account(conn, name)
    account, password_hash = loaded if loaded is not None else (None, None)
    if not verify_password(password_hash, password) or account is None or account.disabled:
        return None
    assert password_hash is not None
    if needs_rehash(password_hash):
        repository.set_password_hash(conn, name, hash_password(password))
    return account


def sso_account(conn: Connection, user_name: str) -> Account | None:
    """The local account of a single sign-on user, if one exists (None also when the name is not ours)."""
    try:
        loaded = repository.load_account(conn, checked_user_name(user_name))
    except BadInput:
        return None
    return None if loaded is None else loaded[0]


def session_sha256_hex(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


def start_session(conn: Connection, account: Account, method: str, lifetime: timedelta) -> str:
    """A new session for `account`; returns the key the browser keeps (only its hash is stored)."""
    assert method in SESSION_METHODS and lifetime > timedelta(0)
    session_key = SESSION_PREFIX + secrets.token_urlsafe(32)
    repository.insert_session(conn, session_sha256_hex(session_key), account, method, datetime.now(UTC) + lifetime)
    return session_key


def session_holder(conn: Connection, session_key: str) -> Account | None:
    """Who holds this live session; None once it expired or was signed out, or when the key is unknown."""
    if not session_key.startswith(SESSION_PREFIX) or len(session_key) > 100:
        return None
    return repository.load_live_session(conn, session_sha256_hex(session_key))


def end_session(conn: Connection, session_key: str) -> bool:
    return session_key.startswith(SESSION_PREFIX) and repository.end_session(conn, session_sha256_hex(session_key))


def begin_oidc_login(conn: Connection, state: str, nonce: str, code_verifier: str, lifetime: timedelta) -> None:
    repository.insert_oidc_login(conn, hashlib.sha256(state.encode()).hexdigest(), nonce, code_verifier,
                                 datetime.now(UTC) + lifetime)


def take_oidc_login(conn: Connection, state: str) -> tuple[str, str] | None:
    """(nonce, code verifier) of the pending login `state` started, once; None if unknown, used or expired."""
    return repository.take_oidc_login(conn, hashlib.sha256(state.encode()).hexdigest())
