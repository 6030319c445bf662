"""Canonical encoding (RFC 8785) and C2SP signed notes reproduce the shared vectors; the stdlib
canonical-form check used by the standalone verifier agrees with the rfc8785 library."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.signed_note import (
    NoteError,
    checkpoint_body,
    open_note,
    parse_checkpoint_body,
    parse_vkey,
    sign_note,
    verifier_key_from_private,
)
from ledger.verifier.canonical_form import NotCanonical, canonical_value, canonical_values_bulk, jcs_encode


@pytest.fixture(scope="module")
def vectors(shared_dir: Path) -> dict:
    return json.loads((shared_dir / "ledger_vectors" / "jcs_and_signed_note_vectors.json").read_text())


def test_published_jcs_sample_reproduces(vectors: dict) -> None:
    """The RFC 8785 sample canonicalizes byte for byte through the library we hash with."""
    sample = vectors["jcs_rfc8785"]
    value = json.loads(sample["input_json_text"])
    assert rfc8785.dumps(value).hex() == sample["expected_canonical_utf8_hex"]


def test_utf16_key_order_is_not_code_point_order() -> None:
    """Keys sort by UTF-16 units: the emoji comes before U+FF21, in the library and in our checker."""
    value = {"\uff21": "2", "\U0001f600": "1"}
    expected = '{"\U0001f600":"1","\uff21":"2"}'
    assert rfc8785.dumps(value).decode() == expected
    assert jcs_encode(value) == expected
    assert canonical_value(expected.encode()) == value
    with pytest.raises(NotCanonical):
        canonical_value(json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())


def test_checker_rejects_non_canonical_forms() -> None:
    """Whitespace, unsorted keys, escaped non-ASCII, floats and big integers are all refused."""
    for raw in (b'{"a": "1"}', b'{"b":"1","a":"2"}', b'{"a":"\\u00e9"}', b'{"a":1.5}',
                b'{"a":9007199254740993}', b'{"a":"1"} ', b'{"a":NaN}'):
        with pytest.raises(NotCanonical):
            canonical_value(raw)


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1), st.text(max_size=12))
json_values = st.recursive(
    json_leaf,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=6), children, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_checker_accepts_exactly_what_rfc8785_writes(value: object) -> None:
    """For any v1-domain value, the stdlib encoder equals rfc8785 and the checker accepts its bytes."""
    raw = rfc8785.dumps(value)
    assert jcs_encode(value).encode() == raw
    assert canonical_value(raw) == value
    assert canonical_values_bulk([raw, raw]) in (None, [value, value])


def test_c2sp_example_note_verifies_and_tampering_fails(vectors: dict) -> None:
    """The C2SP example vkey has key id 530d903a, its note verifies, and one changed byte does not."""
    example = vectors["signed_note_ed25519"]
    key = parse_vkey(example["vkey"])
    assert key.key_id.hex() == example["key_id_hex"] and key.vkey == example["vkey"]
    text, signers = open_note(example["signed_note"], [key])
    assert text == example["note_text"] and signers == [key]
    with pytest.raises(NoteError):
        open_note(example["signed_note"].replace("example", "Example", 1), [key])


def test_unknown_keys_are_ignored_but_one_known_signature_is_required() -> None:
    """A note signed by an unknown key only is refused; known + unknown signatures verify."""
    ours, theirs = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    body = checkpoint_body("ledger.example/a", 5, bytes(range(32)))
    note_ours = sign_note(body, "ledger.example/a", ours)
    note_theirs = sign_note(body, "witness.example", theirs)
    ours_key = verifier_key_from_private("ledger.example/a", ours)
    with pytest.raises(NoteError):
        open_note(note_theirs, [ours_key])
    cosigned = note_ours + note_theirs.split("\n\n", 1)[1]
    assert open_note(cosigned, [ours_key])[1] == [ours_key]
    assert parse_checkpoint_body(open_note(note_ours, [ours_key])[0]) == ("ledger.example/a", 5, bytes(range(32)))


def test_checkpoint_body_rejects_leading_zeros_and_extensions() -> None:
    """The size line has no leading zeros and no extension lines follow the root."""
    root_b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    with pytest.raises(NoteError):
        parse_checkpoint_body(f"o\n05\n{root_b64}\n")
    with pytest.raises(NoteError):
        parse_checkpoint_body(f"o\n5\n{root_b64}\nextra\n")


ledger_text = st.text(st.characters(codec="utf-8"), max_size=16)
order_safe_key = st.text(st.characters(codec="utf-8", max_codepoint=0xDFFF), max_size=8)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(order_safe_key, ledger_text, max_size=5),
    st.lists(st.tuples(ledger_text, ledger_text, ledger_text).map(list), max_size=6),
    ledger_text,
)
def test_fast_encoder_writes_exactly_what_rfc8785_writes(meta: dict, postings: list, key: str) -> None:
    """On the ledger's document domain (any text, order-safe keys) the C encoder equals rfc8785."""
    from common.canonical_json import canonical_bytes, in_fast_domain

    document = {"v": 1, "idempotency_key": key, "ref_seq": None, "postings": postings, "meta": meta,
                "accounts": [{"path": key, "must_not_go_negative": True}]}
    assert in_fast_domain(document)
    assert canonical_bytes(document) == rfc8785.dumps(document)


def test_keys_that_sort_differently_in_utf16_take_the_library_path() -> None:
    """A key at or above U+E000 leaves the fast domain, and the bytes still follow UTF-16 order."""
    from common.canonical_json import canonical_bytes, in_fast_domain

    document = {"meta": {"\uff21": "2", "\U0001f600": "1"}}
    assert not in_fast_domain(document)
    assert canonical_bytes(document) == rfc8785.dumps(document)
    assert canonical_bytes(document).index("\U0001f600".encode()) < canonical_bytes(document).index("\uff21".encode())


def test_special_characters_encode_identically() -> None:
    """Line separators, DEL, controls, quotes, backslash, slash, HTML characters and emoji: same bytes."""
    from common.canonical_json import canonical_bytes

    document = {"a": "\u2028\u2029\x7f\x1f\x00\b\f\n\r\t\"\\/<>&\ud7ff\ue000\U0001f600 <nil> ?/\\'>"}
    assert canonical_bytes(document) == rfc8785.dumps(document)
    assert canonical_value(canonical_bytes(document)) == document


@settings(max_examples=100, deadline=None)
@given(st.datetimes(min_value=datetime(1001, 1, 1), timezones=st.timezones()))
def test_instant_text_matches_the_common_format(value: datetime) -> None:
    """The ledger's fast instant text equals common.timeutil.format_utc_micros for aware times after
    year 1000 (before it, strftime drops the year's leading zero; the spec requires four digits)."""
    from common.canonical_json import utc_text
    from common.timeutil import format_utc_micros

    assert utc_text(value) == format_utc_micros(value)
    assert utc_text(datetime(999, 1, 1, tzinfo=UTC)) == "0999-01-01T00:00:00.000000Z"
