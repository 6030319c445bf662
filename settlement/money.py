"""The one rounding rule of settlement, written down.

Every line amount is computed exactly in Decimal and rounded ONCE, per line, to integer micro-USD with
ROUND_HALF_EVEN (banker's rounding: no upward drift over many lines). The lines of one split pool are rounded
together instead: the pool's exact amount is rounded once and apportioned by largest remainder, so they add up
to it (`pool_energy_amounts_usd_micros`). Invoices round the sum of a tenant's
lines to cents at the very end (invoicing's job), never line by line.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from settlement.allocation import apportion_exact

MICROS_PER_USD = 1_000_000
WH_PER_MWH = 1_000_000


def energy_amount_usd_micros(energy_wh: int, price_usd_per_mwh: Decimal) -> int:
    """Wh x USD/MWh -> micro-USD. Wh -> MWh divides by 10**6 and USD -> micro-USD multiplies by 10**6: they cancel."""
    with localcontext() as context:
        context.prec = 60  # exact for any bigint Wh times numeric(18,6) price
        exact = Decimal(energy_wh) * price_usd_per_mwh
        return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def usd_to_micros(amount_usd: Decimal) -> int:
    """An exact USD amount -> integer micro-USD, ROUND_HALF_EVEN."""
    with localcontext() as context:
        context.prec = 60
        return int((amount_usd * MICROS_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def micros_to_usd_text(amount_usd_micros: int) -> str:
    """Display form with six decimals (exact: no rounding happens here)."""
    return str(Decimal(amount_usd_micros).scaleb(-6).quantize(Decimal("0.000001")))


def pool_energy_amounts_usd_micros(energy_wh: Sequence[int], prices_usd_per_mwh: Sequence[Decimal]) -> list[int]:
    """The money of one split energy pool: each part's Wh x its price, exact, apportioned so the parts add up to
    the pool's exact amount rounded ONCE (ROUND_HALF_EVEN), not to the sum of parts rounded one by one (which
    can differ from it by up to a micro-dollar per part). Each part is within a micro-dollar of its exact
    amount; ties go to the lowest index (`settlement.allocation`)."""
    with localcontext() as context:
        context.prec = 60  # exact for any bigint Wh times numeric(18,6) price
        exact = [Decimal(wh) * price for wh, price in zip(energy_wh, prices_usd_per_mwh, strict=True)]
    return apportion_exact(exact)
