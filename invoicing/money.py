"""Micro-USD to cents: the one place an invoice rounds money.

An invoice keeps every line in exact integer micro-USD and rounds to cents only at the end. The mode is
ROUND_HALF_EVEN (banker's rounding): over many invoices its half-cent ties go up as often as down, so
rounding adds no systematic bias to a tenant's account.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

USD_MICROS_PER_CENT = 10_000
ROUNDING_MODE_NAME = "ROUND_HALF_EVEN"


def usd_cents_from_micros(amount_usd_micros: int, rounding: str) -> int:
    """Round an exact micro-USD amount to whole cents with the named `decimal` rounding mode."""
    assert isinstance(amount_usd_micros, int) and not isinstance(amount_usd_micros, bool)
    exact_cents = Decimal(amount_usd_micros) / Decimal(USD_MICROS_PER_CENT)
    return int(exact_cents.quantize(Decimal(1), rounding=rounding))


def format_usd_cents(amount_usd_cents: int) -> str:
    """`123456` -> `"1,234.56"`, `-5` -> `"-0.05"`: display only, exact because it works on integers."""
    sign = "-" if amount_usd_cents < 0 else ""
    dollars, cents = divmod(abs(amount_usd_cents), 100)
    return f"{sign}{dollars:,}.{cents:02d}"


def invoice_rounding(line_amounts_usd_micros: list[int]) -> tuple[list[int], int, int]:
    """Line cents, total cents and the rounding adjustment that makes the printed lines add up.

    The total is the exact micro-USD sum rounded once (half-even). Each line is also shown in cents,
    rounded half-even on its own; when those line cents do not add up to the total, the difference is
    printed as an explicit "rounding adjustment" rather than silently moved into a line.
    """
    line_usd_cents = [usd_cents_from_micros(amount, ROUND_HALF_EVEN) for amount in line_amounts_usd_micros]
    total_usd_cents = usd_cents_from_micros(sum(line_amounts_usd_micros), ROUND_HALF_EVEN)
    adjustment_usd_cents = total_usd_cents - sum(line_usd_cents)
    return line_usd_cents, total_usd_cents, adjustment_usd_cents
