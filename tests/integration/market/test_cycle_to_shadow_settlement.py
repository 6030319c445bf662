"""End to end on loopback: a day of meter data is submitted to the fake NYISO (mutual TLS), the fake
publishes INITIAL/FINAL/TRUEUP statements with one planted price correction and one planted meter correction,
and shadow settlement finds both, posts the per-run differences to the ledger once, and lists the disputes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import text

from devtools.fake_iso.runner import running_fake_iso
from devtools.fake_iso.state import FakeIsoState, PlantedCorrections
from devtools.fake_iso.statements import plant_price_correction
from market_adapters.http.retry import RetryPolicy, tls_context
from market_adapters.model import IsoCredentials, IsoMeterRef
from market_adapters.nyiso import build_power_metering_document
from market_adapters.nyiso.client import fetch_damlbmp_zone, fetch_statement_documents
from market_adapters.nyiso.parse import power_metering_hours
from market_adapters.prices import PriceRow
from market_adapters.reconciliation import quantities_from_metered_hours
from market_adapters.reconciliation.service import import_statement_runs, list_disputes, run_shadow_settlement
from market_adapters.submission import SubmissionRequest, nyiso_sender, submit_cycle_to_iso
from meterdata.schema import INTERVAL_SCHEMA

EASTERN = ZoneInfo("America/New_York")
DAY = date(2025, 7, 15)
DAY_START = datetime(2025, 7, 15, 4, tzinfo=UTC)
HOUR_10 = DAY_START + timedelta(hours=10)
HOUR_14 = DAY_START + timedelta(hours=14)
FAST = RetryPolicy(attempts_max=2, backoff_initial_s=0.0, backoff_max_s=0.0)
METERS = [IsoMeterRef("GT1", "323999", "generation")]
ORIGIN = "wattledger.test/market-shadow"


def _state() -> FakeIsoState:
    # Hour i of the day is priced 20.25 + i; the price of hour 10 (30.25) is later corrected to 99.50, and
    # from TRUEUP the ISO settles hour 14 on its own reading, 0.5 MWh above ours.
    prices = [PriceRow("NYISO", "DA", "N.Y.C.", DAY_START + timedelta(hours=i), 60, Decimal("20.25") + i,
                       None, None, None, None, 1) for i in range(24)]
    planted = PlantedCorrections(HOUR_10, Decimal("99.50"), 323999, HOUR_14, Decimal("0.5"))
    state = FakeIsoState(users={"wl-operator": "s3cret"}, metering_users={"wl-operator"}, generator_ptids={323999},
                         tie_ptids=set(), subzone_ptids=set(), ptid_nodes={323999: "N.Y.C."}, prices=prices,
                         planted=planted, now_utc=datetime(2025, 7, 16, 12, tzinfo=UTC))
    plant_price_correction(state)
    return state


def _intervals(tmp_path) -> str:
    starts = [DAY_START + index * timedelta(minutes=15) for index in range(96)]
    columns = {"meter_id": ["GT1"] * 96, "channel": ["delivered"] * 96, "interval_start_utc": starts,
               "interval_minutes": [15] * 96, "energy_wh": [2_500_000] * 96, "quality": [0] * 96,
               "source_sha256": ["0" * 64] * 96, "source_row": list(range(2, 98))}
    path = tmp_path / "intervals.parquet"
    pq.write_table(pa.table(columns, schema=INTERVAL_SCHEMA), path)
    return str(path)


def _balance_usd_micros(engine, path: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT coalesce(sum(p.amount_minor), 0) FROM ledger_posting p JOIN ledger_account a "
            "USING (account_id) JOIN ledger l ON l.ledger_id = a.ledger_id WHERE a.path = :path AND l.origin = :o"),
            {"path": path, "o": ORIGIN}).scalar_one())


def test_planted_corrections_are_found_and_posted_once(engine, nyiso_campus, fake_pki, tmp_path):
    """INITIAL differs by 10 MWh x (30.25 - 99.50) = -692.50 (price); FINAL matches (+692.50 posted);
    TRUEUP: 10.5 x 34.25 = 359.625 -> 359.62 (half-even) vs our 342.50 = +17.12 (quantity, open)."""
    state = _state()
    credentials = IsoCredentials("wl-operator", "s3cret", str(fake_pki.client_cert_path),
                                 str(fake_pki.client_key_path), str(fake_pki.ca_cert_path))
    document = build_power_metering_document(_intervals(tmp_path), METERS, DAY_START, DAY_START + timedelta(days=1),
                                             EASTERN, "wl-shadow-2025-07-15")
    with running_fake_iso(state, pki=fake_pki) as url:
        sender = nyiso_sender(url, credentials, METERS, dry_run_first=False, retry=FAST)
        request = SubmissionRequest(nyiso_campus.campus_id, "NYISO", DAY.isoformat(), 1, nyiso_campus.cycle_id,
                                    document, "file:///outbox/doc.json", None)
        assert submit_cycle_to_iso(engine, request, sender, now_utc=state.now_utc).status == "accepted"
        statements = fetch_statement_documents(url, credentials, DAY, retry=FAST)
        prices = fetch_damlbmp_zone(url, DAY, verify=tls_context(credentials), retry=FAST)
    import_statement_runs(engine, nyiso_campus.campus_id, statements)
    quantities = quantities_from_metered_hours(power_metering_hours(document, "doc"))
    price_map = {(row.node, row.interval_start_utc): row.lmp_usd_per_mwh for row in prices}
    assert price_map[("N.Y.C.", HOUR_10)] == Decimal("99.50")
    for _ in range(2):  # the second run must change nothing
        result = run_shadow_settlement(engine, campus_id=nyiso_campus.campus_id, iso="NYISO", operating_day=DAY,
                                       quantities_mwh=quantities, prices_usd_per_mwh=price_map, ledger_origin=ORIGIN,
                                       signing_key_path=tmp_path / "ledger.pem")
    posted = [(run.run_type, charge.difference_usd_micros, charge.posted_delta_usd_micros)
              for run in result.runs for charge in run.charges]
    assert posted == [("INITIAL", -692_500_000, -692_500_000), ("FINAL", 0, 692_500_000),
                      ("TRUEUP", 17_120_000, 17_120_000)]
    receivable = f"campus:{nyiso_campus.campus_id}:iso:nyiso:receivable"
    assert _balance_usd_micros(engine, receivable) == 17_120_000
    disputes = list_disputes(engine, nyiso_campus.campus_id, status=None)
    summary = [(d["run_type"], d["cause"], d["interval_start_utc"], d["difference_usd_micros"], d["status"])
               for d in disputes]
    assert summary == [("INITIAL", "price", HOUR_10, -692_500_000, "resolved_by_later_run"),
                       ("TRUEUP", "quantity", HOUR_14, 17_120_000, "open")]
    assert [d["cause"] for d in list_disputes(engine, nyiso_campus.campus_id)] == ["quantity"]
