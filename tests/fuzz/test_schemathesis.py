"""schemathesis over the app's OpenAPI spec, against the API served by uvicorn on 127.0.0.1 (real HTTP), with
PostgreSQL and the Temporal dev server behind it: no generated request, valid or invalid, gets a 5xx.

Positive (schema-valid) and negative (schema-violating) cases for every operation, with a staff token. Quick:
a few examples per operation and mode; `make test-faults`: 40.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_dict
from sqlalchemy import make_url

from api.app import create_app
from api.auth import mint_token
from demo.campus import register_demo_campus
from runtime.keys import ensure_signing_key
from settings import Settings
from tests.faults.harness import TemporalDevServer, fresh_database
from tests.fuzz.conftest import FULL, cases
from wattledger_cli.stack import free_port

SERVER_START_S_MAX = 30.0


@pytest.fixture
def served_api(tmp_path: Path, database_url: str) -> Iterator[tuple[str, dict, dict[str, str]]]:
    from db import make_engine

    temporal = TemporalDevServer(tmp_path / "temporal.sqlite", tmp_path / "temporal.log")
    temporal.start()
    temporal.wait_listening()
    server_url = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    with fresh_database(server_url) as url:
        engine = make_engine(url)
        with engine.begin() as conn:
            register_demo_campus(conn)
        app_settings = Settings(home=tmp_path / "home", database_url=url, temporal_address=temporal.address)
        ensure_signing_key(app_settings)
        app = create_app(app_settings, engine, None)  # the lifespan connects to Temporal inside uvicorn's loop
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + SERVER_START_S_MAX
            while not server.started:
                assert time.monotonic() < deadline and thread.is_alive(), "API did not start"
                time.sleep(0.05)
            token = mint_token(app_settings, "schemathesis", ["operator", "finance", "auditor"], None,
                               timedelta(hours=1))
            yield f"http://127.0.0.1:{port}", app.openapi(), {"Authorization": f"Bearer {token}"}
        finally:
            server.should_exit = True
            thread.join(timeout=15)
            engine.dispose()
            temporal.stop()


def test_no_generated_request_gets_a_server_error(served_api: tuple[str, dict, dict[str, str]]) -> None:
    """Every operation, positive and negative generation: `not_a_server_error` holds for every response."""
    base_url, spec, auth = served_api
    schema = from_dict(spec)
    operations = [result.ok() for result in schema.get_all_operations()]
    examples = cases(quick=3, full=40)
    statuses: Counter[int] = Counter()
    unsatisfiable: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)

            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def check(case) -> None:  # type: ignore[no-untyped-def]
                response = case.call(base_url=base_url, headers=auth, timeout=30)
                statuses[response.status_code] += 1
                case.validate_response(response, checks=[not_a_server_error])

            try:
                check()
            except Unsatisfiable:
                unsatisfiable.append(f"{mode.value} {operation.label}")  # e.g. no way to violate a GET without parameters
    assert sum(statuses.values()) >= len(operations), statuses
    from tests.faults.harness import RESULTS as results
    results.mkdir(parents=True, exist_ok=True)
    (results / ("schemathesis_full.json" if FULL else "schemathesis_quick.json")).write_text(json.dumps(
        {"operations": len(operations), "examples_per_mode": examples, "requests": sum(statuses.values()),
         "by_status": {str(k): v for k, v in sorted(statuses.items())},
         "no_case_possible": unsatisfiable}, indent=1, sort_keys=True))
    assert not any(status >= 500 for status in statuses)
