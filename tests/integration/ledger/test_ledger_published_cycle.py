"""Checkpoint per posting batch through the real path: HTTP API → Temporal dev server → worker → PostgreSQL, with a
witness process and a checkpoint folder configured as an operator would (WATTLEDGER_LEDGER_WITNESSES and
WATTLEDGER_LEDGER_CHECKPOINT_DIR). A cycle that has posted its settlement and waits for finance (or would fail
from here on) leaves no entry that a published, witness-cosigned checkpoint does not cover."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from billing.registration import inbox_folder
from demo.site_export import write_site_export
from devtools.fake_iso.pki import TestPki as IsoPki
from ledger import ledger_vkey
from ledger.keys import create_signing_key
from ledger.publication import origin_folder
from ledger.verifier import read_published
from settings import Settings
from tests.integration.cycle_stack import running_cycle_stack, wait_for_cycle
from tests.integration.ledger.witness_process import WITNESS_NAME, witness_process

CAMPUS_ID = "it-published-campus"  # this module's own campus and ledger: no other test shares their keys
ORIGIN = "test.wattledger/published-cycle"
PERIOD = "2026-10"


@pytest.fixture(scope="module")
async def stack(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory,
                fake_iso: tuple[str, IsoPki]) -> AsyncIterator[tuple[httpx.AsyncClient, Settings, str, Path]]:
    home = tmp_path_factory.mktemp("wattledger-home")
    key_path = Settings(home=home).signing_key_path
    create_signing_key(key_path)
    folder = home / "published"
    with witness_process(tmp_path_factory.mktemp("witness"), [ledger_vkey(ORIGIN, key_path)]) as (url, vkey), \
            pytest.MonkeyPatch.context() as patch:
        patch.setenv("WATTLEDGER_LEDGER_WITNESSES", json.dumps({url: vkey}))
        patch.setenv("WATTLEDGER_LEDGER_CHECKPOINT_DIR", str(folder))
        async with running_cycle_stack(engine, database_url, home, fake_iso, CAMPUS_ID, ORIGIN) as (http, settings, _):
            yield http, settings, vkey, folder


async def test_a_settled_cycle_waiting_for_finance_is_covered_by_a_published_cosigned_checkpoint(
    stack, engine: Engine
) -> None:
    http, settings, witness_vkey, folder = stack
    assert settings.ledger_witnesses and settings.checkpoint_publish_dir == folder
    write_site_export(inbox_folder(settings, CAMPUS_ID, PERIOD), 2026, 10, seed=31)  # bytes no other test sends
    started = await http.post("/cycles", json={"campus_id": CAMPUS_ID, "period": PERIOD})
    assert started.status_code == 202, started.text
    cycle = await wait_for_cycle(http, started.json()["cycle_id"], {"awaiting_approval", "failed"})
    assert cycle["status"] == "awaiting_approval", cycle["status_detail"]

    with engine.connect() as conn:
        head = conn.execute(text("SELECT max(e.seq) FROM ledger_entry e JOIN ledger l USING (ledger_id)"
                                 " WHERE l.origin = :o"), {"o": ORIGIN}).scalar_one()
        signed = conn.execute(text("SELECT max(c.tree_size) FROM ledger_checkpoint c JOIN ledger l USING (ledger_id)"
                                   " WHERE l.origin = :o"), {"o": ORIGIN}).scalar_one()
    assert head is not None and signed == head, "the settlement batch committed with a checkpoint over it"
    notes = sorted(origin_folder(folder, ORIGIN).glob("*.note"), key=lambda path: int(path.stem))
    assert notes and int(notes[-1].stem) == head, "the worker published it as it was made"
    published = read_published(notes[-1], [ledger_vkey(ORIGIN, settings.signing_key_path)], [witness_vkey])
    assert (published.tree_size, published.witnesses) == (head, (WITNESS_NAME,))
