"""A 200-tenant campus through the whole cycle: HTTP API -> Temporal dev server -> worker -> PostgreSQL.

A campus with more than 62 tenants once could not finish a cycle: the approval's ledger entry named every
invoice in its meta, which holds 64 items. The campus here is generated with the campus model (one meter per
tenant, a fixed-price contract each, a grid import meter, emissions on) with a month of 15-minute data. Proves:
every tenant is invoiced under gapless numbers; the invoices sum to the settlement within each invoice's
rounding, the ledger owes each tenant exactly its invoice and names the invoices by a count and a digest an
auditor recomputes from the documents; the settlement balances; the ledger and its export verify. Before
approval, an invoicing attempt that fails after writing documents leaves no document, row or entry.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import tomli_w
from sqlalchemy import Engine, text
from temporalio.client import Client

import invoicing.service
from billing.registration import inbox_folder
from billing.service import issue_cycle_invoices
from campus.file import campus_document
from campus.service import apply_in
from common import canonical_json, storage
from devtools.fake_iso.pki import TestPki as IsoPki
from ledger import export_ledger, ledger_vkey, list_entries
from ledger.balances import balances
from ledger.verifier.__main__ import main as verify_export
from settings import Settings
from tests.integration.cycle_stack import running_cycle_stack, wait_for_cycle
from workflows.billing_cycle import BillingCycleWorkflow

CAMPUS_ID = "it-200-tenants"
PERIOD = "2026-10"
TENANT_COUNT = 200
TIME_ZONE = "America/Chicago"
INTERVAL = timedelta(minutes=15)
LOSS_FRACTION_PER_MILLE = 15


def campus_file(tenant_count: int) -> dict[str, Any]:
    """An ERCOT campus (no ISO meter ids, so the ISO step is skipped) with one meter and contract per tenant."""
    document: dict[str, Any] = {"schema_version": 1, "campus": {
        "id": CAMPUS_ID, "name": "Two Hundred Tenants", "time_zone": TIME_ZONE, "iso": "ERCOT",
        "egrid_subregion": "ERCT"}, "tenants": [], "meters": [
        {"id": "GRID-IMP", "role": "grid_import", "unit": "kWh", "rated_kw": 900_000}], "contracts": []}
    for index in range(tenant_count):
        tenant_id = f"tenant-{index:04d}"
        document["tenants"].append({"id": tenant_id, "name": f"Tenant {index}", "billing_address": "1 Main St"})
        document["meters"].append({"id": f"T{index:04d}", "role": "tenant_consumption", "tenant": tenant_id,
                                   "unit": "kWh", "rated_kw": 2_000})
        price = Decimal("60.00") + Decimal(index % 7) / 4
        document["contracts"].append({"key": f"{tenant_id}-supply", "kind": "fixed_price", "tenant": tenant_id,
                                      "versions": [{"effective_from": "2026-01-01",
                                                    "terms": {"price_usd_per_mwh": str(price)}}]})
    return document


def write_meter_files(folder: Path, tenant_count: int) -> None:
    """One site-export CSV per meter for the local month; the grid covers the tenants plus 1.5 % losses."""
    zone = ZoneInfo(TIME_ZONE)
    cursor = datetime(2026, 10, 1, tzinfo=zone).astimezone(ZoneInfo("UTC"))
    end = datetime(2026, 11, 1, tzinfo=zone).astimezone(ZoneInfo("UTC"))
    stamps = []
    while cursor < end:
        stamps.append(cursor.astimezone(zone).isoformat())
        cursor += INTERVAL
    grid_wh = [0] * len(stamps)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(tenant_count):
        meter_id = f"T{index:04d}"
        lines = ["meter_id,interval_start,value,unit"]
        for slot, stamp in enumerate(stamps):
            energy_wh = 1_000 + (index * 37 + slot * 11) % 500
            grid_wh[slot] += energy_wh
            lines.append(f"{meter_id},{stamp},{energy_wh // 1000}.{energy_wh % 1000:03d},kWh")
        (folder / f"{meter_id}_{PERIOD}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = ["meter_id,interval_start,value,unit"]
    for stamp, tenants_wh in zip(stamps, grid_wh, strict=True):
        energy_wh = tenants_wh + tenants_wh * LOSS_FRACTION_PER_MILLE // 1000
        lines.append(f"GRID-IMP,{stamp},{energy_wh // 1000}.{energy_wh % 1000:03d},kWh")
    (folder / f"GRID-IMP_{PERIOD}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
async def api(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory,
              fake_iso: tuple[str, IsoPki]) -> AsyncIterator[tuple[httpx.AsyncClient, Settings, Client]]:
    async with running_cycle_stack(engine, database_url, tmp_path_factory.mktemp("wattledger-home"), fake_iso,
                                   f"{CAMPUS_ID}-demo", "test.wattledger/200-tenants") as stack:
        raw_text = tomli_w.dumps(campus_file(TENANT_COUNT))
        document = campus_document("200-tenants.toml", tomllib.loads(raw_text, parse_float=Decimal), raw_text,
                                   read_urdb=None)
        with engine.begin() as conn:
            apply_in(conn, document, "test")
        yield stack


def _documents(settings: Settings) -> list[str]:
    """The campus's invoice documents under the data root, on a folder or an object store."""
    return [uri for uri in storage.list_uris(settings.data_root_uri)
            if uri.rpartition("/")[2].startswith(f"{CAMPUS_ID}-") and "." in uri.rpartition("/")[2]]


