"""The invoice document: a plain JSON value built from settlement lines, hashed in canonical form.

Pure: no I/O. Ints and strings only (money in integer micro-USD or cents, rates as decimal strings); the
document's bytes and sha256 are the recipe of common.canonical_json (RFC 8785: sorted keys, no
whitespace), so the same invoice always hashes to the same sha256 on any machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from invoicing.money import ROUNDING_MODE_NAME, invoice_rounding

# Version 2 (issue 19) adds what a payer needs: `payment_terms_days`, the campus `time_zone` the PDF prints
# dates in, and the issuer's address in the parties. Version 1 documents stay as stored and verify as before:
# a document's sha256 is over its own stored JSON, whatever version built it (docs/hashing.md).
DOCUMENT_VERSION = 2
# Credit notes: version 2 (issue 19) carries the parties of the invoice it credits (`parties_of_document`), so its
# PDF prints the same parties block as the invoice; version 1 notes keep their stored JSON and hash.
CREDIT_NOTE_DOCUMENT_VERSION = 2
PARTY_KEYS = ("issuer_legal_entity", "issuer_address", "bill_to", "remit_to", "time_zone")


UNITS_IN_WH = frozenset({"MWh", "REC-MWh"})


@dataclass(frozen=True)
class InvoiceLine:
    """One settlement line as invoiced; amount exact in micro-USD.

    `quantity` and `rate_usd_per_unit` follow the settlement line's `unit` (table `settlement_line_full`):
    Wh and USD/MWh for `MWh` (and `REC-MWh`) lines, W and USD/kW-month for `kW-month` lines, a count and USD
    per item for `month`, `day` and `USD` lines. Lines settled before units were recorded are `MWh`.
    """

    line_no: int
    description: str
    quantity: int
    rate_usd_per_unit: Decimal
    amount_usd_micros: int
    contract_id: int | None
    inputs_sha256_hex: str
    unit: str = "MWh"


@dataclass(frozen=True)
class InvoiceHeader:
    """Who bills whom for which period; `issued_at_utc` is the database clock of the issuing transaction."""

    invoice_id: str
    issuer: str
    number: int
    cycle_id: str
    campus_id: str
    period: str
    period_start_utc: datetime
    period_end_utc: datetime
    tenant_id: str
    tenant_name: str
    issued_at_utc: datetime
    payment_terms_days: int
    replaces_invoice_id: str | None
    parties: Parties | None = None


@dataclass(frozen=True)
class Parties:
    """Who the invoice names, from the campus file: the issuing entity, the tenant's legal name and billing
    address, and where payment goes."""

    issuer_legal_entity: str | None
    bill_to_name: str
    bill_to_address: str | None
    remit_to: str | None
    issuer_address: str | None = None
    time_zone: str | None = None
    """The campus's IANA zone: the PDF prints dates in it (documents keep UTC)."""


@dataclass(frozen=True)
class TenantUsage:
    """Optional context printed on the invoice: daily energy (Wh), TOU energy (Wh), emissions (g CO2e)."""

    daily_energy_wh: dict[date, int]
    tou_energy_wh: dict[str, int]
    emissions_g_co2e: dict[str, int] | None


