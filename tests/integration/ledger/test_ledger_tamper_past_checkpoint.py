"""Tampering with entries that no signed checkpoint covers yet (the fixture's checkpoint is at size 8; seq 9 and 10
come after it) is caught by every verifier path: live replay, live compiled, export replay and export compiled.

A checkpoint cannot help here, so each case is caught only by comparing what is stored against what the bytes hash
to. Breaks these tests catch (each on its own turns a case green in the code and red here):
- the live compiled check stops comparing the stored hashes with the recomputed ones
  (`ledger/audit/compiled_check.py`, the `stored_hashes` comparison);
- the replay, live and export, stops comparing the stored leaf or chain hash (`ChainReplay.feed` in
  `ledger/verifier/replay.py`);
- the export compiled check stops comparing chain.tsv (`stored_hex` in `ledger/verifier/compiled_check.py`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from ledger import verify_ledger
from ledger.audit import replay_verify_ledger
from ledger.audit.compiled_check import passes_compiled_check
from ledger.export import export_ledger
from ledger.verifier.compiled_check import verify_export_compiled
from ledger.verifier.export_check import verify_export

LEDGER = "(SELECT ledger_id FROM ledger WHERE origin = :o)"
FLIPPED = "set_byte({column}, 0, (get_byte({column}, 0) + 1) % 256)"  # one byte of the stored hash changed

TAMPERS = {
    "chain hash of the last entry": f"UPDATE ledger_entry SET chain_hash = {FLIPPED.format(column='chain_hash')}"
                                    f" WHERE ledger_id = {LEDGER} AND seq = 10",
    "leaf hash of the last entry": f"UPDATE ledger_entry SET leaf_hash = {FLIPPED.format(column='leaf_hash')}"
                                   f" WHERE ledger_id = {LEDGER} AND seq = 10",
    "chain hash of an entry after the checkpoint": f"UPDATE ledger_entry SET chain_hash ="
                                                   f" {FLIPPED.format(column='chain_hash')}"
                                                   f" WHERE ledger_id = {LEDGER} AND seq = 9",
    "bytes of the last entry": "UPDATE ledger_entry SET canonical = convert_to(replace(convert_from(canonical, 'UTF8'),"
                               " 'cycle:a', 'cycle:b'), 'UTF8')"
                               f" WHERE ledger_id = {LEDGER} AND seq = 10",
}
BAD_SEQ = {"chain hash of the last entry": 10, "leaf hash of the last entry": 10,
           "chain hash of an entry after the checkpoint": 9, "bytes of the last entry": 10}


def _tamper(engine: Engine, sql: str, origin: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # superuser: triggers off
        changed = conn.execute(text(sql), {"o": origin}).rowcount
    assert changed == 1, "the tamper must change exactly one row"


def test_untampered_ledger_passes_every_path(engine: Engine, signed_ledger, tmp_path: Path) -> None:
    """The baseline: all four paths vouch for the fixture, so each failure below is the tamper's doing."""
    origin, _ = signed_ledger
    with engine.begin() as conn:
        assert verify_ledger(conn, origin).ok and replay_verify_ledger(conn, origin).ok
        assert passes_compiled_check(conn, origin)
        export_ledger(conn, origin, tmp_path / "export")
    assert verify_export(tmp_path / "export").ok and verify_export_compiled(tmp_path / "export").ok


@pytest.mark.parametrize("case", sorted(TAMPERS))
def test_tamper_past_the_newest_checkpoint_fails_every_path(engine: Engine, signed_ledger, tmp_path: Path,
                                                            case: str) -> None:
    origin, _ = signed_ledger
    _tamper(engine, TAMPERS[case], origin)
    with engine.begin() as conn:
        assert not passes_compiled_check(conn, origin), "the live compiled check vouched for a tampered ledger"
        live = verify_ledger(conn, origin)
        replayed = replay_verify_ledger(conn, origin)
        export_ledger(conn, origin, tmp_path / "export")
    assert not live.ok and live.first_bad_seq == BAD_SEQ[case], live
    assert replayed == live
    exported = verify_export(tmp_path / "export")
    assert not exported.ok and exported.first_bad_seq == BAD_SEQ[case], exported
    assert verify_export_compiled(tmp_path / "export") == exported
