"""Finance's decisions and their rules, shared by every workflow that waits for one (a billing cycle, a correction).

Pure functions the workflows' update validators call, so both refuse the same callers with the same words: only
the finance role decides, a named approver, only while the workflow awaits approval, a second approval from a
different person (four eyes above the threshold), a rejection with its reason.

A decision is believed only when it is signed. Whoever reaches the Temporal port could otherwise send an `approve`
update naming any approver with the finance role. The API (or the CLI, on a machine holding the key) signs each
decision with the approval key (Ed25519) after authenticating the caller: what is decided (approve or reject), on
which workflow, for which settlement version or revision, by whom, with which role and words, when, and until
when it may be used. The worker trusts the public keys its settings name (`trust_decision_keys`); a validator
refuses a decision that no trusted key signed, that names another workflow or version, or that has expired.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

FINANCE_ROLE = "finance"
DECISION_LIFETIME = timedelta(minutes=15)
"""How long a signed decision may be delivered: long enough for a retried request, too short to replay later."""
CLOCK_SKEW_MAX = timedelta(minutes=5)
"""A decision signed this far in the workflow's future is still believed (the API's and Temporal's clocks)."""


@dataclass(frozen=True)
class Decision:
    approver: str
    role: str  # the caller's role as authenticated by the API; the workflow's validator checks it
    comment: str = ""
    # The signature and what it covers besides the fields above (`sign_decision`); empty on decisions recorded
    # before decisions were signed.
    subject: str = ""
    version: int = 0
    issued_at_utc: str = ""
    expires_at_utc: str = ""
    key_id: str = ""
    signature_hex: str = ""


@dataclass(frozen=True)
class Rejection:
    approver: str
    role: str
    reason: str
    subject: str = ""
    version: int = 0
    issued_at_utc: str = ""
    expires_at_utc: str = ""
    key_id: str = ""
    signature_hex: str = ""


Signed = TypeVar("Signed", Decision, Rejection)
_trusted_keys: dict[str, Ed25519PublicKey] = {}


def decision_key_id(public_key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the sha256 of the raw public key."""
    return hashlib.sha256(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def trust_decision_keys(public_keys: Iterable[Ed25519PublicKey]) -> None:
    """Add keys this process's workflows believe (the worker adds the one its settings name when it starts).
    Nothing is trusted until then: a validator refuses every decision."""
    _trusted_keys.update({decision_key_id(key): key for key in public_keys})


def decision_message(decision: Decision | Rejection) -> bytes:
    """The bytes a decision's signature covers: every field but the signature, as sorted compact JSON."""
    kind, text = ("approve", decision.comment) if isinstance(decision, Decision) else ("reject", decision.reason)
    fields = {"kind": kind, "subject": decision.subject, "version": decision.version, "approver": decision.approver,
              "role": decision.role, "text": text, "issued_at_utc": decision.issued_at_utc,
              "expires_at_utc": decision.expires_at_utc, "key_id": decision.key_id}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sign_decision(decision: Signed, subject: str, version: int, key: Ed25519PrivateKey, now_utc: datetime) -> Signed:
    """`decision` for workflow `subject` at settlement version (or revision) `version`, signed, valid from
    `now_utc` for DECISION_LIFETIME."""
    unsigned = replace(decision, subject=subject, version=version, issued_at_utc=now_utc.isoformat(),
                       expires_at_utc=(now_utc + DECISION_LIFETIME).isoformat(),
                       key_id=decision_key_id(key.public_key()), signature_hex="")
    return replace(unsigned, signature_hex=key.sign(decision_message(unsigned)).hex())


def check_signature(decision: Decision | Rejection, subject: str, version: int, now_utc: datetime) -> None:
    """Refuse a decision that no trusted key signed, or signed for another workflow or version, or out of its time."""
    key = _trusted_keys.get(decision.key_id)
    if key is None:
        raise ValueError("the decision is not signed by a trusted approval key; decide through the API")
    try:
        key.verify(bytes.fromhex(decision.signature_hex), decision_message(decision))
    except (InvalidSignature, ValueError):
        raise ValueError("the decision's signature does not verify") from None
    if decision.subject != subject or decision.version != version:
        raise ValueError(f"the decision was signed for {decision.subject} version {decision.version}, "
                         f"not {subject} version {version}")
    try:
        issued_at, expires_at = (datetime.fromisoformat(decision.issued_at_utc),
                                 datetime.fromisoformat(decision.expires_at_utc))
    except ValueError:
        raise ValueError("the decision's times are not ISO 8601") from None
    if issued_at.tzinfo is None or expires_at.tzinfo is None:
        raise ValueError("the decision's times carry no UTC offset")
    if not issued_at - CLOCK_SKEW_MAX <= now_utc < expires_at or expires_at - issued_at > DECISION_LIFETIME:
        raise ValueError(f"the decision is valid from {decision.issued_at_utc} to {decision.expires_at_utc}, "
                         f"not at {now_utc.isoformat()}")


def approvals_needed(threshold_usd_micros: int, amount_usd_micros: int) -> int:
    """Two distinct finance approvers above the threshold (0 = never), else one."""
    return 2 if threshold_usd_micros and abs(amount_usd_micros) > threshold_usd_micros else 1


def check_decider(subject: str, phase: str, awaiting: bool, approver: str, role: str) -> None:
    """Refuse a decision from another role, without an approver, or while `subject` is not awaiting one."""
    if role != FINANCE_ROLE:
        raise ValueError(f"only the {FINANCE_ROLE} role may decide; caller has {role!r}")
    if not approver.strip():
        raise ValueError("approver is required")
    if not awaiting:
        raise ValueError(f"{subject} is {phase}, not awaiting approval")


def check_approval(decision: Decision, approvals: Sequence[Decision]) -> None:
    if any(existing.approver == decision.approver for existing in approvals):
        raise ValueError(f"{decision.approver} has already approved; a second finance user must approve")


def check_rejection(rejection: Rejection) -> None:
    if not rejection.reason.strip():
        raise ValueError("a rejection needs a reason")
