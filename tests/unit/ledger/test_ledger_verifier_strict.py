"""The standalone verifier refuses every malformed export the spec rules out (docs/ledger-spec.md §2, §7), one
case per rule, with the seq and the reason it names; the compiled fast path gives the same report; and the
writer's own exports always pass. Each malformed entry keeps consistent hashes (chain.tsv is recomputed), so only
the rule under test can catch it."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import DomainError
from ledger.chain import CHAIN_GENESIS
from ledger.merkle import root_hash
from ledger.model import EntryRequest, PostingRequest
from ledger.planning import Head, LedgerState, plan_entry
from ledger.requests import entry_id_for, normalize_request
from ledger.signed_note import checkpoint_body, sign_note, verifier_key_from_private
from ledger.verifier.__main__ import main as verifier_main
from ledger.verifier.compiled_check import verify_export_compiled
from ledger.verifier.export_check import verify_export
from tests.unit.ledger.test_ledger_fast_verifier import history, write_export
from tests.unit.ledger.test_ledger_rules_properties import ACCOUNTS, ORIGIN, START_UTC

Document = dict[str, Any]


def canonical(document: Document) -> bytes:
    # Every key in these documents is ASCII, where sort_keys orders as RFC 8785 does.
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def base_history() -> list[bytes]:
    """seq 1 opens the accounts, 2 and 3 are postings, 4 reverses seq 2."""
    canonicals = history([("posting", 5, 0, False), ("posting", 7, 0, False), ("reversal", 1, 0, False)])
    kinds = [json.loads(raw)["kind"] for raw in canonicals]
    assert kinds == ["account_open", "posting", "posting", "reversal"], kinds
    return canonicals


def rekeyed(document: Document, key: str) -> None:
    document["idempotency_key"] = key
    document["entry_id"] = str(entry_id_for(ORIGIN, key))


def set_leg(index: int, part: int, value: Any) -> Callable[[Document], None]:
    return lambda document: document["postings"][index].__setitem__(part, value)


# name -> (seq changed, change to its document, expected words of the reason)
DOCUMENT_CASES: dict[str, tuple[int, Callable[[Document], None], str]] = {
    "v_true": (2, lambda d: d.update(v=True), "not the number 1"),
    "v_two": (2, lambda d: d.update(v=2), "not the number 1"),
    "seq_number": (2, lambda d: d.update(seq=2), "seq 2 is not a decimal string"),
    "seq_leading_zero": (2, lambda d: d.update(seq="02"), "without leading zeros"),
    "seq_arabic_indic_digit": (2, lambda d: d.update(seq="\u0662"), "ASCII digits"),
    "seq_fullwidth_digit": (2, lambda d: d.update(seq="\uff12"), "ASCII digits"),
    "origin_number": (2, lambda d: d.update(origin=1), "is not this ledger's"),
    "kind_number": (2, lambda d: d.update(kind=0), "unknown kind"),
    "member_missing": (2, lambda d: d.pop("request_hash"), "not a v1 entry document"),
    "member_extra": (2, lambda d: d.update(extra="x"), "not a v1 entry document"),
    "time_february_30": (2, lambda d: d.update(effective_at="2026-02-30T00:00:00.000000Z"), "calendar"),
    "time_february_29_not_leap": (2, lambda d: d.update(effective_at="2026-02-29T00:00:00.000000Z"), "calendar"),
    "time_hour_24": (2, lambda d: d.update(effective_at="2026-01-01T24:00:00.000000Z"), "calendar"),
    "time_leap_second": (2, lambda d: d.update(recorded_at="2026-01-01T23:59:60.000000Z"), "calendar"),
    "time_year_zero": (2, lambda d: d.update(effective_at="0000-01-01T00:00:00.000000Z"), "calendar"),
    "time_month_13": (2, lambda d: d.update(effective_at="2026-13-01T00:00:00.000000Z"), "calendar"),
    "time_five_fraction_digits": (2, lambda d: d.update(effective_at="2026-01-01T00:00:00.00000Z"), "YYYY-MM-DD"),
    "time_offset_not_z": (2, lambda d: d.update(effective_at="2026-01-01T00:00:00.000000+00:00"), "YYYY-MM-DD"),
    "time_trailing_newline": (2, lambda d: d.update(effective_at="2026-01-01T00:00:00.000000Z\n"), "YYYY-MM-DD"),
    "time_arabic_indic_digit": (2, lambda d: d.update(effective_at="\u0662026-01-01T00:00:00.000000Z"),
                                "YYYY-MM-DD"),
    "time_number": (2, lambda d: d.update(recorded_at=1767225600), "YYYY-MM-DD"),
    "entry_id_other": (2, lambda d: d.update(entry_id="00000000-0000-5000-8000-000000000000"), "UUIDv5"),
    "entry_id_upper_case": (2, lambda d: d.update(entry_id=d["entry_id"].upper()), "UUIDv5"),
    "key_empty": (2, lambda d: rekeyed(d, ""), "1 to 200 characters"),
    "key_201_characters": (2, lambda d: rekeyed(d, "k" * 201), "1 to 200 characters"),
    "key_control_character": (2, lambda d: rekeyed(d, "e0\u0007"), "not printable"),
    "key_line_separator": (2, lambda d: rekeyed(d, "e0\u2028"), "not printable"),
    "key_number": (2, lambda d: d.update(idempotency_key=7), "1 to 200 characters"),
    "request_hash_upper_case": (2, lambda d: d.update(request_hash=d["request_hash"].upper()), "lowercase hex"),
    "request_hash_short": (2, lambda d: d.update(request_hash=d["request_hash"][:-2]), "lowercase hex"),
    "request_hash_null": (2, lambda d: d.update(request_hash=None), "lowercase hex"),
    "ref_seq_number": (4, lambda d: d.update(ref_seq=2), "ref_seq 2 is not a decimal string"),
    "ref_seq_leading_zero": (4, lambda d: d.update(ref_seq="02"), "without leading zeros"),
    "ref_seq_fullwidth_digit": (4, lambda d: d.update(ref_seq="\uff12"), "ASCII digits"),
    "amount_true": (2, set_leg(0, 2, True), "not a non-zero decimal string"),
    "amount_number": (2, set_leg(0, 2, 5), "not a non-zero decimal string"),
    "amount_fullwidth_digits": (2, set_leg(0, 2, "\uff15"), "ASCII digits"),
    "amount_plus_sign": (2, set_leg(0, 2, "+5"), "not a non-zero decimal string"),
    "amount_beyond_64_bits": (2, set_leg(0, 2, str(2**63)), "signed 64-bit"),
    "leg_path_not_a_string": (2, set_leg(0, 0, ["a", "cash"]), "segments of"),
    "leg_of_four": (2, lambda d: d["postings"][0].append("x"), "is not [account path, asset code, amount]"),
    "meta_value_number": (2, lambda d: d["meta"].update(note=1), "values are strings"),
    "meta_not_an_object": (2, lambda d: d.update(meta=[]), "values are strings"),
    "account_path_empty_segment": (1, lambda d: d["accounts"][0].update(path="a::cash"), "segments of"),
    "account_path_space": (1, lambda d: d["accounts"][0].update(path="a cash"), "segments of"),
    "account_asset_lower_case": (1, lambda d: d["accounts"][0].update(asset="usd/6"), "asset code"),
    "account_flag_number": (1, lambda d: d["accounts"][0].update(must_not_go_negative=1), "true or false"),
    "account_side_other": (1, lambda d: d["accounts"][0].update(normal_side="left"), "'debit' or 'credit'"),
    "account_member_extra": (1, lambda d: d["accounts"][0].update(note="x"), "exactly the members"),
}

# name -> (seq changed, change to its canonical bytes, expected words of the reason)
RAW_CASES: dict[str, tuple[int, Callable[[bytes], bytes], str]] = {
    "invalid_utf8": (2, lambda raw: raw.replace(b'"kind":"posting"', b'"kind":"post\xffing"'), "not UTF-8"),
    "overlong_utf8": (2, lambda raw: raw.replace(b'"kind":"posting"', b'"kind":"post\xc0\xafing"'), "not UTF-8"),
    "utf8_bom": (2, lambda raw: b"\xef\xbb\xbf" + raw, "not one JSON document"),
    "lone_surrogate": (2, lambda raw: raw.replace(b'"kind":"posting"', b'"kind":"posting\\ud800"'), "surrogate"),
    "trailing_data": (2, lambda raw: raw + b" {}", "not one JSON document"),
    "two_documents": (2, lambda raw: raw + raw, "not one JSON document"),
    "repeated_member": (2, lambda raw: raw.replace(b'"v":1}', b'"v":1,"v":1}'), "appears twice"),
    "repeated_meta_member": (2, lambda raw: raw.replace(b'"meta":{}', b'"meta":{"a":"1","a":"1"}'), "appears twice"),
    "float": (2, lambda raw: raw.replace(b'"v":1}', b'"v":1.0}'), "not an integer"),
    "nan": (2, lambda raw: raw.replace(b'"v":1}', b'"v":NaN}'), "not JSON"),
    "carriage_return": (2, lambda raw: raw + b"\r", "canonical"),
    "empty_line": (2, lambda raw: b"", "not one JSON document"),
}


def export_with(canonicals: list[bytes], folder: str) -> Path:
    return write_export(Path(folder), canonicals)


def refused(export: Path, seq: int, words: str) -> None:
    report = verify_export(export)
    assert not report.ok, report
    assert report.first_bad_seq == seq, report
    assert report.reason is not None and words in report.reason, report
    assert verify_export_compiled(export) == report


@pytest.mark.parametrize("name", sorted(DOCUMENT_CASES))
def test_an_entry_member_breaking_its_format_is_refused_with_its_seq_and_reason(name: str) -> None:
    """One member changed (hashes recomputed): both verifiers name that entry and the broken rule."""
    seq, change, words = DOCUMENT_CASES[name]
    canonicals = base_history()
    document = json.loads(canonicals[seq - 1])
    change(document)
    canonicals[seq - 1] = canonical(document)
    with tempfile.TemporaryDirectory() as folder:
        refused(export_with(canonicals, folder), seq, words)


@pytest.mark.parametrize("name", sorted(RAW_CASES))
def test_a_line_that_is_not_one_canonical_utf8_json_document_is_refused(name: str) -> None:
    """Bytes that are not one UTF-8 JSON document, or repeat a member: refused at that line, not a traceback."""
    seq, change, words = RAW_CASES[name]
    canonicals = base_history()
    canonicals[seq - 1] = change(canonicals[seq - 1])
    with tempfile.TemporaryDirectory() as folder:
        refused(export_with(canonicals, folder), seq, words)


def test_undecodable_bytes_fail_the_command_with_exit_1_and_the_line(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m ledger.verifier` on an entries.jsonl line of bad UTF-8 prints FAIL with the seq (exit 1, not 2)."""
    canonicals = base_history()
    canonicals[2] = canonicals[2].replace(b'"kind":"posting"', b'"kind":"post\xffing"')
    with tempfile.TemporaryDirectory() as folder:
        status = verifier_main([str(export_with(canonicals, folder)), "--trust-export-keys"])
    output = capsys.readouterr().out
    assert status == 1
    assert "FAIL" in output and "seq=3" in output and "not UTF-8" in output


