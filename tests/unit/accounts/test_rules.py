"""Account rules without a database: user names, the password policy, bindings, backoff, claim mapping, hashing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accounts import BackoffPolicy, checked_password, checked_user_name, roles_from_claims
from accounts.passwords import hash_password, verify_password
from accounts.rules import FailureRecord, checked_binding, record_failure, retry_after_s
from common.errors import BadInput

T0 = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def test_user_names_are_folded_and_checked() -> None:
    assert checked_user_name("  Alice.Finance@Example ") == "alice.finance@example"
    for bad in ["", " ", "-alice", "al ice", "a" * 121, "alice;drop"]:
        with pytest.raises(BadInput, match="user_name"):
            checked_user_name(bad)


@pytest.mark.parametrize(("password", "rule"), [
    ("short-pw1", "at least 12"),
    ("x" * 257, "at most 256"),
    ("my-alice-password", "user name"),
    ("aaaaaaaaaaaaaaa", "4 different"),
])
def test_the_password_policy_names_the_rule_broken(password: str, rule: str) -> None:
    with pytest.raises(BadInput, match=rule):
        checked_password(password, "alice")


def test_a_long_passphrase_with_spaces_and_any_characters_is_accepted() -> None:
    assert checked_password("correct horse battery staple ✓", "alice") == "correct horse battery staple ✓"


def test_tenant_accounts_name_tenant_and_campus_and_staff_accounts_neither() -> None:
    assert checked_binding(["tenant"], "acme", ["north"]) == frozenset({"tenant"})
    assert checked_binding(["finance", "auditor"], None, []) == frozenset({"finance", "auditor"})
    for roles, tenant, campuses, field in [
        (["tenant"], None, ["north"], "tenant_id"),
        (["tenant"], "acme", [], "campus_ids"),
        (["finance"], "acme", [], "tenant_id"),
        (["finance"], None, ["north"], "campus_ids"),
        (["root"], None, [], "roles"),
        ([], None, [], "roles"),
        (["tenant"], "Acme Corp", ["north"], "tenant_id"),
    ]:
        with pytest.raises(BadInput, match=field):
            checked_binding(roles, tenant, campuses)


def test_backoff_doubles_after_the_free_failures_up_to_the_maximum() -> None:
    policy = BackoffPolicy(failures_free=3, lock_s_base=2, lock_s_max=10, forget_after_s=3600)
    record = FailureRecord()
    locks = []
    for second in range(7):
        now = T0 + timedelta(seconds=second)
        record = record_failure(record, now, policy)
        locks.append(retry_after_s(record, now))
    assert locks == [0, 0, 0, 2, 4, 8, 10]
    assert retry_after_s(record, T0 + timedelta(seconds=6 + 10)) == 0


def test_a_key_with_no_failure_for_the_forget_period_starts_afresh() -> None:
    policy = BackoffPolicy(failures_free=1, lock_s_base=5, lock_s_max=60, forget_after_s=100)
    record = record_failure(record_failure(FailureRecord(), T0, policy), T0, policy)
    assert record.count == 2 and retry_after_s(record, T0) == 5
    later = record_failure(record, T0 + timedelta(seconds=101), policy)
    assert later.count == 1 and retry_after_s(later, T0 + timedelta(seconds=101)) == 0


def test_claims_map_to_roles_through_the_mapping_only() -> None:
    mapping = {"billing-finance": ["finance"], "auditors": ["auditor"], "admins": ["operator", "root"]}
    assert roles_from_claims({"groups": ["billing-finance", "staff"]}, "groups", mapping) == {"finance"}
    assert roles_from_claims({"groups": "auditors"}, "groups", mapping) == {"auditor"}
    assert roles_from_claims({"groups": ["admins"]}, "groups", mapping) == {"operator"}  # unknown roles dropped
    assert roles_from_claims({"groups": [{"nested": 1}], "role": "auditors"}, "groups", mapping) == frozenset()
    assert roles_from_claims({}, "groups", mapping) == frozenset()


def test_argon2id_hashes_verify_and_a_missing_hash_never_verifies() -> None:
    hashed = hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$") and "correct horse" not in hashed
    assert verify_password(hashed, "correct horse battery staple")
    assert not verify_password(hashed, "correct horse battery stapl")
    assert not verify_password(None, "wattledger: no such account, this hash only spends the same time")
    assert not verify_password("not a hash", "anything")
