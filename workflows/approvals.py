"""Finance's decisions and their rules, shared by every workflow that waits for one (a billing cycle, a correction).

Pure functions the workflows' update validators call, so both refuse the same callers with the same words: only
the finance role decides, a named approver, only while the workflow awaits approval, a second approval from a
different person (four eyes above the threshold), a rejection with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

FINANCE_ROLE = "finance"


@dataclass(frozen=True)
class Decision:
    approver: str
    role: str  # the caller's role as authenticated by the API; the workflow's validator checks it
    comment: str = ""


@dataclass(frozen=True)
class Rejection:
    approver: str
    role: str
    reason: str


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
