"""What "every cycle completed exactly once" means, checked against the database after a fault run.

- every cycle is `completed`;
- the ledger holds, per cycle, exactly one pending settlement entry (the money and energy legs) and one
  post_pending entry, whatever their keys, the same
  set of entries for every cycle (faults hit cycles at different steps, so a doubled posting would differ),
  no idempotency key twice, and the whole chain verifies;
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
        kinds = conn.execute(text("SELECT idempotency_key, kind FROM ledger_entry")).all()
        invoices = conn.execute(text(
            "SELECT cycle_id, tenant_id, number FROM invoice WHERE cycle_id = ANY(:ids)"), {"ids": cycle_ids}).all()
        submissions = conn.execute(text(
            "SELECT cycle_id, document_uri, document_sha256_hex FROM iso_submission WHERE cycle_id = ANY(:ids)"),
            {"ids": cycle_ids}).all()
        report = verify_ledger(conn, ledger_origin)
    not_done = {cycle: status for cycle, status in statuses.items() if status != "completed"}
    assert not not_done and len(statuses) == len(cycle_ids), f"cycles not completed: {not_done}"
    assert len(entries) == len(set(entries)), "an idempotency key appears twice in the ledger"
    suffixes = {cycle_id: sorted(key[len(cycle_id) + 1:] for key in entries if key.startswith(f"{cycle_id}:"))
                for cycle_id in cycle_ids}
    for cycle_id, own in suffixes.items():
        assert {"settlement:v1", "settlement:v1:post_pending"} <= set(own), f"{cycle_id}: ledger entries {own}"
        own_kinds = sorted(kind for key, kind in kinds if key.startswith(f"{cycle_id}:") and "pending" in kind)
        assert own_kinds == ["pending", "post_pending"], f"{cycle_id}: settlement entries {own_kinds}"
        # Faults hit each cycle at a different step: an entry posted twice (under any key) would make this
        # cycle's entries differ from the others'.
        assert own == suffixes[cycle_ids[0]], f"{cycle_id}: entries {own} differ from {suffixes[cycle_ids[0]]}"
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