def _invoice_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM invoice WHERE campus_id = :c"),
                                {"c": CAMPUS_ID}).scalar_one())


async def _full_step(http: httpx.AsyncClient, cycle: dict[str, Any], step: str) -> dict[str, Any]:
    response = await http.get(cycle["steps"][step]["url"])
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_a_200_tenant_cycle_completes_with_every_invoice_and_a_verified_ledger(
        api: tuple[httpx.AsyncClient, Settings, Client], engine: Engine, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    http, settings, client = api
    write_meter_files(inbox_folder(settings, CAMPUS_ID, PERIOD), TENANT_COUNT)
    started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": PERIOD})
    assert started.status_code == 202, started.text
    cycle_id = started.json()["cycle_id"]
    cycle = await wait_for_cycle(http, cycle_id, {"awaiting_approval", "failed"})
    assert cycle["status"] == "awaiting_approval", cycle["status_detail"]
    # The cycle's status is a summary; the per-tenant figures are behind the step's link.
    assert cycle["steps"]["settle"]["tenant_count"] == TENANT_COUNT
    settle = await _full_step(http, cycle, "settle")
    assert len(settle["tenant_totals_usd_micros"]) == TENANT_COUNT
    assert sum(settle["tenant_totals_usd_micros"].values()) == settle["total_usd_micros"]

    # A failure after documents were written (here: the signing key store failing at the third invoice) leaves
    # nothing behind; a ledger refusal after all of them takes the same path (tests/unit/invoicing).
    signed: list[bytes] = []

    def sign_twice(pdf: bytes, key: object) -> bytes:
        if len(signed) == 2:
            raise RuntimeError("signing unavailable")
        signed.append(pdf)
        return pdf

    with monkeypatch.context() as patch:
        patch.setattr(invoicing.service, "sign_pdf", sign_twice)
        with pytest.raises(RuntimeError, match="signing unavailable"):
            issue_cycle_invoices(engine, settings, cycle_id, CAMPUS_ID, PERIOD, 1)
    assert _documents(settings) == [], "no signed document without its invoice row"
    assert _invoice_count(engine) == 0

    approved = await http.post(f"/cycles/{cycle_id}/approve", json={"approver": "test.staff", "comment": "ok"})
    assert approved.status_code == 200, approved.text
    cycle = await wait_for_cycle(http, cycle_id, {"completed", "failed"})
    assert cycle["status"] == "completed", cycle["status_detail"]

    assert cycle["steps"]["invoice"]["invoice_count"] == TENANT_COUNT
    invoices = (await _full_step(http, cycle, "invoice"))["invoices"]
    settled_usd_micros = settle["tenant_totals_usd_micros"]
    assert sorted(i["tenant_id"] for i in invoices) == sorted(settled_usd_micros)
    numbers = sorted(int(i["invoice_id"].rsplit("-", 1)[1]) for i in invoices)
    assert numbers == list(range(numbers[0], numbers[0] + TENANT_COUNT)), "gapless numbers"
    for invoice in invoices:
        assert abs(invoice["total_usd_cents"] * 10_000 - settled_usd_micros[invoice["tenant_id"]]) <= 5_000
    invoiced_usd_micros = sum(i["total_usd_cents"] for i in invoices) * 10_000
    assert abs(invoiced_usd_micros - settle["total_usd_micros"]) <= 5_000 * TENANT_COUNT
    assert len(_documents(settings)) == 2 * TENANT_COUNT, "one JSON and one PDF per invoice"
    assert _invoice_count(engine) == TENANT_COUNT
    assert cycle["steps"]["iso"]["status"] == "skipped"
    # The workflow carries a claim check (count, total, digest), not a list that grows with the campus.
    status = await client.get_workflow_handle_for(BillingCycleWorkflow.run, cycle_id).query(BillingCycleWorkflow.status)
    assert status is not None and status.invoices == [] and status.invoice_count == TENANT_COUNT
    assert status.invoiced_usd_cents is not None and status.invoiced_usd_cents * 10_000 == invoiced_usd_micros

    with engine.connect() as conn:
        owed = {b.path: b.posted_minor for b in balances(conn, settings.ledger_origin, path_prefix="tenant:")
                if b.path.endswith(":receivable")}
        revenue = {b.path: b.posted_minor for b in balances(conn, settings.ledger_origin, path_prefix="campus:")
                   if ":revenue:" in b.path}
        entries = list_entries(conn, settings.ledger_origin, 0, 1_000)
    for invoice in invoices:
        assert owed[f"tenant:{invoice['tenant_id']}:receivable"] == invoice["total_usd_cents"] * 10_000
    assert sum(owed.values()) == invoiced_usd_micros == -sum(revenue.values()), "the settlement balances"

    # The approval entry names the invoices by count and digest; an auditor recomputes it from the documents.
    post_pending = next(e.document["meta"] for e in entries if e.kind == "post_pending")
    assert post_pending["invoices_count"] == str(TENANT_COUNT)
    assert post_pending["approved_by"] == "test.staff", "the entry names who approved (the signed decision's subject)"
    sha256_by_invoice = {}
    for invoice in invoices:
        stored = storage.read_bytes(invoice["pdf_uri"].removesuffix(".pdf") + ".json")
        assert canonical_json.canonical_bytes(json.loads(stored)) == stored
        sha256_by_invoice[invoice["invoice_id"]] = hashlib.sha256(stored).hexdigest()
        assert sha256_by_invoice[invoice["invoice_id"]] == invoice["document_sha256_hex"]
    digest_bytes = json.dumps(sha256_by_invoice, sort_keys=True, separators=(",", ":")).encode()
    assert post_pending["invoices_sha256"] == hashlib.sha256(digest_bytes).hexdigest()

    # A retry of the step after its commit changes nothing: same invoices, the entries are idempotency hits.
    retried = issue_cycle_invoices(engine, settings, cycle_id, CAMPUS_ID, PERIOD, 1)
    assert sorted((i.invoice_id, i.document_sha256_hex) for i in retried if not i.created) == sorted(
        (i["invoice_id"], i["document_sha256_hex"]) for i in invoices)
    with engine.connect() as conn:
        assert len(list_entries(conn, settings.ledger_origin, 0, 1_000)) == len(entries)

    assert cycle["steps"]["ledger"]["verified"] is True
    with engine.connect() as conn:
        export_ledger(conn, settings.ledger_origin, tmp_path / "export")
    trusted = ledger_vkey(settings.ledger_origin, settings.signing_key_path)
    assert verify_export([str(tmp_path / "export"), "--vkey", trusted]) == 0, "the standalone verifier accepts the export"