def utc_text(moment: datetime) -> str:
    """One timestamp format for documents: `2026-01-31T23:00:00.000000Z` (aware datetimes only)."""
    assert moment.tzinfo is not None, "naive datetime in an invoice"
    offset = moment.utcoffset()
    assert offset is not None
    return (moment - offset).replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build_invoice_document(header: InvoiceHeader, lines: list[InvoiceLine], usage: TenantUsage) -> dict[str, Any]:
    """The invoice as a JSON value; totals rounded to cents once, half-even, from the exact micro-USD sum."""
    assert lines, "an invoice needs at least one line"
    ordered = sorted(lines, key=lambda line: line.line_no)
    line_usd_cents, total_usd_cents, adjustment_usd_cents = invoice_rounding(
        [line.amount_usd_micros for line in ordered]
    )
    due = header.issued_at_utc.date() + timedelta(days=header.payment_terms_days)
    return {
        "document_version": DOCUMENT_VERSION,
        "kind": "invoice",
        "invoice_id": header.invoice_id,
        "issuer": header.issuer,
        "number": header.number,
        "cycle_id": header.cycle_id,
        "campus_id": header.campus_id,
        "period": header.period,
        "period_start_utc": utc_text(header.period_start_utc),
        "period_end_utc": utc_text(header.period_end_utc),
        "tenant_id": header.tenant_id,
        "tenant_name": header.tenant_name,
        **_parties_json(header),
        "issued_at_utc": utc_text(header.issued_at_utc),
        "due_date": due.isoformat(),
        "payment_terms_days": header.payment_terms_days,
        "currency": "USD",
        "replaces_invoice_id": header.replaces_invoice_id,
        "lines": [_line_json(line, cents) for line, cents in zip(ordered, line_usd_cents, strict=True)],
        "tou_energy_wh": dict(sorted(usage.tou_energy_wh.items())),
        "daily_energy_wh": {day.isoformat(): wh for day, wh in sorted(usage.daily_energy_wh.items())},
        "emissions_g_co2e": None if usage.emissions_g_co2e is None else dict(sorted(usage.emissions_g_co2e.items())),
        "rounding": {
            "mode": ROUNDING_MODE_NAME,
            "total_usd_micros": sum(line.amount_usd_micros for line in ordered),
            "adjustment_usd_cents": adjustment_usd_cents,
        },
        "total_usd_cents": total_usd_cents,
    }


def _parties_json(header: InvoiceHeader) -> dict[str, Any]:
    """Printed parties; absent for documents built without campus facts (older callers and tests)."""
    if header.parties is None:
        return {}
    parties = header.parties
    return {"issuer_legal_entity": parties.issuer_legal_entity, "issuer_address": parties.issuer_address,
            "bill_to": {"name": parties.bill_to_name, "address": parties.bill_to_address},
            "remit_to": parties.remit_to, "time_zone": parties.time_zone}


def build_credit_note_document(credit_note_id: str, number: int, invoice_id: str, invoice_sha256_hex: str,
                               invoice_document: dict[str, Any], reason: str, amount_usd_cents: int,
                               issued_at_utc: datetime) -> dict[str, Any]:
    """A credit note of `amount_usd_cents` against the invoice whose stored document is `invoice_document`: it
    names the invoice by id and sha256, and the invoice's parties (version 2)."""
    return {
        "document_version": CREDIT_NOTE_DOCUMENT_VERSION, "kind": "credit_note", "credit_note_id": credit_note_id,
        "issuer": invoice_document["issuer"], **parties_of_document(invoice_document), "number": number,
        "invoice_id": invoice_id, "invoice_document_sha256_hex": invoice_sha256_hex,
        "cycle_id": invoice_document["cycle_id"], "campus_id": invoice_document["campus_id"],
        "tenant_id": invoice_document["tenant_id"],
        "tenant_name": invoice_document.get("tenant_name", invoice_document["tenant_id"]), "currency": "USD",
        "reason": reason, "amount_usd_cents": amount_usd_cents, "issued_at_utc": utc_text(issued_at_utc),
    }


def parties_of_document(document: dict[str, Any]) -> dict[str, Any]:
    """The parties an issued document names (those of the fields it has), for a document that follows it: a
    credit note names exactly the parties of the invoice it credits, even if the campus file changed since."""
    return {key: document[key] for key in PARTY_KEYS if key in document}


def _line_json(line: InvoiceLine, amount_usd_cents: int) -> dict[str, Any]:
    return {
        "line_no": line.line_no,
        "description": line.description,
        "quantity": line.quantity,
        "unit": line.unit,
        # A decimal string, not a float: the rate must survive JSON exactly.
        "rate_usd_per_unit": format(line.rate_usd_per_unit, "f"),
        "amount_usd_micros": line.amount_usd_micros,
        "amount_usd_cents": amount_usd_cents,
        "contract_id": line.contract_id,
        "inputs_sha256_hex": line.inputs_sha256_hex,
    }