def test_balances_that_leave_64_bits_are_refused() -> None:
    """Two legs of 2^63 - 1 on one account: each amount fits, the running balance does not."""
    canonicals = base_history()[:3]
    for seq in (2, 3):
        document = json.loads(canonicals[seq - 1])
        for leg in document["postings"]:
            if leg[1] == "USD/6":
                leg[2] = ("-" if leg[0] == "a:revenue" else "") + str(2**63 - 1)
        canonicals[seq - 1] = canonical(document)
    with tempfile.TemporaryDirectory() as folder:
        refused(export_with(canonicals, folder), 3, "signed 64 bits")


def rotation_history(vkey: str) -> list[bytes]:
    state = LedgerState(ORIGIN, Head(0, CHAIN_GENESIS, None, None))
    rotation = EntryRequest(idempotency_key="rotation", kind="key_rotation", effective_at_utc=START_UTC,
                            meta={"vkey": vkey})
    return [plan_entry(state, normalize_request(rotation, internal=True), START_UTC).canonical]


@pytest.mark.parametrize("vkey_of", ["garbage", "another_origin"])
def test_a_key_rotation_must_name_a_vkey_of_this_ledger(vkey_of: str) -> None:
    """A key_rotation entry whose meta.vkey does not parse, or names another origin, is refused."""
    key = verifier_key_from_private("elsewhere.example/x", Ed25519PrivateKey.generate())
    vkey = "not a vkey" if vkey_of == "garbage" else key.vkey
    with tempfile.TemporaryDirectory() as folder:
        refused(export_with(rotation_history(vkey), folder), 1, "meta.vkey")


