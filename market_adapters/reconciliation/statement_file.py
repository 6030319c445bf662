"""An ISO's own statement file, read, and the one builder of the format-v1 run stored for it.

Every reader of an ISO statement file (`isone_statement`, `ercot_statement`) turns the file into a
`StatementFile`: the facts the versioned import keys on (ISO, operating day, run type, publish time) and its lines
already in format-v1 terms (quantity = MWh delivered to the market, amount = USD paid to us). `statement_document`
then makes the run that `service.import_iso_statement` stores: deltas against the latest stored line of the same
key, so the runs of a day always add up (`reconcile._check_deltas`).

Where the file states its own change from the ISO's previous run (ERCOT's BILLQTY/BILLAMT), that statement is
checked against the change we compute, whenever it can be: on an initial run (the previous run is nothing) or when
an earlier run of the day is stored. A mismatch is a `Finding`: the run is still stored, because it is what the
ISO issued, and the finding is kept with it (`source.findings`) and handed back to the caller, never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from market_adapters.reconciliation.statement import FORMAT, MICROS_PER_USD, StatementRun

LineKey = tuple[str, str, str]  # (charge type, resource id, interval start UTC as ISO-8601)


@dataclass(frozen=True)
class Finding:
    """A fact of the file that does not hold: `line` and `field` name the file's line and column."""

    line: int
    field: str
    message: str


@dataclass(frozen=True)
class StatedDeltas:
    """The ISO's own change from its previous run, as printed: `sign` turns the file's numbers into format v1's."""

    quantity_field: str
    amount_field: str
    quantity: Decimal
    amount: Decimal
    sign: int


@dataclass(frozen=True)
class FileLine:
    """One statement line in format-v1 terms; `source_line` is its line in the file."""

    source_line: int
    charge_type: str
    resource_id: str
    node: str
    interval_start_utc: datetime
    interval_minutes: int
    quantity_mwh: Decimal
    price_usd_per_mwh: Decimal
    amount_usd: Decimal
    stated: StatedDeltas | None = None


@dataclass(frozen=True)
class StatementFile:
    iso: str
    source: str
    report: str
    statement_id: str
    operating_day: date
    published_at_utc: datetime
    run_type: str | None  # as the file states it; None: by order (the first stored is INITIAL, later RESETTLEMENT)
    lines: tuple[FileLine, ...]
    findings: tuple[Finding, ...] = ()
    source_facts: dict[str, object] = field(default_factory=dict)  # kept in the document's `source`


def latest_lines(runs: Sequence[StatementRun]) -> dict[LineKey, tuple[Decimal, Decimal]]:
    """Each line key's (MWh, USD) in the latest run that has it: what a new run's deltas are taken against."""
    latest: dict[LineKey, tuple[Decimal, Decimal]] = {}
    for run in sorted(runs, key=lambda stored: stored.run_sequence):
        for line in run.lines:
            latest[(line.charge_type, line.resource_id, line.interval_start_utc.isoformat())] = (
                line.quantity_mwh, Decimal(line.amount_usd_micros) / MICROS_PER_USD)
    return latest


def statement_document(statement: StatementFile, run_type: str, run_sequence: int,
                       previous: Mapping[LineKey, tuple[Decimal, Decimal]],
                       file_sha256_hex: str) -> tuple[dict[str, object], tuple[Finding, ...]]:
    """The run in statement format v1 and every finding about it (the reader's and the stated deltas')."""
    previous_known = run_sequence > 1 or run_type == "INITIAL"
    findings = list(statement.findings)
    lines = []
    for number, line in enumerate(statement.lines, start=1):
        start = line.interval_start_utc.isoformat()
        before_mwh, before_usd = previous.get((line.charge_type, line.resource_id, start), (Decimal(0), Decimal(0)))
        quantity_delta, amount_delta = line.quantity_mwh - before_mwh, line.amount_usd - before_usd
        item: dict[str, object] = {
            "line_no": number, "charge_type": line.charge_type, "resource_id": line.resource_id, "node": line.node,
            "interval_start_utc": start, "interval_minutes": line.interval_minutes,
            "quantity_mwh": str(line.quantity_mwh), "price_usd_per_mwh": str(line.price_usd_per_mwh),
            "amount_usd": str(line.amount_usd), "quantity_delta_mwh": str(quantity_delta),
            "amount_delta_usd": str(amount_delta), "source_line": line.source_line}
        if line.stated is not None:
            item["stated_quantity_delta_mwh"] = str(0 + line.stated.sign * line.stated.quantity)
            item["stated_amount_delta_usd"] = str(0 + line.stated.sign * line.stated.amount)
            if previous_known:
                findings += _stated_delta_findings(line.source_line, line.stated, quantity_delta, amount_delta)
        lines.append(item)
    document: dict[str, object] = {
        "format": FORMAT, "iso": statement.iso, "run_type": run_type, "run_sequence": run_sequence,
        "statement_id": statement.statement_id, "operating_day": statement.operating_day.isoformat(),
        "published_at_utc": statement.published_at_utc.isoformat(), "lines": lines,
        "source": {"report": statement.report, "file": statement.source, "sha256_hex": file_sha256_hex,
                   **statement.source_facts, "stated_deltas_checked": previous_known,
                   "findings": [asdict(finding) for finding in findings]}}
    return document, tuple(findings)


def _stated_delta_findings(line: int, stated: StatedDeltas, quantity_delta: Decimal,
                           amount_delta: Decimal) -> list[Finding]:
    # Compared in the file's own sign, so the message quotes numbers the operator can find in the file.
    found = []
    # Adding to 0 turns -0 into 0, so an unchanged line reads "0.00" in the message.
    for name, printed, computed in ((stated.quantity_field, stated.quantity, 0 + stated.sign * quantity_delta),
                                    (stated.amount_field, stated.amount, 0 + stated.sign * amount_delta)):
        if printed != computed:
            found.append(Finding(line, name, f"states a change of {printed} from the previous run; this run's "
                                 f"figure less the previous run's is {computed}"))
    return found


@dataclass(frozen=True)
class StatementImport:
    """A statement file as stored: its run, and the findings about it (also kept in the run's `source`)."""

    run: StatementRun
    findings: tuple[Finding, ...]


def stored_findings(document: Mapping[str, Any]) -> tuple[Finding, ...]:
    """The findings kept with a stored run (none for runs stored before findings were kept)."""
    source = document.get("source") or {}
    return tuple(Finding(int(item["line"]), str(item["field"]), str(item["message"]))
                 for item in source.get("findings", []))
