"""submit_nyiso_period: one call builds, validates, keeps and submits a period's powerMetering body; a retry
sends nothing new, and meter data that breaks NYISO's rules stops before anything is sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from common.errors import BadInput
from devtools.fake_iso.runner import running_fake_iso
from devtools.fake_iso.state import FakeIsoState
from market_adapters.http.retry import RetryPolicy
from market_adapters.model import IsoCredentials, IsoMeterRef
from market_adapters.submission.nyiso_period import NyisoPeriod, submit_nyiso_period
from meterdata.schema import INTERVAL_SCHEMA

NOW = datetime(2025, 7, 16, 12, tzinfo=UTC)
DAY_START = datetime(2025, 7, 15, 4, tzinfo=UTC)
FAST = RetryPolicy(attempts_max=2, backoff_initial_s=0.0, backoff_max_s=0.0)


def _intervals(tmp_path, energy_wh: int) -> str:
    starts = [DAY_START + index * timedelta(hours=1) for index in range(24)]
    columns = {"meter_id": ["GT1"] * 24, "channel": ["delivered"] * 24, "interval_start_utc": starts,
               "interval_minutes": [60] * 24, "energy_wh": [energy_wh] * 24, "quality": [0] * 24,
               "source_sha256": ["0" * 64] * 24, "source_row": list(range(2, 26))}
    path = tmp_path / f"intervals-{energy_wh}.parquet"
    pq.write_table(pa.table(columns, schema=INTERVAL_SCHEMA), path)
    return str(path)


def _period(campus, uri: str) -> NyisoPeriod:
    return NyisoPeriod(campus.campus_id, campus.cycle_id, "2025-07", 1, uri,
                       (IsoMeterRef("GT1", "323999", "generation"),), DAY_START, DAY_START + timedelta(days=1), None)


def test_period_is_built_kept_and_submitted_once(engine, nyiso_campus, fake_pki, tmp_path):
    """24 hours accepted; the outbox file holds the body with a userRequestId from the business key; a second
    call returns the stored acceptance without contacting the ISO."""
    state = FakeIsoState(users={"wl-operator": "s3cret"}, metering_users={"wl-operator"}, generator_ptids={323999},
                         tie_ptids=set(), subzone_ptids=set(), ptid_nodes={}, now_utc=NOW)
    credentials = IsoCredentials("wl-operator", "s3cret", str(fake_pki.client_cert_path), str(fake_pki.client_key_path),
                                 str(fake_pki.ca_cert_path))
    path = tmp_path / "outbox" / "nyiso.json"
    period = _period(nyiso_campus, _intervals(tmp_path, 7_000_000))
    with running_fake_iso(state, pki=fake_pki) as url:
        first = submit_nyiso_period(engine, period, path, url, credentials, now_utc=NOW, retry=FAST)
        again = submit_nyiso_period(engine, period, path, url, credentials, now_utc=NOW, retry=FAST)
    assert (first.status, first.records_accepted, again.sent) == ("accepted", 24, False)
    kept = json.loads(path.read_text())
    assert kept["submissionParameters"]["userRequestId"] == f"{nyiso_campus.campus_id}-NYISO-2025-07-v1"
    assert [r.split()[0] for r in state.requests_seen] == ["POST", "GET", "POST"]  # dry run, read, commit, once


def test_data_that_breaks_nyiso_rules_is_refused_before_sending(engine, nyiso_campus, tmp_path):
    """10,000 MWh in one hour is outside NYISO's range: BadInput naming the record; no file, no request."""
    path = tmp_path / "outbox" / "too-big.json"
    period = _period(nyiso_campus, _intervals(tmp_path, 10_000_000_000))
    with pytest.raises(BadInput, match=r"generators\[0\].*outside"):
        submit_nyiso_period(engine, period, path, "http://127.0.0.1:9", IsoCredentials("u", "p"), now_utc=NOW,
                            retry=FAST)
    assert not path.exists()
