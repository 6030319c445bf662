"""Campus-file benchmark: a campus of 2,000 tenants and 20,000 meters through validate, plan, apply and re-apply.

Every tenant has 10 meters and a fixed-price contract; half of the tenants' contracts carry an amendment. The
file is written as TOML, then `wattledger campus` does what it does on a real onboarding: check the file (no
database), plan it against an empty campus, apply it (one transaction), apply it again (nothing changes), and
plan a second version that adds one amendment per tenant.

Run: `.venv/bin/python bench/campus_apply.py [--tenants 2000 --meters-per-tenant 10]` against the server named
by DATABASE_URL (or the embedded one under `.wattledger/bench-pg`). The last line is
`BENCH campus_apply tenants=... meters=... file_mb=... validate_s=... plan_s=... apply_s=... reapply_s=...
amend_plan_s=... amend_apply_s=...`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import tomli_w

from campus.file import read_campus_file
from campus.service import apply, plan
from db import make_engine, scratch_database, server_url_from_environment

T = TypeVar("T")


def campus_file(tenants: int, meters_per_tenant: int, amendments: bool) -> dict[str, Any]:
    document: dict[str, Any] = {"schema_version": 1, "campus": {
        "id": "bench-campus", "name": "Bench Campus", "time_zone": "America/Chicago", "iso": "ERCOT",
        "egrid_subregion": "ERCT"}, "tenants": [], "meters": [
        {"id": "GRID-IMP", "role": "grid_import", "unit": "kWh", "rated_kw": 900_000}], "contracts": []}
    for index in range(tenants):
        tenant_id = f"tenant-{index:05d}"
        document["tenants"].append({"id": tenant_id, "name": f"Tenant {index}", "billing_address": "1 Main St"})
        for meter in range(meters_per_tenant):
            document["meters"].append({"id": f"T{index:05d}-M{meter:02d}", "role": "tenant_consumption",
                                       "tenant": tenant_id, "unit": "kWh", "rated_kw": 2_000})
        versions = [{"effective_from": "2026-01-01", "terms": {"price_usd_per_mwh": "60.00"}}]
        if index % 2:
            versions.append({"effective_from": "2026-06-01", "terms": {"price_usd_per_mwh": "61.25"}})
        if amendments:
            versions.append({"effective_from": "2026-12-01", "terms": {"price_usd_per_mwh": "63.00"}})
        document["contracts"].append({"key": f"{tenant_id}-supply", "kind": "fixed_price", "tenant": tenant_id,
                                      "versions": versions})
    return document


def timed(action: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=2_000)
    parser.add_argument("--meters-per-tenant", type=int, default=10)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="wl-campus-bench-"))
    path, amended_path = folder / "campus.toml", folder / "campus-v2.toml"
    path.write_text(tomli_w.dumps(campus_file(args.tenants, args.meters_per_tenant, False)))
    amended_path.write_text(tomli_w.dumps(campus_file(args.tenants, args.meters_per_tenant, True)))
    server_url = server_url_from_environment(ROOT / ".wattledger" / "bench-pg")
    with scratch_database(server_url, "wlbench") as url:
        engine = make_engine(url)
        document, validate_s = timed(lambda: read_campus_file(path))
        with engine.connect() as conn:
            changes, plan_s = timed(lambda: plan(conn, document))
        first, apply_s = timed(lambda: apply(engine, document, "bench"))
        again, reapply_s = timed(lambda: apply(engine, read_campus_file(path), "bench"))
        amended = read_campus_file(amended_path)
        with engine.connect() as conn:
            amend_changes, amend_plan_s = timed(lambda: plan(conn, amended))
        second, amend_apply_s = timed(lambda: apply(engine, amended, "bench"))
        engine.dispose()
    assert (first.version, again.applied, second.version) == (1, False, 2)
    assert len(amend_changes) == args.tenants and len(changes) == 1 + 2 * args.tenants + len(document.document["meters"])
    meters = len(document.document["meters"])
    print(f"changes planned: {len(changes)}; amendments planned: {len(amend_changes)}")
    print(f"BENCH campus_apply tenants={args.tenants} meters={meters} file_mb={path.stat().st_size / 1e6:.1f} "
          f"validate_s={validate_s:.2f} plan_s={plan_s:.2f} apply_s={apply_s:.2f} reapply_s={reapply_s:.2f} "
          f"amend_plan_s={amend_plan_s:.2f} amend_apply_s={amend_apply_s:.2f}")


if __name__ == "__main__":
    main()
