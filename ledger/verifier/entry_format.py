"""The per-member rules of a v1 entry document (docs/ledger-spec.md §2), standard library only.

Each check raises `FormatError` with a reason naming the member; the replay turns it into a failure at the
entry's seq. The grammars are written here again, not imported from the writer (`ledger.requests`), because
the verifier checks the writer. Python's `int()`, `str.isdigit()` and the `\\d` and `$` of `re` accept more
than the spec allows (other Unicode digits, a trailing newline), so every pattern spells `[0-9]` and is
matched whole (`fullmatch`).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from ledger.posting_rules import NORMAL_SIDES

ENTRY_ID_NAMESPACE_BYTES = bytes.fromhex("6f9a1d523c0e5b8e9d417a2f0c1e5b30")
IDEMPOTENCY_KEY_LENGTH_MAX = 200  # code points
AMOUNT_MINOR_ABS_MAX = 2**63 - 1  # PostgreSQL bigint; running balances must fit it too
SEQ_TEXT = re.compile(r"[1-9][0-9]*")
AMOUNT_TEXT = re.compile(r"-?[1-9][0-9]*")
HASH_HEX = re.compile(r"[0-9a-f]{64}")
INSTANT_TEXT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.[0-9]{6}Z")
ACCOUNT_PATH = re.compile(r"[A-Za-z0-9_.-]+(?::[A-Za-z0-9_.-]+)*")
ASSET_CODE = re.compile(r"[A-Z][A-Z0-9]{0,16}(?:_[A-Z]{1,16})?(?:/[0-9]{1,2})?")
ACCOUNT_MEMBERS = frozenset({"asset", "must_not_go_negative", "normal_side", "path"})


class FormatError(ValueError):
    """A member of an entry document that breaks the format of §2; the message names it."""


def entry_id_for(origin: str, idempotency_key: str) -> str:
    """UUIDv5 (RFC 9562 §5.5) of `origin + "\\n" + key` in the ledger's namespace, lowercase with hyphens."""
    digest = bytearray(hashlib.sha1(ENTRY_ID_NAMESPACE_BYTES + f"{origin}\n{idempotency_key}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def seq_number(member: str, value: Any) -> int:
    """A seq written as a string of ASCII digits without leading zeros (so at least 1)."""
    if type(value) is not str or not SEQ_TEXT.fullmatch(value):
        raise FormatError(f"{member} {value!r} is not a decimal string of ASCII digits without leading zeros")
    return int(value)


def check_instant(member: str, value: Any) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffffZ`, ASCII digits, a real Gregorian date and time of day (no leap second)."""
    match = INSTANT_TEXT.fullmatch(value) if type(value) is str else None
    if match is None:
        raise FormatError(f"{member} {value!r} is not YYYY-MM-DDTHH:MM:SS.ffffffZ")
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        datetime(year, month, day, hour, minute, second)
    except ValueError as error:
        raise FormatError(f"{member} {value!r} is not a calendar date and time: {error}") from error
    return match.string


def check_idempotency_key(value: Any) -> str:
    """1 to 200 code points, each printable: no Unicode category C* or Z* except the space U+0020."""
    if type(value) is not str or not 1 <= len(value) <= IDEMPOTENCY_KEY_LENGTH_MAX:
        raise FormatError(f"idempotency_key must be a string of 1 to {IDEMPOTENCY_KEY_LENGTH_MAX} characters")
    if not value.isprintable():
        raise FormatError(f"idempotency_key {value!r} holds a character that is not printable")
    return value


def check_hash_hex(member: str, value: Any) -> str:
    if type(value) is not str or not HASH_HEX.fullmatch(value):
        raise FormatError(f"{member} {value!r} is not 64 lowercase hex digits")
    return value


def check_account_path(member: str, value: Any) -> str:
    if type(value) is not str or not ACCOUNT_PATH.fullmatch(value):
        raise FormatError(f"{member} {value!r} is not segments of [A-Za-z0-9_.-] joined by ':'")
    return value


def check_asset_code(member: str, value: Any) -> str:
    if type(value) is not str or not ASSET_CODE.fullmatch(value):
        raise FormatError(f"{member} {value!r} is not an asset code like USD/6")
    return value


def leg(index: int, value: Any) -> tuple[str, str, int]:
    """One posting `[path, asset, amount]`, all three strings; the amount a non-zero signed 64-bit integer."""
    member = f"postings[{index}]"
    if type(value) is not list or len(value) != 3:
        raise FormatError(f"{member} is not [account path, asset code, amount]")
    path = check_account_path(f"{member} account", value[0])
    asset = check_asset_code(f"{member} asset", value[1])
    amount_text = value[2]
    if type(amount_text) is not str or not AMOUNT_TEXT.fullmatch(amount_text):
        raise FormatError(f"{member} amount {amount_text!r} is not a non-zero decimal string of ASCII digits")
    amount = int(amount_text)
    if abs(amount) > AMOUNT_MINOR_ABS_MAX:
        raise FormatError(f"{member} amount {amount_text} does not fit a signed 64-bit integer")
    return path, asset, amount


def account_spec(index: int, value: Any) -> tuple[str, str, str, bool]:
    """One `account_open` item: exactly asset, must_not_go_negative (true/false), normal_side and path."""
    member = f"accounts[{index}]"
    if type(value) is not dict or value.keys() != ACCOUNT_MEMBERS:
        raise FormatError(f"{member} must have exactly the members {sorted(ACCOUNT_MEMBERS)}")
    path = check_account_path(f"{member}.path", value["path"])
    asset = check_asset_code(f"{member}.asset", value["asset"])
    side, flag = value["normal_side"], value["must_not_go_negative"]
    if side not in NORMAL_SIDES or type(side) is not str:
        raise FormatError(f"{member}.normal_side {side!r} is not 'debit' or 'credit'")
    if type(flag) is not bool:
        raise FormatError(f"{member}.must_not_go_negative {flag!r} is not true or false")
    return path, asset, side, flag


def check_meta(value: Any) -> dict[str, str]:
    if type(value) is not dict or not all(type(item) is str for item in value.values()):
        raise FormatError("meta must be an object whose values are strings")
    return value


# Document facts (docs/ledger-spec.md §10): meta items that record the SHA-256 of an issued document.
META_DOCUMENT = "document_sha256"
META_INVOICES_SHA256 = "invoices_sha256"
LEGACY_PREFIX, LEGACY_SUFFIX = "invoice:", ":sha256"
Fact = tuple[int, dict[str, str]]  # (seq, the entry's meta)


def names_documents(meta: dict[str, str]) -> bool:
    """Whether an entry's meta records a document hash, so the verifier keeps it as a fact."""
    return META_DOCUMENT in meta or META_INVOICES_SHA256 in meta or any(
        name.startswith(LEGACY_PREFIX) and name.endswith(LEGACY_SUFFIX) for name in meta
    )
