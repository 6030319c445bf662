"""Ledger benchmark: batched appends vs one entry per transaction, and verification speed.

Run: `.venv/bin/python bench/ledger.py` (DATABASE_URL selects a server; unset = embedded PostgreSQL).
Creates and drops its own database. The last line is
`BENCH ledger append_postings_per_s=... vs_naive=... verify_entries_per_s=...`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine

from db import make_engine, scratch_database
from ledger import AccountSpec, EntryRequest, PostingRequest, append_entries, ensure_ledger, open_accounts
from ledger.accounts import (
    ASSET_CARBON,
    ASSET_ENERGY,
    ASSET_USD,
    campus_revenue,
    tenant_emissions,
    tenant_receivable,
)

ORIGIN = "bench.wattledger/ledger"
EFFECTIVE_UTC = datetime(2026, 1, 1, tzinfo=UTC)
TENANTS = 20
RUNS = 5  # best of 5: the machine is shared, so the best run is the one least disturbed


def chart() -> list[AccountSpec]:
    """The chart's receivables, revenue and emissions carriers, plus accounts finer than ledger.accounts
    (per generator, demand charges, tenant consumption without the energy segment) that the benchmark
    has always posted to: kept as written, so its entries and figures stay comparable across runs."""
    specs = [AccountSpec(campus_revenue("a", "energy"), ASSET_USD, "credit"),
             AccountSpec("campus:a:revenue:demand", ASSET_USD, "credit"),
             AccountSpec("campus:a:generation:gt1", ASSET_ENERGY, "credit"),
             AccountSpec("campus:a:generation:solar", ASSET_ENERGY, "credit"),
             AccountSpec("campus:a:grid_import", ASSET_ENERGY, "credit"),
             AccountSpec("campus:a:emissions:gt1", ASSET_CARBON, "credit"),
             AccountSpec("campus:a:emissions:grid", ASSET_CARBON, "credit")]
    for tenant in range(TENANTS):
        specs += [AccountSpec(tenant_receivable(f"t{tenant}"), ASSET_USD, "debit"),
                  AccountSpec(f"tenant:t{tenant}:consumption", ASSET_ENERGY, "debit"),
                  AccountSpec(tenant_emissions(f"t{tenant}"), ASSET_CARBON, "debit")]
    return specs


def settlement(key: str, index: int) -> EntryRequest:
    """Six legs in three assets: what one tenant's settled interval posts."""
    tenant = index % TENANTS
    usd, wh, grams = 1_000_000 + index, 1_000 + index % 97, 400 + index % 13
    return EntryRequest(idempotency_key=key, effective_at_utc=EFFECTIVE_UTC, meta={"cycle_id": "bench"}, postings=[
        PostingRequest(tenant_receivable(f"t{tenant}"), ASSET_USD, usd),
        PostingRequest(campus_revenue("a", "energy"), ASSET_USD, -usd),
        PostingRequest(f"tenant:t{tenant}:consumption", ASSET_ENERGY, wh),
        PostingRequest("campus:a:generation:gt1", ASSET_ENERGY, -wh),
        PostingRequest(tenant_emissions(f"t{tenant}"), ASSET_CARBON, grams),
        PostingRequest("campus:a:emissions:gt1", ASSET_CARBON, -grams),
    ])


def cycle_settlement(key: str, index: int) -> EntryRequest:
    """Fourteen legs: a tenant's month by source (turbine, solar, grid), energy and demand charges,
    and emissions by source, the shape of one tenant's share of a billing cycle."""
    tenant = index % TENANTS
    by_source = (("campus:a:generation:gt1", 600 + index % 7), ("campus:a:generation:solar", 300 + index % 5),
                 ("campus:a:grid_import", 100 + index % 3))
    legs = []
    for source, wh in by_source:
        legs += [PostingRequest(f"tenant:t{tenant}:consumption", ASSET_ENERGY, wh), PostingRequest(source, ASSET_ENERGY, -wh)]
    for revenue, usd in ((campus_revenue("a", "energy"), 900_000 + index), ("campus:a:revenue:demand", 250_000)):
        legs += [PostingRequest(tenant_receivable(f"t{tenant}"), ASSET_USD, usd), PostingRequest(revenue, ASSET_USD, -usd)]
    for emitter, grams in (("campus:a:emissions:gt1", 240 + index % 11), ("campus:a:emissions:grid", 40)):
        legs += [PostingRequest(tenant_emissions(f"t{tenant}"), ASSET_CARBON, grams), PostingRequest(emitter, ASSET_CARBON, -grams)]
    return EntryRequest(idempotency_key=key, effective_at_utc=EFFECTIVE_UTC, meta={"cycle_id": "bench"}, postings=legs)


def cycle_postings_per_s(engine: Engine, entries: int, per_batch: int, run: int) -> float:
    started = time.perf_counter()
    for first in range(0, entries, per_batch):
        batch = [cycle_settlement(f"cycle-{run}-{i}", i) for i in range(first, min(entries, first + per_batch))]
        with engine.begin() as conn:
            append_entries(conn, ORIGIN, batch)
    return entries * 14 / (time.perf_counter() - started)


