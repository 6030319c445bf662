"""User accounts, server-side sign-in sessions and pending single sign-on logins (issue 19, sign-in).

- `user_account`: one row per person who signs in with a user name and password (or through single sign-on, then
  without a password): the Argon2id hash (never the password), roles, for tenant accounts the tenant and
  the campuses billing it that it may see, and when the account was disabled. Accounts are disabled, not deleted,
  so the sign-in log keeps meaning something.
- `web_session`: a browser session started by a sign-in. The cookie holds a random session key; only its
  SHA-256 is stored. A session ends at `expires_at_utc` or when signed out (`ended_at_utc`), so a sign-out
  invalidates it on the server, not only in the browser.
- `oidc_login`: a single sign-on that has left for the identity provider and not yet come back: the state (by its
  SHA-256), the nonce and the PKCE code verifier, used once and valid for minutes.
"""

from alembic import op

revision = "0013_user_accounts"
down_revision = "0012_tenant_campus_binding"
branch_labels = None
depends_on = None

UPGRADE_SQL = """
CREATE TABLE user_account (
    user_name               text PRIMARY KEY CHECK (user_name ~ '^[a-z0-9][a-z0-9._@-]{0,119}$'),
    password_hash           text CHECK (password_hash IS NULL OR left(password_hash, 10) = '$argon2id$'),
    roles                   text[] NOT NULL CHECK (cardinality(roles) >= 1
                                AND roles <@ ARRAY['operator','finance','auditor','tenant','ingest']::text[]),
    tenant_id               text,
    campus_ids              text[] NOT NULL DEFAULT '{}',
    created_at_utc          timestamptz NOT NULL DEFAULT now(),
    password_changed_at_utc timestamptz,
    disabled_at_utc         timestamptz,
    CHECK (('tenant' = ANY (roles)) = (tenant_id IS NOT NULL)),
    CHECK (('tenant' = ANY (roles)) = (cardinality(campus_ids) >= 1))
);

CREATE TABLE web_session (
    session_sha256_hex text PRIMARY KEY CHECK (session_sha256_hex ~ '^[0-9a-f]{64}$'),
    subject            text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    roles              text[] NOT NULL CHECK (cardinality(roles) >= 1),
    tenant_id          text,
    campus_ids         text[] NOT NULL DEFAULT '{}',
    method             text NOT NULL CHECK (method IN ('password', 'token', 'oidc')),
    created_at_utc     timestamptz NOT NULL DEFAULT now(),
    expires_at_utc     timestamptz NOT NULL,
    ended_at_utc       timestamptz
);
CREATE INDEX web_session_subject ON web_session (subject) WHERE ended_at_utc IS NULL;

CREATE TABLE oidc_login (
    state_sha256_hex   text PRIMARY KEY CHECK (state_sha256_hex ~ '^[0-9a-f]{64}$'),
    nonce              text NOT NULL,
    code_verifier      text NOT NULL,
    created_at_utc     timestamptz NOT NULL DEFAULT now(),
    expires_at_utc     timestamptz NOT NULL
);
"""

DOWNGRADE_SQL = """
DROP TABLE oidc_login, web_session, user_account;
"""


def upgrade() -> None:
    op.get_bind().exec_driver_sql(UPGRADE_SQL)


def downgrade() -> None:
    op.get_bind().exec_driver_sql(DOWNGRADE_SQL)