def signed_export(folder: str) -> tuple[Path, str, list[bytes]]:
    private_key = Ed25519PrivateKey.generate()
    vkey = verifier_key_from_private(ORIGIN, private_key).vkey
    canonicals = rotation_history(vkey)
    export = export_with(canonicals, folder)
    from ledger.merkle import leaf_hash

    root = root_hash([leaf_hash(raw) for raw in canonicals])
    note = sign_note(checkpoint_body(ORIGIN, 1, root), ORIGIN, private_key)
    record = {"tree_size": 1, "root": root.hex(), "note": note}
    (export / "checkpoints.jsonl").write_text(json.dumps(record) + "\n")
    (export / "keys.txt").write_text(vkey + "\n")
    return export, json.dumps(record), canonicals


CHECKPOINT_LINE_CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "root_unsigned_differs": (lambda r: r.update(root="00" * 32), "root field"),
    "root_upper_case": (lambda r: r.update(root=r["root"].upper()), "root is not 64 lowercase hex"),
    "root_missing": (lambda r: r.pop("root"), "members"),
    "member_extra": (lambda r: r.update(extra=1), "members"),
    "tree_size_true": (lambda r: r.update(tree_size=True), "tree_size True"),
    "tree_size_string": (lambda r: r.update(tree_size="1"), "tree_size '1'"),
    "tree_size_zero": (lambda r: r.update(tree_size=0), "tree_size 0"),
    "note_number": (lambda r: r.update(note=5), "note is not a string"),
}


