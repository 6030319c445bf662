"""User accounts: people who sign in with a user name and password or through single sign-on (issue 19).

Public names: the account type and its rules (`Account`, `ROLES`, the password policy, the sign-in backoff
`BackoffPolicy`, `roles_from_claims` for identity-provider claims); `SignInThrottle`, which counts failed
sign-ins in PostgreSQL for every API process; the service functions the CLI and the sign-in pages call
(accounts, password checks, server-side web sessions, pending single sign-on logins); and the errors.
"""

from accounts.errors import AccountExists, AccountNotFound
from accounts.rules import (
    PASSWORD_CHARACTERS_MAX,
    PASSWORD_CHARACTERS_MIN,
    ROLES,
    Account,
    BackoffPolicy,
    checked_password,
    checked_user_name,
    roles_from_claims,
)
from accounts.service import (
    SESSION_PREFIX,
    add_user,
    begin_oidc_login,
    check_password,
    end_session,
    list_users,
    session_holder,
    set_disabled,
    set_password,
    set_roles,
    sso_account,
    start_session,
    take_oidc_login,
)
from accounts.throttle import SignInThrottle

__all__ = [
    "PASSWORD_CHARACTERS_MAX",
    "PASSWORD_CHARACTERS_MIN",
    "ROLES",
    "SESSION_PREFIX",
    "Account",
    "AccountExists",
    "AccountNotFound",
    "BackoffPolicy",
    "SignInThrottle",
    "add_user",
    "begin_oidc_login",
    "check_password",
    "checked_password",
    "checked_user_name",
    "end_session",
    "list_users",
    "roles_from_claims",
    "session_holder",
    "set_disabled",
    "set_password",
    "set_roles",
    "sso_account",
    "start_session",
    "take_oidc_login",
]
