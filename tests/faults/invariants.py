"""What "every cycle completed exactly once" means, checked against the database after a fault run.

- every cycle is `completed`;
- the ledger holds, per cycle, exactly one pending settlement entry and one post_pending entry (no more, no
  fewer), no idempotency key twice, and the whole chain verifies;
- each cycle has exactly one invoice per tenant, and the invoice numbers of the run are gapless and unique;
- each cycle has exactly one ISO submission row and its document is on disk with the recorded sha256.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text


@dataclass(frozen=True)
class RunTotals:
    cycles: int
    ledger_entries: int
    invoices: int
    iso_submissions: int
    invoice_number_first: int
    invoice_number_last: int


def assert_exactly_once(engine: Engine, cycle_ids: list[str], tenant_count: int, ledger_origin: str) -> RunTotals:
    from ledger import verify_ledger

    with engine.connect() as conn:
        statuses = dict(conn.execute(text(
            "SELECT cycle_id, status || coalesce(': ' || status_detail, '') FROM billing_cycle "
            "WHERE cycle_id = ANY(:ids)"), {"ids": cycle_ids}).all())
        entries = conn.execute(text("SELECT idempotency_key FROM ledger_entry")).scalars().all()
        invoices = conn.execute(text(
            "SELECT cycle_id, tenant_id, number FROM invoice WHERE cycle_id = ANY(:ids)"), {"ids": cycle_ids}).all()
        submissions = conn.execute(text(
            "SELECT cycle_id, document_uri, document_sha256_hex FROM iso_submission WHERE cycle_id = ANY(:ids)"),
            {"ids": cycle_ids}).all()
        report = verify_ledger(conn, ledger_origin)
    not_done = {cycle: status for cycle, status in statuses.items() if status != "completed"}
    assert not not_done and len(statuses) == len(cycle_ids), f"cycles not completed: {not_done}"
    assert len(entries) == len(set(entries)), "an idempotency key appears twice in the ledger"
    for cycle_id in cycle_ids:
        own = sorted(key for key in entries if key.startswith(f"{cycle_id}:"))
        expected = [f"{cycle_id}:settlement:v1", f"{cycle_id}:settlement:v1:post_pending"]
        assert own == expected, f"{cycle_id}: ledger entries {own}, expected {expected}"
    assert report.ok, f"ledger verification failed at seq {report.first_bad_seq}"
    per_cycle = {cycle_id: sorted(t for c, t, _ in invoices if c == cycle_id) for cycle_id in cycle_ids}
    for cycle_id, tenants in per_cycle.items():
        assert len(tenants) == tenant_count == len(set(tenants)), f"{cycle_id}: invoices for {tenants}"
    numbers = sorted(number for _, _, number in invoices)
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), f"invoice numbers not gapless: {numbers}"
    assert sorted(c for c, _, _ in submissions) == sorted(cycle_ids), "not exactly one ISO submission per cycle"
    for _, uri, sha256_hex in submissions:
        assert hashlib.sha256(Path(uri).read_bytes()).hexdigest() == sha256_hex, f"{uri} differs from its record"
    cycle_entries = sum(1 for key in entries if any(key.startswith(f"{c}:") for c in cycle_ids))
    return RunTotals(len(cycle_ids), cycle_entries, len(invoices), len(submissions), numbers[0], numbers[-1])