def test_a_well_formed_signed_checkpoint_line_passes() -> None:
    """The control for the table below: the untouched line verifies."""
    with tempfile.TemporaryDirectory() as folder:
        export, _, _ = signed_export(folder)
        report = verify_export(export)
        assert report.ok and report.checkpoints_checked == 1, report
        assert verify_export_compiled(export) == report


@pytest.mark.parametrize("name", sorted(CHECKPOINT_LINE_CASES))
def test_every_field_of_a_checkpoint_line_is_checked(name: str) -> None:
    """A checkpoint line with a changed field (the signed note untouched) is refused, naming the field."""
    change, words = CHECKPOINT_LINE_CASES[name]
    with tempfile.TemporaryDirectory() as folder:
        export, line, _ = signed_export(folder)
        record = json.loads(line)
        change(record)
        (export / "checkpoints.jsonl").write_text(json.dumps(record) + "\n")
        report = verify_export(export)
        assert not report.ok and report.reason is not None and words in report.reason, report
        assert verify_export_compiled(export) == report


@pytest.mark.parametrize("content", [b"\xff\xfe\n", b'{"tree_size":1,"tree_size":1,"root":"","note":""}\n', b"{}"])
def test_an_undecodable_or_unterminated_checkpoints_file_is_a_failure_not_a_crash(content: bytes) -> None:
    """Bad UTF-8, a repeated member or a missing final newline in checkpoints.jsonl: a report, exit 1."""
    with tempfile.TemporaryDirectory() as folder:
        export, _, _ = signed_export(folder)
        (export / "checkpoints.jsonl").write_bytes(content)
        report = verify_export(export)
        assert not report.ok and report.reason is not None and "checkpoints.jsonl line 1" in report.reason, report


