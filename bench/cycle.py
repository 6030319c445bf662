"""Whole-cycle benchmark: a 1,000-tenant, 2,000-meter campus month through the API, Temporal and PostgreSQL.

For each worker count in `--workers` (default `1,2`) it starts the stack as `wattledger dev --workers N` does
(embedded PostgreSQL and Temporal on their own ports in a fresh home, or `DATABASE_URL`), applies the campus
file (bench/cycle_campus.py) and uploads the month's site export through the API, starts the cycle, approves it
through the approve update as soon as it waits for finance, and waits until it completes. Then it checks what the
cycle produced: an invoice for every tenant, a settlement whose tenant totals sum to its total, and the ledger
verified through the API.

Per-step seconds come from the workflow's history (first activity scheduled to last completed, per activity
type); `total_s` is the workflow's start to its end less the wait for finance (from settle's completion to the
approval). Peak RSS of each process is the kernel's high-water mark (VmHWM), read before the stack stops.
`ingest_readings_per_s` is readings over the ingest step's seconds. `two_worker_speedup` is the total with one
worker over the total with two. With `--repeat N` the worker counts alternate N times and the figures are medians
(peak RSS the largest seen) of the first count's runs.

Rerun: `.venv/bin/python bench/cycle.py` (full: 17.9 M readings) or
`.venv/bin/python bench/cycle.py --tenants 100 --meters 200 --workers 1` (quick). Last line:
`BENCH cycle total_s=... ingest_readings_per_s=... peak_rss_gb=... tenants=... meters=... readings=...
two_worker_speedup=...`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from api.auth import mint_token
from bench.cycle_campus import CAMPUS_ID, PERIOD, campus_document, write_site_export
from settings import Settings
from wattledger_cli.stack import Stack, free_port, running_stack

WAIT_S_MAX = 1_800.0
POLL_S = 0.2
BENCH_USER = "bench.finance@wattledger.local"


@dataclass
class CycleRun:
    workers: int
    step_s: dict[str, float] = field(default_factory=dict)
    total_s: float = 0.0
    approval_wait_s: float = 0.0
    upload_s: float = 0.0
    peak_rss_gb: dict[str, float] = field(default_factory=dict)
    phase_rss_gb: dict[str, float] = field(default_factory=dict)
    """The largest resident set of any worker seen while the cycle was in each phase (sampled each poll)."""
    invoice_count: int = 0
    ledger_entries: int = 0


def _status_gb(pid: int, key: str) -> float:
    """A size from /proc/PID/status: VmHWM (peak resident set) or VmRSS (resident set now)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) * 1024 / 2**30
    return 0.0


async def _step_seconds(address: str, workflow_id: str) -> tuple[dict[str, float], float, float]:
    """Per activity type, first scheduled to last completed; the workflow's total less the approval wait."""
    client = await Client.connect(address)
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    scheduled: dict[int, tuple[str, float]] = {}
    spans: dict[str, tuple[float, float]] = {}
    started_s = ended_s = settled_s = approved_s = 0.0
    for event in history.events:
        at_s = event.event_time.ToDatetime().timestamp()
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            started_s = at_s
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled[event.event_id] = (event.activity_task_scheduled_event_attributes.activity_type.name, at_s)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            name, first_s = scheduled[event.activity_task_completed_event_attributes.scheduled_event_id]
            begin_s, _ = spans.get(name, (first_s, at_s))
            spans[name] = (min(begin_s, first_s), at_s)
            if name == "settle_cycle":
                settled_s = at_s
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED and not approved_s:
            approved_s = at_s
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            ended_s = at_s
    approval_wait_s = approved_s - settled_s
    return ({name: end - begin for name, (begin, end) in spans.items() if name != "record_status"},
            ended_s - started_s - approval_wait_s, approval_wait_s)


