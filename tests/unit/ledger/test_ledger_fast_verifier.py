"""The compiled fast path (ledger.verifier.compiled_check) gives exactly the verdict of the standard-library replay
(ledger.verifier.export_check) on valid ledgers and on ledgers broken in many ways, bytes or rules, with consistent
hashes so that only the rules can catch them."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.canonical_json import canonical_bytes
from common.errors import DomainError
from ledger.chain import CHAIN_GENESIS, entry_hashes
from ledger.planning import plan_entry
from ledger.requests import normalize_request
from ledger.verifier.compiled_check import verify_export_compiled
from ledger.verifier.export_check import verify_export
from tests.unit.ledger.test_ledger_rules_properties import (
    ORIGIN,
    START_UTC,
    build_request,
    fresh_state,
    operation,
)


def history(operations: list[tuple[str, int, int, bool]]) -> list[bytes]:
    state, _, canonicals = fresh_state()
    keys: list[str] = []
    for index, op in enumerate(operations):
        request = normalize_request(build_request(index, op, keys))
        try:
            planned = plan_entry(state, request, START_UTC + timedelta(seconds=index))
        except DomainError:
            continue
        keys.append(request.idempotency_key)
        canonicals.append(planned.canonical)
    return canonicals


def write_export(directory: Path, canonicals: list[bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    lines, chain = [], CHAIN_GENESIS
    for seq, raw in enumerate(canonicals, start=1):
        leaf, chain = entry_hashes(chain, raw)
        lines.append(f"{seq}\t{leaf.hex()}\t{chain.hex()}\n")
    (directory / "entries.jsonl").write_bytes(b"".join(raw + b"\n" for raw in canonicals))
    (directory / "chain.tsv").write_text("".join(lines))
    (directory / "keys.txt").write_text("")
    (directory / "checkpoints.jsonl").write_text("")
    manifest = {"format": "wattledger-ledger-export", "version": 1, "origin": ORIGIN, "entries": len(canonicals)}
    (directory / "MANIFEST.json").write_text(json.dumps(manifest))
    return directory


DOCUMENT_MUTATIONS = {
    "amount": lambda d, r: d["postings"] and d["postings"][0].__setitem__(2, str(int(d["postings"][0][2]) + 1)),
    "kind_reversal": lambda d, r: d.update(kind="reversal", ref_seq=str(r)),
    "ref_on_posting": lambda d, r: d.update(ref_seq=str(r)),
    "seq": lambda d, r: d.update(seq=str(int(d["seq"]) + 1)),
    "origin": lambda d, r: d.update(origin="elsewhere.example/x"),
    "recorded_earlier": lambda d, r: d.update(recorded_at="2025-01-01T00:00:00.000000Z"),
    "key_repeat": lambda d, r: d.update(idempotency_key="open"),
    "unknown_account": lambda d, r: d["postings"] and d["postings"][0].__setitem__(0, "a:nowhere"),
    "meta_reason_dropped": lambda d, r: d["meta"].pop("reason_code", None),
    "close_after": lambda d, r: d.update(kind="period_close", postings=[], ref_seq=None),
    "flip_side": lambda d, r: d.update(accounts=[{**a, "normal_side": "credit"} for a in d["accounts"]]),
    "meta_escape_key": lambda d, r: d["meta"].update({"z\n": "v", "\ue001": "w"}),
    "v_true": lambda d, r: d.update(v=True),
    "time_not_in_calendar": lambda d, r: d.update(effective_at="2026-02-29T00:00:00.000000Z"),
    "entry_id_other": lambda d, r: d.update(entry_id=d["entry_id"][:-1] + ("0" if d["entry_id"][-1] != "0" else "1")),
    "key_unprintable": lambda d, r: d.update(idempotency_key=d["idempotency_key"] + "\u200b"),
    "request_hash_upper": lambda d, r: d.update(request_hash=d["request_hash"].upper()),
    "ref_leading_zero": lambda d, r: d["ref_seq"] and d.update(ref_seq="0" + d["ref_seq"]),
    "path_grammar": lambda d, r: d["accounts"] and d["accounts"][0].update(path="a:bad path"),
    "asset_grammar": lambda d, r: d["accounts"] and d["accounts"][0].update(asset="usd/6"),
    "amount_fullwidth": lambda d, r: d["postings"] and d["postings"][0].__setitem__(2, "\uff11"),
}
RAW_MUTATIONS = {
    "space": lambda raw: raw.replace(b",", b", ", 1),
    "escaped_letter": lambda raw: raw.replace(b'"kind":"', b'"kind":"\\u0070', 1).replace(b"\\u0070p", b"\\u0070", 1),
    "long_escape_for_slash": lambda raw: raw.replace(b"/", b"\\/", 1),
    "truncated": lambda raw: raw[:-2],
}


@settings(max_examples=120, deadline=None)
@given(
    st.lists(operation, min_size=1, max_size=14),
    st.sampled_from(sorted(DOCUMENT_MUTATIONS) + sorted(RAW_MUTATIONS) + ["none"]),
    st.integers(0, 40),
    st.integers(1, 40),
)
def test_fast_path_agrees_with_the_replay(operations: list[tuple[str, int, int, bool]], mutation: str, target: int, ref: int) -> None:
    """Valid or broken (one entry mutated, hashes recomputed), both verifiers give the same report."""
    canonicals = history(operations)
    index = target % len(canonicals)
    if mutation in DOCUMENT_MUTATIONS:
        document = json.loads(canonicals[index])
        DOCUMENT_MUTATIONS[mutation](document, 1 + ref % (index + 1))
        canonicals[index] = canonical_bytes(document)
    elif mutation in RAW_MUTATIONS:
        canonicals[index] = RAW_MUTATIONS[mutation](canonicals[index])
    with tempfile.TemporaryDirectory() as folder:
        export = write_export(Path(folder), canonicals)
        assert verify_export_compiled(export) == verify_export(export)


def test_clean_history_passes_the_fast_path_without_the_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a valid export the fast path answers by itself (the replay is never called)."""
    from ledger.verifier import compiled_check

    operations = [("posting", 5, 0, False), ("pending", 3, 0, True), ("post_pending", 1, 1, False),
                  ("reversal", 1, 0, False), ("adjustment", 2, 0, False)]
    canonicals = history(operations)
    with tempfile.TemporaryDirectory() as folder:
        export = write_export(Path(folder), canonicals)
        monkeypatch.setattr(compiled_check, "verify_export", lambda *args: (_ for _ in ()).throw(AssertionError("replayed")))
        report = compiled_check.verify_export_compiled(export)
    assert report.ok and report.entries_checked == len(canonicals) >= 5