@pytest.mark.parametrize("entries", ["true", '"1"', "1.0"])
def test_a_manifest_entry_count_must_be_an_integer(entries: str) -> None:
    """MANIFEST.json's entries is a JSON integer: `true` (equal to 1 in Python) or "1" is refused."""
    with tempfile.TemporaryDirectory() as folder:
        export, _, _ = signed_export(folder)
        manifest = json.loads((export / "MANIFEST.json").read_text())
        (export / "MANIFEST.json").write_text(json.dumps(manifest).replace('"entries": 1', f'"entries": {entries}'))
        report = verify_export(export)
        assert not report.ok and report.reason is not None and "MANIFEST.json" in report.reason, report


# Printable: no category C* or Z* but the space (generated directly; a filter would reject most long texts).
printable_characters = st.characters(
    codec="utf-8", exclude_categories=["Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"], include_characters=" "
)
printable_keys = st.text(printable_characters, min_size=1, max_size=200).filter(str.isprintable)
instants = st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30), timezones=st.just(UTC))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(printable_keys, st.integers(1, 2**62), instants), min_size=1, max_size=8, unique_by=lambda t: t[0]))
def test_the_writers_own_exports_always_pass(requests: list[tuple[str, int, datetime]]) -> None:
    """Whatever keys (any printable text), amounts and effective times the writer accepts, its export verifies,
    through the replay and the compiled path alike."""
    state = LedgerState(ORIGIN, Head(0, CHAIN_GENESIS, None, None))
    opening = EntryRequest(idempotency_key="open", kind="account_open", effective_at_utc=START_UTC)
    canonicals = [plan_entry(state, normalize_request(opening, ACCOUNTS, internal=True), START_UTC).canonical]
    for index, (key, amount, effective) in enumerate(requests):
        request = EntryRequest(idempotency_key=key, effective_at_utc=effective, postings=[
            PostingRequest("a:revenue", "USD/6", -amount), PostingRequest("a:cash", "USD/6", amount)])
        try:
            planned = plan_entry(state, normalize_request(request), START_UTC + timedelta(microseconds=index + 1))
        except DomainError:
            continue
        canonicals.append(planned.canonical)
    with tempfile.TemporaryDirectory() as folder:
        export = export_with(canonicals, folder)
        report = verify_export(export)
        assert report.ok, report
        assert verify_export_compiled(export) == report


@pytest.mark.parametrize("file_name", ["entries.jsonl", "chain.tsv"])
def test_a_last_line_without_its_newline_is_refused(file_name: str) -> None:
    """Every line of entries.jsonl and chain.tsv ends in a newline, the last one too."""
    with tempfile.TemporaryDirectory() as folder:
        export = export_with(base_history(), folder)
        (export / file_name).write_bytes((export / file_name).read_bytes()[:-1])
        report = verify_export(export)
        assert not report.ok and report.first_bad_seq == 4, report
        assert report.reason is not None and f"{file_name} line 4 does not end in a newline" in report.reason
        assert verify_export_compiled(export) == report


@pytest.mark.parametrize("origin", ["", "has space", "a+b", "caf\u00e9", "x" * 201])
def test_a_manifest_origin_outside_the_origin_grammar_is_refused(origin: str) -> None:
    """The origin is 1 to 200 printable ASCII characters without spaces or '+', as the database requires."""
    with tempfile.TemporaryDirectory() as folder:
        export = export_with(base_history(), folder)
        manifest = json.loads((export / "MANIFEST.json").read_text())
        (export / "MANIFEST.json").write_text(json.dumps({**manifest, "origin": origin}))
        report = verify_export(export)
        assert not report.ok and report.reason is not None and "MANIFEST.json: origin" in report.reason, report
