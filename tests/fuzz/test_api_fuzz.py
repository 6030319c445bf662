"""Malformed input through the real API: thousands of generated requests, no 5xx, no unhandled exception,
and nothing stored changes.

Families (seeded; a failure names seed, family, route and case):
- JSON bodies broken against each POST route's OpenAPI schema (syntax, top-level type, missing or
  wrongly typed required fields, deep nesting), sent with a valid staff token;
- garbage path and query values on every GET and POST route (traversal, NUL, overlong, huge numbers);
- malformed CSV load profiles through `POST /tariffs/bill`;
- malformed Payloads JSON to the codec server;
- wrong content types (form, text, bytes) on JSON routes;
- file uploads of malformed CSV/ESPI to every route that takes multipart/form-data (none today besides the
  finance login form; the family runs against whatever upload routes the app has).
Quick size in the normal suite; `make test-faults` runs 10,000+ requests.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url

from demo.campus import register_demo_campus
from tests.faults.harness import fresh_database
from tests.fuzz.api_harness import FuzzApp, running_app, snapshot
from tests.fuzz.conftest import FULL, cases
from tests.fuzz.mutators import garbage_value, malformed_bodies, malformed_csv, malformed_espi

SEED = 9
URDB = {"energyratestructure": [[{"rate": 0.1}]], "energyweekdayschedule": [[0] * 24] * 12,
        "energyweekendschedule": [[0] * 24] * 12}


@pytest.fixture
async def fuzz_app(tmp_path: Path, database_url: str) -> Any:
    from db import make_engine

    server_url = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    with fresh_database(server_url) as url:
        engine = make_engine(url)
        with engine.begin() as conn:
            register_demo_campus(conn)
        try:
            async with running_app(tmp_path / "home", engine, url) as app:
                yield app, engine
        finally:
            engine.dispose()


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            yield method.upper(), path, op


def _fill_path(path: str, rng: random.Random) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: garbage_value(rng), path)


class Tally:
    def __init__(self) -> None:
        self.requests = 0
        self.by_family: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()

    async def send(self, fuzz: FuzzApp, family: str, method: str, url: str, **kwargs: Any) -> int:
        headers = {**fuzz.auth, **kwargs.pop("headers", {})}
        try:
            response = await fuzz.http.request(method, url, headers=headers, **kwargs)
        except Exception as error:
            raise AssertionError(f"seed {SEED} {family} {method} {url[:120]}: unhandled "
                                 f"{type(error).__name__}: {str(error)[:300]}") from error
        assert response.status_code < 500, (
            f"seed {SEED} {family} {method} {url[:120]}: {response.status_code} {response.text[:300]}")
        self.requests += 1
        self.by_family[family] += 1
        self.by_status[response.status_code] += 1
        return response.status_code


async def _json_bodies(fuzz: FuzzApp, tally: Tally, rng: random.Random, per_route: int) -> None:
    spec = fuzz.app.openapi()
    components = spec.get("components", {}).get("schemas", {})
    for method, path, op in _operations(spec):
        schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            continue
        url = path.replace("{", "").replace("}", "")  # a plain, existing-looking id; the body is what is broken
        for kind, body in malformed_bodies(schema, components, rng, per_route):
            status = await tally.send(fuzz, f"json:{kind}", method, url, content=body,
                                      headers={"content-type": "application/json"})
            assert 400 <= status < 500, f"seed {SEED} {kind} body accepted by {method} {path}: {status} {body[:200]!r}"


async def _garbage_params(fuzz: FuzzApp, tally: Tally, rng: random.Random, per_route: int) -> None:
    for method, path, op in _operations(fuzz.app.openapi()):
        query_names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
        for _ in range(per_route):
            query = "&".join(f"{name}={garbage_value(rng)}" for name in query_names if rng.random() < 0.7)
            url = _fill_path(path, rng) + (f"?{query}" if query else "")
            body = {"headers": {"content-type": "application/json"}, "content": b"{}"} if method == "POST" else {}
            await tally.send(fuzz, "params", method, url, **body)


async def _csv_loads(fuzz: FuzzApp, tally: Tally, rng: random.Random, count: int) -> None:
    for _ in range(count):
        load_csv = malformed_csv(rng).decode("utf-8", errors="replace")
        zone = rng.choice(["America/Chicago", "Mars/Olympus", "", "UTC"])
        await tally.send(fuzz, "csv:tariff-load", "POST", "/tariffs/bill",
                         json={"urdb": URDB, "load_csv": load_csv, "time_zone": zone})


CODEC_BAD_BODIES = [
    b"{", b"[]", b'{"payloads": 5}', b'{"unknown": 1}', b"\xff\xfe", b'{"payloads": [{"metadata": 7}]}',
    # encrypted-looking payloads: too short for a nonce, and a key id the keyring does not hold
    b'{"payloads": [{"metadata": {"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="}, "data": "AAAA"}]}',
    (b'{"payloads": [{"metadata": {"encoding": "YmluYXJ5L2VuY3J5cHRlZA==", "encryption-key-id": "bm9wZQ=="},'
     b' "data": "AAAAAAAAAAAAAAAAAAAAAAAA"}]}'),
]


async def _codec_payloads(fuzz: FuzzApp, tally: Tally, rng: random.Random, count: int) -> None:
    for _ in range(count):
        body = rng.choice(CODEC_BAD_BODIES)
        status = await tally.send(fuzz, "codec", "POST", "/codec/decode", content=body,
                                  headers={"content-type": "application/json"})
        assert 400 <= status < 500, f"codec decode accepted {body!r}: {status}"


async def _content_types(fuzz: FuzzApp, tally: Tally, rng: random.Random, per_route: int) -> None:
    for method, path, op in _operations(fuzz.app.openapi()):
        if "application/json" not in op.get("requestBody", {}).get("content", {}):
            continue
        for _ in range(per_route):
            kind = rng.choice(["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data"])
            body = rng.choice([b"a=1&b=2", b"<x/>", bytes(rng.randrange(256) for _ in range(64)), b"{}"])
            status = await tally.send(fuzz, "content-type", method, path.replace("{", "").replace("}", ""),
                                      content=body, headers={"content-type": kind})
            assert 400 <= status < 500, f"{method} {path} took {kind}: {status}"


async def _uploads(fuzz: FuzzApp, tally: Tally, rng: random.Random, shared_dir: Path, per_route: int) -> list[str]:
    sample = (shared_dir / "iso_samples" / "greenbutton_espi_15min_sample.xml").read_text()
    routes = [(m, p) for m, p, op in _operations(fuzz.app.openapi())
              if "multipart/form-data" in op.get("requestBody", {}).get("content", {})]
    for method, path in routes:
        for index in range(per_route):
            name, data = (f"f{index}.csv", malformed_csv(rng)) if index % 2 else (f"f{index}.xml", malformed_espi(sample, rng))
            await tally.send(fuzz, "upload", method, path.replace("{", "").replace("}", ""),
                             files={"file": (name, data, "application/octet-stream")})
    return [f"{m} {p}" for m, p in routes]


RECEIVED_TABLES = ("raw_file", "meter_data_quarantine", "meter_data_accepted")


async def _meter_data_uploads(fuzz: FuzzApp, tally: Tally, rng: random.Random, shared_dir: Path,
                              count: int) -> tuple[Counter[int], dict[bytes, int]]:
    """Malformed CSV and ESPI files as raw-body uploads to POST /meter-data (the ingest entry point); the
    statuses, and the last status of each distinct body."""
    sample = (shared_dir / "iso_samples" / "greenbutton_espi_15min_sample.xml").read_text()
    statuses: Counter[int] = Counter()
    last_status: dict[bytes, int] = {}
    for index in range(count):
        if index % 2:
            name, data = f"fuzz-{index}.csv", malformed_csv(rng)
        else:
            name, data = f"fuzz-{index}.xml", malformed_espi(sample, rng)
        status = await tally.send(fuzz, "upload:meter-data", "POST",
                                  f"/meter-data?campus_id=demo-campus&name={name}", content=data,
                                  headers={"content-type": "application/octet-stream"})
        statuses[status] += 1
        last_status[data] = status
    return statuses, last_status


async def test_malformed_uploads_are_quarantined_and_touch_nothing_else(fuzz_app: Any, shared_dir: Path) -> None:
    """Malformed files uploaded to POST /meter-data: no 5xx; each distinct body is kept as received and
    quarantined (422) or accepted (201) when the mutation happened to leave it valid, counted one for one in the
    database (a repeat of refused bytes is checked again and refused again, a repeat of accepted bytes is a 200
    duplicate, an empty body is refused unstored); every other table is unchanged."""
    fuzz, engine = fuzz_app
    rng = random.Random(SEED + 1)
    assert (await fuzz.http.get("/ledger/verify", headers=fuzz.auth)).status_code == 200
    before = {t: v for t, v in snapshot(engine).items() if t not in RECEIVED_TABLES}
    tally = Tally()
    statuses, last_status = await _meter_data_uploads(fuzz, tally, rng, shared_dir, cases(quick=60, full=1000))
    after = snapshot(engine)
    assert {t: v for t, v in after.items() if t not in RECEIVED_TABLES} == before
    received = {t: int(after[t].split(":")[0]) for t in RECEIVED_TABLES}
    stored = {data: status for data, status in last_status.items() if data}
    assert received["meter_data_quarantine"] == sum(status == 422 for status in stored.values()), received
    assert received["meter_data_accepted"] == sum(status in (200, 201) for status in stored.values()), received
    assert received["raw_file"] == len(stored), (received, statuses)
    assert set(statuses) <= {200, 201, 422}, statuses
    assert statuses[422] > 0.8 * (statuses[422] + statuses[201]), statuses  # 200 = accepted bytes again
    results_name = "upload_fuzz_full.json" if FULL else "upload_fuzz_quick.json"
    from tests.faults.harness import RESULTS

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / results_name).write_text(json.dumps({"seed": SEED + 1, "uploads": tally.requests,
                                                    "by_status": {str(k): v for k, v in sorted(statuses.items())}},
                                                   indent=1, sort_keys=True))


async def test_malformed_requests_get_4xx_and_change_nothing_stored(fuzz_app: Any, shared_dir: Path) -> None:
    """Every family above against the real app: no 5xx, no unhandled exception, every table unchanged."""
    fuzz, engine = fuzz_app
    rng = random.Random(SEED)
    # GET /ledger/verify creates the empty ledger head on first use (ledger.ensure_ledger); do that first so
    # the snapshot compares stored data, not that one-time set-up.
    assert (await fuzz.http.get("/ledger/verify", headers=fuzz.auth)).status_code == 200
    before = snapshot(engine)
    tally = Tally()
    await _json_bodies(fuzz, tally, rng, per_route=cases(quick=24, full=400))
    await _garbage_params(fuzz, tally, rng, per_route=cases(quick=6, full=70))
    await _csv_loads(fuzz, tally, rng, count=cases(quick=60, full=1000))
    await _codec_payloads(fuzz, tally, rng, count=cases(quick=24, full=300))
    await _content_types(fuzz, tally, rng, per_route=cases(quick=2, full=20))
    upload_routes = await _uploads(fuzz, tally, rng, shared_dir, per_route=cases(quick=20, full=500))
    assert snapshot(engine) == before, "a refused request changed stored data"
    _record(tally, upload_routes)
    assert tally.requests >= (10_000 if FULL else 600), tally.requests


def _record(tally: Tally, upload_routes: list[str]) -> None:
    from tests.faults.harness import RESULTS as results
    results.mkdir(parents=True, exist_ok=True)
    name = "api_fuzz_full.json" if FULL else "api_fuzz_quick.json"
    (results / name).write_text(json.dumps({
        "seed": SEED, "requests": tally.requests, "by_family": dict(tally.by_family),
        "by_status": {str(k): v for k, v in sorted(tally.by_status.items())}, "upload_routes": upload_routes,
    }, indent=1, sort_keys=True))