def best_of(name: str, rates: list[float]) -> float:
    print(f"{name} runs (postings/s): {', '.join(f'{rate:,.0f}' for rate in rates)}")
    return max(rates)


def server_url() -> str:
    from db import server_url_from_environment

    return server_url_from_environment(ROOT / ".wattledger" / "bench-pg")


def naive_postings_per_s(engine: Engine, entries: int, run: int) -> float:
    started = time.perf_counter()
    for index in range(entries):
        with engine.begin() as conn:
            append_entries(conn, ORIGIN, [settlement(f"naive-{run}-{index}", index)])
    return entries * 6 / (time.perf_counter() - started)


def batched_postings_per_s(engine: Engine, entries: int, per_batch: int, run: int) -> float:
    started = time.perf_counter()
    for first in range(0, entries, per_batch):
        batch = [settlement(f"batch-{run}-{index}", index) for index in range(first, min(entries, first + per_batch))]
        with engine.begin() as conn:
            append_entries(conn, ORIGIN, batch)
    return entries * 6 / (time.perf_counter() - started)


def verify_rates(engine: Engine) -> dict[str, float]:
    """Entries/s of: the fast export verifier, the stdlib-only verifier, and verify_ledger (live)."""
    from ledger import verify_ledger
    from ledger.audit.compiled_check import passes_compiled_check
    from ledger.checkpoint import sign_checkpoint
    from ledger.export import export_ledger
    from ledger.verifier import compiled_check
    from ledger.verifier.export_check import verify_export

    rates: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "export"
        with engine.begin() as conn:
            sign_checkpoint(conn, ORIGIN, Path(folder) / "key.pem")
            export_ledger(conn, ORIGIN, export)
        # Timed through the fast path alone: had it deferred to the replay, this would raise.
        fast_only = partial(compiled_check.compiled_verdict, trusted_vkeys=None)
        fast_only(export)  # compile (numba caches to disk) before timing
        for name, verifier in (("fast", fast_only), ("stdlib", verify_export)):
            for _ in range(RUNS):
                started = time.perf_counter()
                report = verifier(export)
                rate = report.entries_checked / (time.perf_counter() - started)
                rates[name] = max(rates.get(name, 0.0), rate)
                assert report.ok and report.checkpoints_checked == 1, report
    with engine.connect() as conn:
        assert passes_compiled_check(conn, ORIGIN), "the live fast path deferred to the replay"
    for _ in range(RUNS):
        started = time.perf_counter()
        with engine.connect() as conn:
            live = verify_ledger(conn, ORIGIN)
        assert live.ok, live
        rates["live"] = max(rates.get("live", 0.0), live.entries_checked / (time.perf_counter() - started))
    rates["entries"] = live.entries_checked
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--naive-entries", type=int, default=200)
    parser.add_argument("--batched-entries", type=int, default=10_000)
    parser.add_argument("--per-batch", type=int, default=2_000)
    args = parser.parse_args()
    with scratch_database(server_url(), "wlbench") as url:
        engine = make_engine(url)
        with engine.begin() as conn:
            ensure_ledger(conn, ORIGIN)
            open_accounts(conn, ORIGIN, chart())
        naive = best_of("naive", [naive_postings_per_s(engine, args.naive_entries, run) for run in range(RUNS)])
        batched = best_of("batched", [batched_postings_per_s(engine, args.batched_entries, args.per_batch, run)
                                      for run in range(RUNS)])
        cycle = best_of("cycle", [cycle_postings_per_s(engine, args.batched_entries // 2, args.per_batch, run)
                                  for run in range(RUNS)])
        rates = verify_rates(engine)
        engine.dispose()
    print(f"naive (1 entry of 6 postings per transaction): {naive:,.0f} postings/s, best of {RUNS} x {args.naive_entries} entries")
    print(f"batched ({args.per_batch} entries per transaction): {batched:,.0f} postings/s, best of {RUNS} x {args.batched_entries} entries")
    print(f"batched, 14-leg cycle entries: {cycle:,.0f} postings/s, best of {RUNS} x {args.batched_entries // 2} entries")
    print(f"verify {rates['entries']:.0f} entries (best of {RUNS}): fast export verifier {rates['fast']:,.0f}/s, stdlib-only"
          f" {rates['stdlib']:,.0f}/s, live verify_ledger {rates['live']:,.0f}/s")
    print(f"BENCH ledger append_postings_per_s={batched:.0f} vs_naive={batched / naive:.1f} "
          f"verify_entries_per_s={rates['fast']:.0f} verify_stdlib_entries_per_s={rates['stdlib']:.0f} "
          f"verify_live_entries_per_s={rates['live']:.0f} append_postings_per_s_14_legs={cycle:.0f}")


if __name__ == "__main__":
    main()
