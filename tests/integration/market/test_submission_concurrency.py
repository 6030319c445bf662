"""Two workers submitting the same business key at the same time: the row lock makes the second wait, so the
ISO is called once and both see the same acceptance."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from market_adapters.model import SubmissionOutcome
from market_adapters.submission import SubmissionRequest, submit_cycle_to_iso

NOW = datetime(2025, 7, 16, 12, tzinfo=UTC)
SEND_S = 0.3  # long enough that both workers are inside submit_cycle_to_iso together


def test_concurrent_submissions_send_once(engine, nyiso_campus):
    """Two threads, one key: one send, both records accepted with the same ISO request id."""
    calls: list[str] = []
    lock = threading.Lock()

    def send(document: dict) -> SubmissionOutcome:
        with lock:
            calls.append(document["submissionParameters"]["userRequestId"])
        time.sleep(SEND_S)
        return SubmissionOutcome("req-1", "wl-c", False, 1, 1, {"nyisoRequestId": "req-1"})

    document = {"submissionParameters": {"userRequestId": "wl-c"},
                "generators": [{"genPtid": 1, "dateHour": "2025-07-15T00:00:00-04:00", "meterInjectionEnergyMwh": 1}]}
    request = SubmissionRequest(nyiso_campus.campus_id, "NYISO", "2025-07-15", 1, None, document, "file:///d", None)
    with ThreadPoolExecutor(2) as pool:
        records = list(pool.map(lambda _: submit_cycle_to_iso(engine, request, send, now_utc=NOW), range(2)))
    assert calls == ["wl-c"]
    assert sorted(record.sent for record in records) == [False, True]
    assert {record.iso_request_id for record in records} == {"req-1"}