def test_many_accounts_and_legs_in_one_entry_stay_on_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry opening 150 accounts and one with 150 legs are vouched for without the replay."""
    from ledger.chain import CHAIN_GENESIS
    from ledger.model import AccountSpec, EntryRequest, PostingRequest
    from ledger.planning import Head, LedgerState
    from ledger.verifier import compiled_check

    state = LedgerState(ORIGIN, Head(0, CHAIN_GENESIS, None, None))
    specs = tuple(AccountSpec(f"tenant:t{n}:receivable", "USD/6", "debit") for n in range(150))
    opening = EntryRequest(idempotency_key="open", kind="account_open", effective_at_utc=START_UTC)
    canonicals = [plan_entry(state, normalize_request(opening, specs, internal=True), START_UTC).canonical]
    legs = [PostingRequest(spec.path, "USD/6", 1 if n % 2 == 0 else -1) for n, spec in enumerate(specs)]
    wide = EntryRequest(idempotency_key="wide", effective_at_utc=START_UTC, postings=legs)
    canonicals.append(plan_entry(state, normalize_request(wide), START_UTC).canonical)
    with tempfile.TemporaryDirectory() as folder:
        export = write_export(Path(folder), canonicals)
        monkeypatch.setattr(compiled_check, "verify_export", lambda *args: (_ for _ in ()).throw(AssertionError("replayed")))
        assert compiled_check.verify_export_compiled(export).ok


def test_chain_file_tampering_gets_the_replays_verdict() -> None:
    """chain.tsv with a wrong hash, a leading zero, swapped or missing lines, upper-case hex, a space or a
    non-ASCII digit: the fast path's report equals the replay's, and every one is refused."""
    canonicals = history([("posting", 5, 0, False), ("posting", 7, 0, True), ("reversal", 1, 0, False)])
    mutations: dict[str, Callable[[list[str]], list[str]]] = {
        "wrong_hash": lambda lines: [lines[0], lines[1][:-2] + ("0" if lines[1][-2] != "0" else "1") + "\n", *lines[2:]],
        "leading_zero": lambda lines: ["0" + lines[0], *lines[1:]],
        "swapped": lambda lines: [lines[1], lines[0], *lines[2:]],
        "missing": lambda lines: lines[:-1],
        "upper_case": lambda lines: [lines[0].upper(), *lines[1:]],
        "space": lambda lines: [" " + lines[0], *lines[1:]],
        "arabic_indic_digit": lambda lines: ["\u0661" + lines[0][1:], *lines[1:]],
    }
    for name, mutate in mutations.items():
        with tempfile.TemporaryDirectory() as folder:
            export = write_export(Path(folder), canonicals)
            lines = (export / "chain.tsv").read_text().splitlines(keepends=True)
            (export / "chain.tsv").write_text("".join(mutate(lines)))
            assert verify_export_compiled(export) == verify_export(export), name
            report = verify_export(export)
            assert not report.ok and report.first_bad_seq is not None, name