async def _wait_for(http: httpx.AsyncClient, cycle_id: str, states: set[str], stack: Stack,
                    run: CycleRun) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S_MAX
    workers = [child.process.pid for child in stack.children if child.name.startswith("worker")]
    while time.monotonic() < deadline:
        cycle: dict[str, Any] = (await http.get(f"/cycles/{cycle_id}")).raise_for_status().json()
        if cycle["status"] in states:
            return cycle
        rss_gb = max(_status_gb(pid, "VmRSS") for pid in workers)
        run.phase_rss_gb[cycle["status"]] = max(rss_gb, run.phase_rss_gb.get(cycle["status"], 0.0))
        await asyncio.sleep(POLL_S)
    raise TimeoutError(f"{cycle_id} did not reach {sorted(states)} within {WAIT_S_MAX:.0f} s")


async def _bill(stack: Stack, paths: list[Path], tenants: int, meters: int, run: CycleRun) -> None:
    token = mint_token(stack.settings, BENCH_USER, ["operator", "finance", "auditor"], None, timedelta(hours=2))
    async with httpx.AsyncClient(base_url=stack.api_base_url, timeout=600,
                                 headers={"Authorization": f"Bearer {token}"}) as http:
        campus = json.dumps(campus_document(tenants, meters)).encode()
        (await http.put(f"/campuses/{CAMPUS_ID}", content=campus,
                        headers={"Content-Type": "application/json"})).raise_for_status()
        started = time.perf_counter()
        for path in paths:
            with path.open("rb") as body:
                response = await http.post("/meter-data", params={"campus_id": CAMPUS_ID, "name": path.name},
                                           content=body.read())
            if response.status_code >= 400:
                raise RuntimeError(f"{path.name}: {response.status_code} {response.text}")
        run.upload_s = time.perf_counter() - started
        created = (await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": PERIOD})).raise_for_status()
        cycle_id = created.json()["cycle_id"]
        cycle = await _wait_for(http, cycle_id, {"awaiting_approval", "failed", "completed", "cancelled"}, stack,
                              run)
        if cycle["status"] != "awaiting_approval":
            raise RuntimeError(f"{cycle_id} {cycle['status']}: {cycle['status_detail']}")
        (await http.post(f"/cycles/{cycle_id}/approve", json={"comment": "bench"})).raise_for_status()
        cycle = await _wait_for(http, cycle_id, {"failed", "completed", "cancelled"}, stack, run)
        if cycle["status"] != "completed":
            raise RuntimeError(f"{cycle_id} {cycle['status']}: {cycle['status_detail']}")
        await _check_outcome(http, cycle, tenants, run)
        # The workflow's id is the cycle's id (workflows/billing_cycle_start.py).
        run.step_s, run.total_s, run.approval_wait_s = await _step_seconds(stack.temporal_address, cycle_id)
        run.peak_rss_gb = {child.name: _status_gb(child.process.pid, "VmHWM") for child in stack.children}


async def _check_outcome(http: httpx.AsyncClient, cycle: dict[str, Any], tenants: int, run: CycleRun) -> None:
    """Every tenant invoiced, the settlement's tenant totals sum to its total, the ledger verifies."""
    settle = (await http.get(cycle["steps"]["settle"]["url"])).raise_for_status().json()
    tenant_totals = settle["tenant_totals_usd_micros"]
    if len(tenant_totals) != tenants or sum(tenant_totals.values()) != settle["total_usd_micros"]:
        raise AssertionError(f"settlement: {len(tenant_totals)} tenants, sum {sum(tenant_totals.values())} "
                             f"!= total {settle['total_usd_micros']}")
    invoice = cycle["steps"]["invoice"]
    run.invoice_count = invoice["invoice_count"]
    if run.invoice_count != tenants:
        raise AssertionError(f"{run.invoice_count} invoices for {tenants} tenants")
    report = (await http.get("/ledger/verify")).raise_for_status().json()
    if not report["ok"]:
        raise AssertionError(f"ledger broken at seq {report['first_bad_seq']}")
    run.ledger_entries = report["entries_checked"]


async def _run_once(home: Path, paths: list[Path], tenants: int, meters: int, workers: int) -> CycleRun:
    run = CycleRun(workers)
    settings = Settings(home=home, temporal_port=free_port(), temporal_ui_port=free_port())
    async with running_stack(settings, api_port=free_port(), log_dir=home / "logs", workers=workers) as stack:
        await stack.run(_bill(stack, paths, tenants, meters, run))
    return run


def _run_in_child(folder: Path, paths: list[Path], args: argparse.Namespace, workers: int) -> CycleRun:
    """One run in a process of its own, whose exit stops the embedded PostgreSQL it started; its home is removed
    only then."""
    home = Path(tempfile.mkdtemp(prefix=f"bench-cycle-{workers}-worker-", dir=args.keep_homes or folder))
    command = [sys.executable, __file__, "--tenants", str(args.tenants), "--meters", str(args.meters),
               "--child", str(home), json.dumps([str(path) for path in paths]), str(workers)]
    try:
        child = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    finally:
        if args.keep_homes:
            print(f"kept {home} (its logs/, data/ and pg/)", flush=True)
        else:
            shutil.rmtree(home, ignore_errors=True)
    return CycleRun(**json.loads(child.stdout.strip().splitlines()[-1]))


def _print_run(run: CycleRun, readings: int) -> None:
    steps = ", ".join(f"{name} {seconds:.2f}" for name, seconds in run.step_s.items())
    rss = ", ".join(f"{name} {gb:.2f}" for name, gb in run.peak_rss_gb.items())
    phases = ", ".join(f"{name} {gb:.2f}" for name, gb in run.phase_rss_gb.items())
    print(f"{run.workers} worker(s): total {run.total_s:.1f} s (approval wait {run.approval_wait_s:.1f} s left out; "
          f"upload {run.upload_s:.1f} s before the cycle); steps s: {steps}; peak RSS GB: {rss}; "
          f"largest worker RSS GB seen per phase: {phases}; "
          f"{run.invoice_count} invoices, ledger {run.ledger_entries} entries verified; "
          f"ingest {readings / run.step_s['ingest_meter_files']:,.0f} readings/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=1_000)
    parser.add_argument("--meters", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--files", type=int, default=8, help="site-export files the meters are split over")
    parser.add_argument("--workers", default="1,2", help="worker counts to run, comma-separated")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each worker count (figures are medians)")
    parser.add_argument("--keep-homes", type=Path, help="keep each run's home (logs, data, database) in this folder")
    parser.add_argument("--child", nargs=3, metavar=("HOME", "PATHS_JSON", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        home, paths_json, workers = args.child
        run = asyncio.run(_run_once(Path(home), [Path(path) for path in json.loads(paths_json)], args.tenants,
                                    args.meters, int(workers)))
        print(json.dumps(asdict(run)))
        return
    worker_counts = [int(count) for count in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-cycle-") as folder:
        started = time.perf_counter()
        paths, readings = write_site_export(Path(folder), args.meters, args.days, args.files, args.seed)
        size_gb = sum(path.stat().st_size for path in paths) / 1e9
        print(f"wrote {readings:,} readings for {args.meters:,} meters and {args.tenants:,} tenants in "
              f"{len(paths)} files, {size_gb:.2f} GB, in {time.perf_counter() - started:.1f} s", flush=True)
        runs = []
        for _ in range(args.repeat):  # alternating, so a busy spell of the machine does not favour one count
            for workers in worker_counts:
                runs.append(_run_in_child(Path(folder), paths, args, workers))
                _print_run(runs[-1], readings)
    first = [run for run in runs if run.workers == worker_counts[0]]
    total_s = statistics.median(run.total_s for run in first)
    ingest_s = statistics.median(run.step_s["ingest_meter_files"] for run in first)
    worker_rss_gb = max(gb for run in first for name, gb in run.peak_rss_gb.items() if name.startswith("worker"))
    totals = {count: statistics.median(run.total_s for run in runs if run.workers == count) for count in worker_counts}
    speedup = f"{totals[1] / totals[2]:.2f}" if 1 in totals and 2 in totals else "n/a"
    print(f"BENCH cycle total_s={total_s:.1f} ingest_readings_per_s={readings / ingest_s:.0f} "
          f"peak_rss_gb={worker_rss_gb:.2f} tenants={args.tenants} meters={args.meters} readings={readings} "
          f"two_worker_speedup={speedup}")

if __name__ == "__main__":
    main()
