"""The pure rules refuse every unbalanced entry, without PostgreSQL: the database trigger is the second line,
never the only one.

Break caught: making `ledger.planning._check_balanced` return without checking (or `posting_rules.unbalanced_asset`
always answer None) lets these entries through, and every example here fails.
"""

from __future__ import annotations

import copy
from datetime import timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ledger.errors import EntryDoesNotBalance
from ledger.model import EntryRequest, PostingRequest
from ledger.planning import plan_entry
from ledger.requests import normalize_request
from tests.unit.ledger.test_ledger_rules_properties import START_UTC, fresh_state

LEGS = {"USD/6": ("a:cash", "a:revenue"), "MWH/6": ("a:tenant", "a:gen")}

leg = st.tuples(st.sampled_from(sorted(LEGS)), st.booleans(), st.integers(-10**9, 10**9).filter(bool))


@settings(max_examples=120, deadline=None)
@given(legs=st.lists(leg, min_size=1, max_size=8), skew_asset=st.sampled_from(sorted(LEGS)),
       skew_minor=st.integers(-10**6, 10**6).filter(bool), kind=st.sampled_from(["posting", "pending"]))
@example(legs=[("USD/6", True, 100)], skew_asset="USD/6", skew_minor=1, kind="posting")  # off by one minor unit
@example(legs=[("USD/6", True, 5), ("MWH/6", True, 7)], skew_asset="MWH/6", skew_minor=-7, kind="posting")
def test_an_entry_whose_legs_do_not_sum_to_zero_is_refused(legs: list[tuple[str, bool, int]], skew_asset: str,
                                                          skew_minor: int, kind: str) -> None:
    """Balanced pairs plus one skew leg: the entry is out by exactly `skew_minor` in `skew_asset`."""
    postings: list[PostingRequest] = []
    for asset, first_side, amount in legs:
        debit_path, credit_path = LEGS[asset] if first_side else LEGS[asset][::-1]
        postings += [PostingRequest(debit_path, asset, amount), PostingRequest(credit_path, asset, -amount)]
    postings.append(PostingRequest(LEGS[skew_asset][0], skew_asset, skew_minor))
    state, _, _ = fresh_state()
    before = copy.deepcopy(state)
    request = normalize_request(EntryRequest(idempotency_key="skewed", kind=kind,
                                             effective_at_utc=START_UTC + timedelta(hours=1), postings=postings))
    try:
        plan_entry(state, request, START_UTC + timedelta(hours=1))
    except EntryDoesNotBalance as refused:
        assert (skew_asset, skew_minor) == (refused.asset_code, refused.sum_minor)
    else:
        raise AssertionError(f"an entry out by {skew_minor} {skew_asset} was accepted")
    assert state == before, "a refused entry changed the state"
