"""Judging a NYISO read-back against our body (pure), and when the retry loop asks for one: only after an
attempt whose outcome is unknown, never after a failure that happened before the request went out."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from market_adapters.errors import IsoUnavailable
from market_adapters.http.retry import RetryPolicy, send_with_read_back
from market_adapters.nyiso.read_back import (
    Stored,
    body_values,
    changed_not_ours,
    held_records,
    read_back_scope,
    stored_after_unknown_outcome,
)

HOUR = "2025-07-15T14:00:00-04:00"
NEXT_HOUR = "2025-07-15T15:00:00-04:00"
FAST = RetryPolicy(attempts_max=3, backoff_initial_s=0.01, backoff_max_s=0.05)


def _body(*values: object) -> dict:
    hours = [HOUR, NEXT_HOUR]
    return {"generators": [{"genPtid": 323999, "dateHour": hour, "meterInjectionEnergyMwh": value}
                           for hour, value in zip(hours, values, strict=False)]}


def _held(updated: str, *values: object) -> dict:
    body = _body(*values)
    for record in body["generators"]:
        record.update(version=1, maUpdateTime=updated)
    return held_records(body)


def test_equal_values_in_other_spellings_are_ours():
    """40 (int), 40.0 (float) and Decimal('40.0000') are one value; the hours key by UTC."""
    ours = body_values(_body(40, Decimal("1.5")))
    assert stored_after_unknown_outcome(ours, {}, _held("t1", Decimal("40.0000"), 1.5)) is Stored.OURS


def test_nothing_changed_since_the_first_read_means_resend():
    """An older version (40.5) still held, untouched: our 41.25 did not commit."""
    ours = body_values(_body(41.25, 2))
    before = _held("t0", 40.5, 2)
    assert stored_after_unknown_outcome(ours, before, _held("t0", 40.5, 2)) is Stored.UNCHANGED
    assert stored_after_unknown_outcome(ours, {}, {}) is Stored.UNCHANGED


def test_a_change_to_values_not_ours_is_named():
    """The first hour changed to 39.0 since the first read: that record, and only it, is reported."""
    ours = body_values(_body(41.25, 2))
    before = _held("t0", 40.5, 2)
    after = _held("t1", 39.0, 2)
    assert stored_after_unknown_outcome(ours, before, after) is Stored.OTHER
    [(collection, ptid, hour_utc)] = changed_not_ours(ours, before, after)
    assert (collection, ptid, hour_utc.isoformat()) == ("generators", 323999, "2025-07-15T18:00:00+00:00")


def test_scope_covers_first_to_last_hour_and_each_ptid():
    scope = read_back_scope(body_values(_body(1, 2)))
    assert (scope.first_hour_start_utc.hour, scope.last_hour_start_utc.hour) == (18, 19)
    assert scope.ptids == {"generators": (323999,)}


@pytest.mark.parametrize(("failure", "reads_expected"), [
    (httpx.ConnectError("refused"), 0), (httpx.ReadTimeout("no answer"), 3), (502, 3), (503, 0)])
def test_read_back_runs_only_after_an_unknown_outcome(failure, reads_expected):
    """Three failed attempts: a read after each one whose request may have reached the ISO."""
    reads: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if isinstance(failure, int):
            return httpx.Response(failure)
        raise failure

    client = httpx.Client(transport=httpx.MockTransport(answer), base_url="https://iso.example")
    with client, pytest.raises(IsoUnavailable):
        send_with_read_back(client, client.build_request("POST", "/x"), "NYISO", FAST, lambda s: None,
                            lambda: reads.append(1))
    assert len(reads) == reads_expected


def test_a_read_back_that_finds_our_values_ends_the_loop():
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        raise httpx.ReadTimeout("no answer", request=request)

    with httpx.Client(transport=httpx.MockTransport(answer), base_url="https://iso.example") as client:
        result = send_with_read_back(client, client.build_request("POST", "/x"), "NYISO", FAST, lambda s: None,
                                     lambda: "held")
    assert (result, sent) == ("held", ["POST"])
