"""Price-feed clients against the fake ISO on loopback: PJM Data Miner paging and versions, ERCOT MIS
documents with a `_retry_` re-post, CAISO OASIS pacing, throttling and error payloads, on DST days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from devtools.fake_iso.price_feeds_api import publish_ercot_rt_document
from devtools.fake_iso.runner import running_fake_iso
from devtools.fake_iso.state import FakeIsoState
from market_adapters.caiso.client import OasisPacer, fetch_prc_lmp
from market_adapters.caiso.parse import OasisRequestFailed, OasisRetryLater
from market_adapters.ercot.client import fetch_rt_settlement_point_prices
from market_adapters.errors import IsoAuthFailed, IsoUnavailable
from market_adapters.http.retry import RetryPolicy
from market_adapters.pjm.client import PageLimitExceeded, fetch_lmps
from market_adapters.prices import PriceRow, latest_prices, price_rows, price_table

FAST = RetryPolicy(attempts_max=3, backoff_initial_s=0.0, backoff_max_s=0.0)
FALL_BACK_EASTERN = datetime(2025, 11, 2, 4, tzinfo=UTC)  # 25 hours
FALL_BACK_CENTRAL = datetime(2025, 11, 2, 5, tzinfo=UTC)  # 100 quarter hours
SPRING_PACIFIC = datetime(2025, 3, 9, 8, tzinfo=UTC)  # 23 hours


def _hourly(iso: str, market: str, node: str, start: datetime, hours: int) -> list[PriceRow]:
    return [PriceRow(iso, market, node, start + timedelta(hours=h), 60, Decimal("40.5") + h, Decimal(40) + h,
                     Decimal("0.25"), Decimal("0.25"), None, 1) for h in range(hours)]


def _state(**extra) -> FakeIsoState:
    return FakeIsoState(users={}, metering_users=set(), generator_ptids=set(), tie_ptids=set(), subzone_ptids=set(),
                        ptid_nodes={}, **extra)


def test_pjm_pages_versions_and_fall_back_day():
    """25 hourly rows + a version 2 correction, 7 rows a page: 4 pages, 26 rows; latest keeps v2."""
    rows = _hourly("PJM", "DA", "51288", FALL_BACK_EASTERN, 25)
    corrected = PriceRow("PJM", "DA", "51288", rows[3].interval_start_utc, 60, Decimal("99.99"), None, None, None,
                         None, 2)
    state = _state(prices=rows + [corrected], pjm_subscription_keys={"key-1"})
    with running_fake_iso(state, pki=None) as url:
        fetched = fetch_lmps(url, "key-1", "da_hrl_lmps", FALL_BACK_EASTERN, FALL_BACK_EASTERN + timedelta(hours=25),
                             rows_per_page=7, pages_max=4, retry=FAST)
        with pytest.raises(PageLimitExceeded):
            fetch_lmps(url, "key-1", "da_hrl_lmps", FALL_BACK_EASTERN, FALL_BACK_EASTERN + timedelta(hours=25),
                       rows_per_page=7, pages_max=3, retry=FAST)
        state.throttle(1)
        again = fetch_lmps(url, "key-1", "da_hrl_lmps", FALL_BACK_EASTERN, FALL_BACK_EASTERN + timedelta(hours=25),
                           rows_per_page=50, pages_max=2, retry=FAST)
        with pytest.raises(IsoAuthFailed):
            fetch_lmps(url, "wrong", "da_hrl_lmps", FALL_BACK_EASTERN, FALL_BACK_EASTERN + timedelta(hours=1),
                       rows_per_page=50, pages_max=2, retry=FAST)
    assert len(fetched) == 26 and sorted(fetched, key=_key) == sorted(again, key=_key)
    current = price_rows(latest_prices(price_table(fetched)))
    assert [row.interval_start_utc for row in current] == [row.interval_start_utc for row in rows]
    assert current[3].lmp_usd_per_mwh == Decimal("99.99") and current[4].lmp_usd_per_mwh == Decimal("44.5")


def _key(row: PriceRow):
    return (row.interval_start_utc, row.version)


def test_ercot_retry_document_supersedes_original():
    """A 100-interval fall-back day posted twice (the re-post changes interval 5): 200 rows, latest = re-post."""
    rows = [PriceRow("ERCOT", "RT", "HB_NORTH", FALL_BACK_CENTRAL + i * timedelta(minutes=15), 15,
                     Decimal(20) + i, None, None, None, None, 1) for i in range(100)]
    fixed = list(rows)
    fixed[4] = PriceRow("ERCOT", "RT", "HB_NORTH", rows[4].interval_start_utc, 15, Decimal(-5), None, None, None,
                        None, 1)
    state = _state()
    publish_ercot_rt_document(state, rows, datetime(2025, 11, 3, 6, tzinfo=UTC), "SPPHLZNP6905_20251102", retry=False)
    publish_ercot_rt_document(state, fixed, datetime(2025, 11, 3, 7, tzinfo=UTC), "SPPHLZNP6905_20251102", retry=True)
    with running_fake_iso(state, pki=None) as url:
        fetched = fetch_rt_settlement_point_prices(url, documents_max=10, retry=FAST)
    assert len(fetched) == 200
    current = price_rows(latest_prices(price_table(fetched)))
    assert [row.interval_start_utc for row in current] == [row.interval_start_utc for row in rows]
    assert current[4].lmp_usd_per_mwh == Decimal(-5) and current[4].version == 2
    assert current[0].publish_time_utc == datetime(2025, 11, 3, 7, tzinfo=UTC)
    originals = [row for row in fetched if row.version == 1]
    assert {row.publish_time_utc for row in originals} == {datetime(2025, 11, 3, 6, tzinfo=UTC)}


def test_caiso_pacing_throttling_and_error_payloads():
    """Spring-forward day (23 hours) round-trips; a second call waits for the pace; calling too fast gets 429s;
    >31 days is error 1004 (not retryable), an empty selection 1000 (retry later)."""
    state = _state(prices=_hourly("CAISO", "DA", "TH_SP15_GEN-APND", SPRING_PACIFIC, 23), oasis_min_interval_s=0.0)
    waits: list[float] = []
    ticks = iter([0.0, 0.1, 0.3])  # first request at 0.0; the second asks at 0.1 and goes at 0.3
    pacer = OasisPacer(min_interval_s=0.3, clock=lambda: next(ticks), sleep=waits.append)
    end = SPRING_PACIFIC + timedelta(hours=23)
    with running_fake_iso(state, pki=None) as url:
        rows = fetch_prc_lmp(url, "DAM", "TH_SP15_GEN-APND", SPRING_PACIFIC, end, pacer=pacer, retry=FAST)
        fetch_prc_lmp(url, "DAM", "TH_SP15_GEN-APND", SPRING_PACIFIC, end, pacer=pacer, retry=FAST)
        assert waits == [pytest.approx(0.2)]
        state.oasis_min_interval_s = 30.0  # every call of the next request is "too fast", however slow the machine
        with pytest.raises(IsoUnavailable, match="HTTP 429"):
            fetch_prc_lmp(url, "DAM", "TH_SP15_GEN-APND", SPRING_PACIFIC, end, pacer=OasisPacer(0.0), retry=FAST)
        state.oasis_min_interval_s = 0.0
        with pytest.raises(OasisRequestFailed) as too_long:
            fetch_prc_lmp(url, "DAM", "X", SPRING_PACIFIC, SPRING_PACIFIC + timedelta(days=40), pacer=OasisPacer(0.0),
                          retry=FAST)
        with pytest.raises(OasisRetryLater):
            fetch_prc_lmp(url, "DAM", "NO_SUCH_NODE", SPRING_PACIFIC, end, pacer=OasisPacer(0.0), retry=FAST)
    assert too_long.value.code == 1004 and not too_long.value.retryable
    assert sorted(rows, key=lambda r: r.interval_start_utc) == _hourly("CAISO", "DA", "TH_SP15_GEN-APND",
                                                                        SPRING_PACIFIC, 23)
