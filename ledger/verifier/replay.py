"""Replay of a ledger's canonical entries: every check an auditor needs, standard library only.

`ChainReplay.feed` takes entries in seq order (their exact canonical bytes) and raises
`VerificationFailure(seq, reason)` at the first entry that breaks a rule: canonical form (one UTF-8
JSON document, no repeated member), the format of every member (ledger.verifier.entry_format: types,
ASCII digits, calendar times, recomputed entry id, key, hash, path and asset grammars, 64-bit amounts),
origin, gapless seq, leaf and chain hash, rising record time, per-asset zero sum, account rules,
reversal / pending / period-close rules and non-negative balances. It keeps the running RFC 6962
root so signed checkpoints can be checked at any size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.chain import CHAIN_GENESIS, chain_hash
from ledger.merkle import CompactRange, leaf_hash
from ledger.posting_rules import (
    KIND_NAMES,
    KINDS_WITHOUT_POSTINGS,
    POSTED_KINDS,
    REFERABLE_KINDS,
    RESOLVING_KINDS,
    Leg,
    available_minor,
    expected_legs,
    move_balance,
    unbalanced_asset,
)
from ledger.signed_note import NoteError, open_note, parse_checkpoint_body, parse_vkey
from ledger.verifier.canonical_form import NotCanonical, canonical_value, canonical_values_bulk
from ledger.verifier.entry_format import (
    AMOUNT_MINOR_ABS_MAX,
    Fact,
    FormatError,
    account_spec,
    check_hash_hex,
    check_idempotency_key,
    check_instant,
    check_meta,
    entry_id_for,
    leg,
    names_documents,
    seq_number,
)

V1_KEYS = frozenset({
    "v", "origin", "seq", "entry_id", "kind", "ref_seq", "effective_at", "recorded_at",
    "idempotency_key", "request_hash", "postings", "accounts", "meta",
})
KNOWN_KINDS = frozenset(KIND_NAMES)


class VerificationFailure(Exception):
    def __init__(self, seq: int, reason: str) -> None:
        self.seq, self.reason = seq, reason
        super().__init__(f"seq {seq}: {reason}")


class ChainReplay:
    """State of a replay after `size` entries; balances are [posted, pending debits, pending credits]."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.size = 0
        self.chain_hash = CHAIN_GENESIS
        self.compact = CompactRange()
        self.roots: dict[int, bytes] = {}
        self.last_recorded_at = ""
        self.closed_until = ""
        self.keys: set[str] = set()
        self.accounts: dict[tuple[str, str], tuple[str, bool]] = {}
        self.balances: dict[tuple[str, str], list[int]] = {}
        self.postings_by_seq: dict[int, tuple[str, tuple[Leg, ...]]] = {}
        self.reversed: set[int] = set()
        self.resolved: set[int] = set()
        self.rotated_vkeys: list[tuple[int, str]] = []
        self.document_facts: list[Fact] = []  # (seq, meta) of entries recording a document's hash
        self.values: list[Any] | None = None  # parsed documents of the last feed, when kept
        self.balances_after: list[tuple[int, int, int]] | None = None  # per posting, when kept

    def keep_details(self) -> None:
        """Keep each fed entry's document and per-posting running balances (for the database diff)."""
        self.values, self.balances_after = [], []

    def feed(self, raws: Sequence[bytes], stored: Sequence[tuple[bytes, bytes]] | None = None) -> None:
        """Check the next entries; `stored` optionally gives each one's claimed (leaf, chain) hash."""
        values = canonical_values_bulk(list(raws))
        if self.values is not None:
            self.values.clear()
            assert self.balances_after is not None
            self.balances_after.clear()
        for offset, raw in enumerate(raws):
            seq = self.size + 1
            value = values[offset] if values is not None else self._parse_one(seq, raw)
            leaf = leaf_hash(raw)
            chain = chain_hash(self.chain_hash, leaf)
            if stored is not None and stored[offset] != (leaf, chain):
                raise VerificationFailure(seq, "stored leaf or chain hash differs from the recomputed one")
            self._check_entry(seq, value)
            if self.values is not None:
                self.values.append(value)
            self.chain_hash = chain
            self.compact.append(leaf)
            self.size = seq

    def root(self) -> bytes:
        return self.compact.root()

    @staticmethod
    def _parse_one(seq: int, raw: bytes) -> Any:
        try:
            return canonical_value(raw)
        except NotCanonical as error:
            raise VerificationFailure(seq, f"canonical bytes: {error}") from error

    def _check_entry(self, seq: int, value: Any) -> None:
        try:
            kind, postings, meta = self._check_members(seq, value)
        except FormatError as error:
            raise VerificationFailure(seq, str(error)) from error
        self._check_times_and_key(seq, value)
        postings = self._postings(seq, postings, kind)
        self._check_reference(seq, value, kind, postings)
        self._check_accounts_and_meta(seq, value, kind, meta)
        self._apply(seq, kind, postings)
        if kind in POSTED_KINDS or kind == "pending":
            self.postings_by_seq[seq] = (kind, postings)

    def _check_members(self, seq: int, value: Any) -> tuple[str, tuple[Leg, ...], dict[str, str]]:
        """The format of every member (§2), before any rule that compares entries."""
        if type(value) is not dict or value.keys() != V1_KEYS:
            names = sorted(value) if type(value) is dict else []
            raise FormatError(f"not a v1 entry document: members {names}, expected {sorted(V1_KEYS)}")
        if type(value["v"]) is not int or value["v"] != 1:  # `true` equals 1 in Python: compare the type too
            raise FormatError(f"v is {value['v']!r}, not the number 1")
        if value["origin"] != self.origin or type(value["origin"]) is not str:
            raise FormatError(f"origin {value['origin']!r} is not this ledger's ({self.origin!r})")
        if seq_number("seq", value["seq"]) != seq:
            raise FormatError(f"entry says seq {value['seq']}, position is {seq} (gap or reorder)")
        kind = value["kind"]
        if type(kind) is not str or kind not in KNOWN_KINDS:
            raise FormatError(f"unknown kind {kind!r}")
        check_instant("effective_at", value["effective_at"])
        check_instant("recorded_at", value["recorded_at"])
        key = check_idempotency_key(value["idempotency_key"])
        expected_id = entry_id_for(self.origin, key)
        if value["entry_id"] != expected_id:
            raise FormatError(f"entry_id {value['entry_id']!r} is not the UUIDv5 of origin and key ({expected_id})")
        check_hash_hex("request_hash", value["request_hash"])
        if value["ref_seq"] is not None:
            seq_number("ref_seq", value["ref_seq"])
        meta = check_meta(value["meta"])
        raw_postings, raw_accounts = value["postings"], value["accounts"]
        if type(raw_postings) is not list or type(raw_accounts) is not list:
            raise FormatError("postings and accounts must be arrays")
        legs = tuple(leg(index, item) for index, item in enumerate(raw_postings))
        for index, item in enumerate(raw_accounts):
            account_spec(index, item)
        return kind, legs, meta

    def _check_times_and_key(self, seq: int, value: dict[str, Any]) -> None:
        recorded, effective = value["recorded_at"], value["effective_at"]
        # Fixed-width UTC text sorts like the instants it names.
        if recorded <= self.last_recorded_at:
            raise VerificationFailure(seq, "recorded_at does not rise strictly")
        self.last_recorded_at = recorded
        key = value["idempotency_key"]
        if key in self.keys:
            raise VerificationFailure(seq, f"idempotency key {key!r} repeated")
        self.keys.add(key)
        if value["kind"] not in KINDS_WITHOUT_POSTINGS:  # period closes and the ledger's own entries
            if self.closed_until and effective < self.closed_until:
                raise VerificationFailure(seq, f"effective {effective} inside a period closed until {self.closed_until}")
        elif value["kind"] == "period_close":
            if effective < self.closed_until:
                raise VerificationFailure(seq, "period close moves backwards")
            self.closed_until = effective

    def _postings(self, seq: int, legs: tuple[Leg, ...], kind: str) -> tuple[Leg, ...]:
        if (not legs) != (kind in KINDS_WITHOUT_POSTINGS):
            raise VerificationFailure(seq, f"a {kind} entry with a wrong postings list")
        for account, asset, _ in legs:
            if (account, asset) not in self.accounts:
                raise VerificationFailure(seq, f"posting to account {account} ({asset}) that was never opened")
        unbalanced = unbalanced_asset(legs)
        if unbalanced is not None:
            raise VerificationFailure(seq, f"{unbalanced[0]} postings sum to {unbalanced[1]}, not 0")
        return legs

    def _check_reference(
        self, seq: int, value: dict[str, Any], kind: str, postings: tuple[Leg, ...]
    ) -> None:
        ref_text = value["ref_seq"]
        allowed = REFERABLE_KINDS.get(kind)
        if allowed is None:
            if ref_text is not None:
                raise VerificationFailure(seq, f"a {kind} entry with a reference")
            return
        if ref_text is None or not int(ref_text) < seq:  # its format was checked with the other members
            raise VerificationFailure(seq, f"a {kind} entry needs an earlier ref_seq")
        ref = int(ref_text)
        ref_kind, ref_postings = self.postings_by_seq.get(ref, ("none", ()))
        if ref_kind not in allowed:
            raise VerificationFailure(seq, f"a {kind} cannot refer to seq {ref} ({ref_kind})")
        if kind == "reversal":
            if ref in self.reversed:
                raise VerificationFailure(seq, f"seq {ref} reversed a second time")
            if postings != expected_legs(kind, ref_postings):
                raise VerificationFailure(seq, f"reversal does not exactly negate seq {ref}")
            self.reversed.add(ref)
        elif kind in RESOLVING_KINDS:
            if ref in self.resolved:
                raise VerificationFailure(seq, f"pending seq {ref} resolved a second time")
            if postings != expected_legs(kind, ref_postings):
                raise VerificationFailure(seq, f"{kind} does not copy the postings of seq {ref}")
            self.resolved.add(ref)
        elif not value["meta"].get("reason_code"):
            raise VerificationFailure(seq, "adjustment without meta.reason_code")

    def _check_accounts_and_meta(self, seq: int, value: dict[str, Any], kind: str, meta: dict[str, str]) -> None:
        if names_documents(meta):
            self.document_facts.append((seq, meta))
        accounts = value["accounts"]
        if (not accounts) != (kind != "account_open"):
            raise VerificationFailure(seq, f"a {kind} entry with a wrong accounts list")
        for spec in accounts:
            pair = (spec["path"], spec["asset"])
            if pair in self.accounts:
                raise VerificationFailure(seq, f"account {pair[0]} ({pair[1]}) opened twice")
            self.accounts[pair] = (spec["normal_side"], spec["must_not_go_negative"])
        if kind == "key_rotation":
            vkey = meta.get("vkey")
            try:
                if vkey is None or parse_vkey(vkey).name != self.origin:
                    raise NoteError("it is missing or names another ledger")
            except NoteError as error:
                raise VerificationFailure(seq, f"key rotation without a valid meta.vkey for this origin: {error}") from error
            self.rotated_vkeys.append((seq, vkey))

    def _apply(self, seq: int, kind: str, postings: tuple[Leg, ...]) -> None:
        touched = set()
        for account, asset, amount in postings:
            pair = (account, asset)
            balance = self.balances.get(pair)
            if balance is None:
                balance = self.balances[pair] = [0, 0, 0]
            move_balance(balance, kind, amount)
            touched.add(pair)
            if self.balances_after is not None:
                self.balances_after.append((balance[0], balance[1], balance[2]))
        for pair in touched:
            _, must_not_go_negative = self.accounts[pair]
            if must_not_go_negative and self.available(pair) < 0:
                raise VerificationFailure(seq, f"account {pair[0]} ({pair[1]}) went negative")
            if any(abs(total) > AMOUNT_MINOR_ABS_MAX for total in self.balances[pair]):
                raise VerificationFailure(seq, f"a balance of account {pair[0]} ({pair[1]}) leaves signed 64 bits")

    def available(self, pair: tuple[str, str]) -> int:
        posted, pending_debits, pending_credits = self.balances.get(pair, (0, 0, 0))
        return available_minor(self.accounts[pair][0], posted, pending_debits, pending_credits)


