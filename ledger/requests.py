"""Shape checks and canonical request bytes (pure): what a caller asked for, before any state."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from common.canonical_json import sha256_canonical, utc_text
from ledger.accounts import ASSET_SCALES
from ledger.errors import InvalidAccountSpec, InvalidEntryRequest
from ledger.model import AccountSpec, EntryRequest
from ledger.posting_rules import (
    INTERNAL_KINDS,
    KINDS_NEEDING_POSTINGS,
    KINDS_NEEDING_REF,
    KINDS_WITHOUT_POSTINGS,
    NORMAL_SIDES,
    PUBLIC_KINDS,
    Leg,
)

ACCOUNT_PATH_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)*$")
# The limits of one request (docs/ledger-spec.md, "Limits"). Meta is provenance (a few named strings), never a
# list that grows with a campus: a per-tenant fact goes into a leg or into a digest over documents. Legs do
# grow with a campus (a cycle's settlement entry has up to 5 per tenant), so their bound leaves room for 10,000
# tenants and more (billing.cycle_limits) while keeping one entry's planning in memory.
IDEMPOTENCY_KEY_LENGTH_MAX = 200
META_ENTRIES_MAX = 64
POSTINGS_PER_ENTRY_MAX = 100_000
AMOUNT_MINOR_ABS_MAX = 2**63 - 1  # bigint in PostgreSQL; running balances must fit it too
ENTRY_ID_NAMESPACE = uuid.UUID("6f9a1d52-3c0e-5b8e-9d41-7a2f0c1e5b30")

Posting = Leg  # (account path, asset code, amount minor)
POSTING_FIELDS = ("account", "asset", "amount")  # the order of a leg in the canonical documents


@dataclass(slots=True)
class NormalizedRequest:
    idempotency_key: str
    kind: str
    effective_at_utc: datetime
    postings: tuple[Posting, ...]
    meta: dict[str, str]
    ref_idempotency_key: str | None
    accounts: tuple[AccountSpec, ...]
    request_value: dict[str, Any]
    request_canonical: bytes
    request_hash: bytes
    fast_domain: bool  # documents built from it may take the C encoder (common.canonical_json)


def entry_id_for(origin: str, idempotency_key: str) -> uuid.UUID:
    # Derived from the key, so a retried request carries no fresh random id (idempotent by content).
    return uuid.uuid5(ENTRY_ID_NAMESPACE, f"{origin}\n{idempotency_key}")


def account_id_for(origin: str, path: str, asset_code: str) -> uuid.UUID:
    return uuid.uuid5(ENTRY_ID_NAMESPACE, f"{origin}\naccount\n{path}\n{asset_code}")


def check_account_spec(spec: AccountSpec) -> None:
    if not isinstance(spec.path, str) or not ACCOUNT_PATH_PATTERN.match(spec.path):
        raise InvalidAccountSpec(str(spec.path), "path", "must be segments of [A-Za-z0-9_.-] joined by ':'")
    if spec.asset_code not in ASSET_SCALES:
        raise InvalidAccountSpec(spec.path, "asset_code", f"unknown asset {spec.asset_code!r}")
    if spec.normal_side not in NORMAL_SIDES:
        raise InvalidAccountSpec(spec.path, "normal_side", "must be 'debit' or 'credit'")
    if not isinstance(spec.must_not_go_negative, bool):
        raise InvalidAccountSpec(spec.path, "must_not_go_negative", "must be a bool")


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not key or len(key) > IDEMPOTENCY_KEY_LENGTH_MAX:
        raise InvalidEntryRequest(str(key), "idempotency_key", "must be 1..200 characters")
    if not key.isprintable():
        raise InvalidEntryRequest(key, "idempotency_key", "must be printable")
    return key


_valid_paths: set[str] = set()  # paths already matched against the pattern (a batch repeats a few)
VALID_PATHS_CACHED_MAX = 100_000


def _path_ok(path: object) -> bool:
    if path in _valid_paths:
        return True
    if not isinstance(path, str) or not ACCOUNT_PATH_PATTERN.match(path):
        return False
    if len(_valid_paths) < VALID_PATHS_CACHED_MAX:
        _valid_paths.add(path)
    return True


def _check_postings(key: str, request: EntryRequest) -> tuple[Posting, ...]:
    if len(request.postings) > POSTINGS_PER_ENTRY_MAX:
        raise InvalidEntryRequest(key, "postings", f"more than {POSTINGS_PER_ENTRY_MAX} postings")
    postings: list[Posting] = []
    for index, posting in enumerate(request.postings):
        path, asset, amount = posting.account_path, posting.asset_code, posting.amount_minor
        if not _path_ok(path):
            raise InvalidEntryRequest(key, f"postings[{index}].account_path", f"bad account path {path!r}")
        if asset not in ASSET_SCALES:
            raise InvalidEntryRequest(key, f"postings[{index}].asset_code", f"unknown asset {asset!r}")
        if type(amount) is not int:  # bool is an int subclass and is refused here too
            raise InvalidEntryRequest(key, f"postings[{index}].amount_minor", "must be an int (minor units)")
        if amount == 0 or not -AMOUNT_MINOR_ABS_MAX <= amount <= AMOUNT_MINOR_ABS_MAX:
            raise InvalidEntryRequest(key, f"postings[{index}].amount_minor", "must be non-zero and fit a signed 64-bit integer")
        postings.append((path, asset, amount))
    if request.kind in KINDS_WITHOUT_POSTINGS and postings:
        raise InvalidEntryRequest(key, "postings", f"a {request.kind} entry carries no postings")
    if request.kind in KINDS_NEEDING_POSTINGS and not postings:
        raise InvalidEntryRequest(key, "postings", f"a {request.kind} entry needs postings")
    return tuple(postings)


def _check_meta(key: str, meta: object) -> dict[str, str]:
    if not isinstance(meta, Mapping) or len(meta) > META_ENTRIES_MAX:
        raise InvalidEntryRequest(key, "meta", f"must be a mapping of at most {META_ENTRIES_MAX} items")
    checked: dict[str, str] = {}
    for name, value in meta.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidEntryRequest(key, f"meta[{name!r}]", "keys and values must be strings")
        checked[name] = value
    return checked


def _check_reference(key: str, request: EntryRequest, meta: dict[str, str]) -> str | None:
    ref = request.ref_idempotency_key
    if request.kind in KINDS_NEEDING_REF:
        if not isinstance(ref, str) or not ref:
            raise InvalidEntryRequest(key, "ref_idempotency_key", f"a {request.kind} needs a reference")
    elif ref is not None:
        raise InvalidEntryRequest(key, "ref_idempotency_key", f"a {request.kind} takes no reference")
    if request.kind == "adjustment" and not meta.get("reason_code"):
        raise InvalidEntryRequest(key, "meta.reason_code", "an adjustment needs a reason code")
    return ref


def normalize_request(
    request: EntryRequest, accounts: tuple[AccountSpec, ...] = (), internal: bool = False
) -> NormalizedRequest:
    """Check the shape of one request and compute its canonical bytes and SHA-256."""
    key = _check_key(request.idempotency_key)
    allowed = PUBLIC_KINDS | INTERNAL_KINDS if internal else PUBLIC_KINDS
    if request.kind not in allowed:
        raise InvalidEntryRequest(key, "kind", f"unknown kind {request.kind!r}")
    effective = request.effective_at_utc
    if not isinstance(effective, datetime) or effective.tzinfo is None:
        raise InvalidEntryRequest(key, "effective_at_utc", "must be a timezone-aware datetime")
    postings = _check_postings(key, request)
    meta = _check_meta(key, request.meta)
    ref = _check_reference(key, request, meta)
    value = request_value(key, request.kind, effective, postings, meta, ref, accounts)
    # Every string here is checked or fixed; only meta keys could upset the member order.
    fast_domain = all(not name or max(name) < "\ue000" for name in meta)
    try:
        raw, digest = sha256_canonical(value, domain_checked=fast_domain)
    except (UnicodeEncodeError, ValueError) as error:
        raise InvalidEntryRequest(key, "request", f"not representable as I-JSON: {error}") from error
    return NormalizedRequest(
        key, request.kind, effective, postings, meta, ref, accounts, value, raw, digest, fast_domain
    )


def check_entry_request(request: EntryRequest) -> None:
    """Refuse, as `append_entries` would, a request whose shape is invalid (InvalidEntryRequest); no state read.

    Lets a caller check what it is about to post before it writes anything else (documents, other rows)."""
    normalize_request(request)


def postings_value(postings: tuple[Posting, ...]) -> list[list[str]]:
    """Each leg as [account path, asset code, signed amount in minor units as a decimal string]."""
    return [[path, asset, str(amount)] for path, asset, amount in postings]


def accounts_value(accounts: tuple[AccountSpec, ...]) -> list[dict[str, Any]]:
    return [
        {
            "path": spec.path,
            "asset": spec.asset_code,
            "normal_side": spec.normal_side,
            "must_not_go_negative": spec.must_not_go_negative,
        }
        for spec in accounts
    ]


def request_value(
    key: str,
    kind: str,
    effective: datetime,
    postings: tuple[Posting, ...],
    meta: dict[str, str],
    ref: str | None,
    accounts: tuple[AccountSpec, ...],
) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "kind": kind,
        "effective_at": utc_text(effective),
        "ref_idempotency_key": ref,
        "postings": postings_value(postings),
        "accounts": accounts_value(accounts),
        "meta": meta,
    }


def first_difference(stored: dict[str, Any], requested: dict[str, Any]) -> str:
    """Name of the first field where two request values differ, e.g. `postings[1].amount`."""
    for name in sorted(set(stored) | set(requested)):
        old, new = stored.get(name), requested.get(name)
        if old == new:
            continue
        if isinstance(old, list) and isinstance(new, list):
            for index, (old_item, new_item) in enumerate(zip(old, new)):
                if old_item != new_item:
                    if isinstance(old_item, dict) and isinstance(new_item, dict):
                        return f"{name}[{index}].{first_difference(old_item, new_item)}"
                    if name == "postings" and len(old_item) == len(new_item) == len(POSTING_FIELDS):
                        part = next(i for i, (a, b) in enumerate(zip(old_item, new_item)) if a != b)
                        return f"postings[{index}].{POSTING_FIELDS[part]}"
                    return f"{name}[{index}]"
            return f"{name} (length {len(old)} vs {len(new)})"
        if isinstance(old, dict) and isinstance(new, dict):
            return f"{name}.{first_difference(old, new)}"
        return name
    return "request"
