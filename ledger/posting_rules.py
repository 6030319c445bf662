"""The posting rules, written once: which kinds exist, what they may refer to, how legs move balances.

The writer (`ledger.planning`) enforces them before an entry is stored; the replay of the live audit and
of the standalone verifier (`ledger.verifier.replay`) checks them again on the stored bytes; the compiled
scan (`ledger.verifier.compiled_scan`) mirrors them in numba and checks at import that its tables agree.
Standard library only: the verifier imports this module on an auditor's machine.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

# The order is the compiled scan's kind numbering; add new kinds at the end.
KIND_NAMES = ("posting", "pending", "post_pending", "void_pending", "reversal", "adjustment",
              "period_close", "account_open", "key_rotation")
PUBLIC_KINDS = frozenset(
    {"posting", "pending", "post_pending", "void_pending", "reversal", "adjustment", "period_close"}
)
INTERNAL_KINDS = frozenset({"account_open", "key_rotation"})  # written by the ledger itself
POSTED_KINDS = frozenset({"posting", "post_pending", "reversal", "adjustment"})  # move posted balances
RESOLVING_KINDS = frozenset({"post_pending", "void_pending"})
KINDS_WITHOUT_POSTINGS = frozenset({"period_close", "account_open", "key_rotation"})
KINDS_NEEDING_POSTINGS = frozenset({"posting", "pending", "adjustment"})  # the others may derive theirs
# What each referring kind may refer to; every other kind takes no reference.
REFERABLE_KINDS: dict[str, frozenset[str]] = {
    "reversal": frozenset({"posting", "post_pending", "adjustment"}),
    "adjustment": frozenset({"posting", "post_pending", "adjustment", "reversal"}),
    "post_pending": frozenset({"pending"}),
    "void_pending": frozenset({"pending"}),
}
KINDS_NEEDING_REF = frozenset(REFERABLE_KINDS)
assert frozenset(KIND_NAMES) == PUBLIC_KINDS | INTERNAL_KINDS

NormalSide = Literal["debit", "credit"]
NORMAL_SIDES: tuple[NormalSide, ...] = ("debit", "credit")
Leg = tuple[str, str, int]  # (account path, asset code, amount minor: + debit, - credit)


def unbalanced_asset(legs: Iterable[Leg]) -> tuple[str, int] | None:
    """(asset, sum) of the first asset, in leg order, whose amounts do not sum to zero; None if all do."""
    sums: dict[str, int] = {}
    for _, asset, amount in legs:
        sums[asset] = sums.get(asset, 0) + amount
    return next(((asset, total) for asset, total in sums.items() if total != 0), None)


def expected_legs(kind: str, ref_legs: tuple[Leg, ...]) -> tuple[Leg, ...]:
    """The legs a reversal (exact negation) or a resolution (exact copy) of `ref_legs` must carry."""
    if kind == "reversal":
        return tuple((path, asset, -amount) for path, asset, amount in ref_legs)
    assert kind in RESOLVING_KINDS, f"a {kind} entry derives no legs"
    return ref_legs


def pending_direction(kind: str) -> int:
    """+1 when the kind adds pending movements, -1 when it resolves them, 0 otherwise."""
    return 1 if kind == "pending" else -1 if kind in RESOLVING_KINDS else 0


def move_balance(balance: list[int], kind: str, amount_minor: int) -> None:
    """Apply one leg to [posted, pending debits, pending credits] (posted is signed: + debit, - credit)."""
    if kind in POSTED_KINDS:
        balance[0] += amount_minor
    direction = pending_direction(kind)
    if direction:
        balance[1 if amount_minor > 0 else 2] += direction * abs(amount_minor)


def available_minor(normal_side: str, posted_minor: int, pending_debits_minor: int, pending_credits_minor: int) -> int:
    """Balance on the normal side, counting pending movements against it (TigerBeetle's rule)."""
    if normal_side == "debit":
        return posted_minor - pending_credits_minor
    return -posted_minor - pending_debits_minor