def check_checkpoint_note(
    replay: ChainReplay, tree_size: int, note: str, trusted_vkeys: Sequence[str] | None = None,
    root_hex: str | None = None,
) -> None:
    """A checkpoint at `tree_size` must be signed by a key the chain rotated in at or before that
    size (and, when given, that the auditor trusts), and name this origin, size and replayed root.
    `root_hex`, the unsigned root an export writes beside the note, must be that root too."""
    root = replay.roots.get(tree_size)
    if root is None:
        raise VerificationFailure(min(tree_size, replay.size + 1),
                                  f"checkpoint at size {tree_size} but the chain has {replay.size} entries")
    if root_hex is not None and root_hex != root.hex():
        raise VerificationFailure(tree_size, f"checkpoint at size {tree_size}: its root field {root_hex} is not"
                                             f" the replayed root {root.hex()}")
    chained = [vkey for seq, vkey in replay.rotated_vkeys if seq <= tree_size]
    allowed = chained if trusted_vkeys is None else [vkey for vkey in chained if vkey in set(trusted_vkeys)]
    try:
        body, _ = open_note(note, [parse_vkey(vkey) for vkey in allowed])
        origin, body_size, body_root = parse_checkpoint_body(body)
    except NoteError as error:
        raise VerificationFailure(tree_size, f"checkpoint at size {tree_size}: {error}") from error
    if (origin, body_size, body_root) != (replay.origin, tree_size, root):
        raise VerificationFailure(tree_size, f"checkpoint at size {tree_size} does not match the replayed root")
