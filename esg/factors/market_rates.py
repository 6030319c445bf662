"""The market-rate library: supplier-specific rates, residual mixes and grid upstream factors, as versioned rows.

Market-based Scope 2 needs, below the contractual instruments, a supplier-specific rate or a residual mix (Scope 2
Guidance, Table 6.3); Scope 3 category 3 B needs an upstream factor of grid power. None of them is in the
published factor files, so each enters as one row with its provenance: who published it (`source`), which
publication (`edition`) and the dates it is valid for, `[valid_from, valid_to)`. A row is never changed: the same
id with other content is refused, and a revision is a new id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from common import canonical_json
from common.errors import Conflict
from esg.errors import EmissionsInputInvalid

KINDS = ("supplier", "residual_mix", "grid_upstream")
RATE_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.:/-]{0,126}$")
G_CO2E_PER_MWH_MAX = Decimal(10_000_000)
"""10 t per MWh: above any electricity rate (lignite is about 1.1 t)."""
TEXT_LENGTH_MAX = 500


class MarketRateConflict(Conflict):
    """A rate id already registered with other content: rows are never overwritten."""

    def __init__(self, rate_id: str) -> None:
        super().__init__(f"market rate {rate_id} is already registered with different content")


@dataclass(frozen=True)
class MarketRateRow:
    """One published rate (grams CO2e per MWh) for `zone`, valid over `[valid_from, valid_to)`."""

    rate_id: str
    kind: str
    zone: str
    g_co2e_per_mwh: Decimal
    source: str
    edition: str
    valid_from: date
    valid_to: date | None = None
    supplier: str | None = None
    note: str = ""

    @property
    def ref(self) -> str:
        """The name in `factor_refs`: the row and the publication it comes from."""
        return f"market-rate/{self.rate_id}@{self.edition}"

    def covers_period(self, period_start_utc: datetime, period_end_utc: datetime) -> bool:
        """Valid on every UTC day the period touches."""
        last_day = (period_end_utc - timedelta(microseconds=1)).date()
        return self.valid_from <= period_start_utc.date() and (self.valid_to is None or last_day < self.valid_to)

    def validity_text(self) -> str:
        return f"{self.valid_from.isoformat()} to {self.valid_to.isoformat() if self.valid_to else 'open'}"

    def content(self) -> dict[str, str]:
        return {
            "rate_id": self.rate_id, "kind": self.kind, "zone": self.zone,
            "g_co2e_per_mwh": format(self.g_co2e_per_mwh.normalize(), "f"), "source": self.source,
            "edition": self.edition, "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else "", "supplier": self.supplier or "",
            "note": self.note,
        }

    def content_sha256(self) -> str:
        return canonical_json.sha256_hex(self.content())


def market_rate_from_json(item: Mapping[str, Any], where: str = "market rate") -> MarketRateRow:
    """A row from JSON (a file's item or an API body); a bad field raises `EmissionsInputInvalid` naming it."""
    if not isinstance(item, Mapping):
        raise EmissionsInputInvalid(where, None, None, "a market rate is a JSON object")
    unknown = sorted(set(item) - {"rate_id", "kind", "zone", "g_co2e_per_mwh", "source", "edition", "valid_from",
                                  "valid_to", "supplier", "note"})
    if unknown:
        raise EmissionsInputInvalid(where, None, unknown[0], "unknown field")
    rate_id = _text(item, "rate_id", where)
    if not RATE_ID_PATTERN.match(rate_id):
        raise EmissionsInputInvalid(where, None, "rate_id", f"{rate_id!r} is not lower-case letters, digits, "
                                                            "'_.:/-' (at most 127)")
    kind = _text(item, "kind", where)
    if kind not in KINDS:
        raise EmissionsInputInvalid(where, None, "kind", f"{kind!r} not in {KINDS}")
    rate = _decimal(item.get("g_co2e_per_mwh"), where)
    valid_from = _day(item.get("valid_from"), "valid_from", where)
    valid_to = None if item.get("valid_to") in (None, "") else _day(item.get("valid_to"), "valid_to", where)
    if valid_to is not None and valid_to <= valid_from:
        raise EmissionsInputInvalid(where, None, "valid_to", f"{valid_to} is not after valid_from {valid_from}")
    supplier = item.get("supplier")
    if kind == "supplier" and not supplier:
        raise EmissionsInputInvalid(where, None, "supplier", "a supplier rate names its supplier")
    return MarketRateRow(
        rate_id, kind, _text(item, "zone", where), rate, _text(item, "source", where), _text(item, "edition", where),
        valid_from, valid_to, str(supplier) if supplier else None,
        str(item.get("note") or "")[:TEXT_LENGTH_MAX],
    )


def select_rate(rows: Iterable[MarketRateRow], kind: str, zone: str, period: tuple[datetime, datetime],
                rate_id: str | None = None, where: str = "esg") -> MarketRateRow | None:
    """The row the campus file names (`rate_id`: it must exist, be of `kind` and cover the period), or else the
    newest row of `kind` for `zone` that covers the period (None when there is none)."""
    candidates = list(rows)
    if rate_id is not None:
        named = next((row for row in candidates if row.rate_id == rate_id), None)
        if named is None:
            raise EmissionsInputInvalid(where, None, kind, f"no market rate {rate_id!r} is registered")
        if named.kind != kind:
            raise EmissionsInputInvalid(where, None, kind, f"market rate {rate_id} is a {named.kind} rate")
        if not named.covers_period(*period):
            raise EmissionsInputInvalid(
                where, None, kind, f"market rate {rate_id} is valid {named.validity_text()}, which does not cover "
                                   f"{period[0].isoformat()} to {period[1].isoformat()}")
        return named
    covering = [row for row in candidates if row.kind == kind and row.zone == zone and row.covers_period(*period)]
    return max(covering, key=lambda row: (row.valid_from, row.rate_id), default=None)


def _text(item: Mapping[str, Any], name: str, where: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value.strip():
        raise EmissionsInputInvalid(where, None, name, "a non-empty string is required")
    if len(value) > TEXT_LENGTH_MAX:
        raise EmissionsInputInvalid(where, None, name, f"longer than {TEXT_LENGTH_MAX} characters")
    return value


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise EmissionsInputInvalid(where, None, "g_co2e_per_mwh", "a decimal number (as a string or integer)")
    try:
        rate = Decimal(value)
    except InvalidOperation:
        raise EmissionsInputInvalid(where, None, "g_co2e_per_mwh", f"{value!r} is not a number") from None
    if not rate.is_finite() or rate < 0 or rate > G_CO2E_PER_MWH_MAX:
        raise EmissionsInputInvalid(where, None, "g_co2e_per_mwh", f"{value} is not in 0..{G_CO2E_PER_MWH_MAX}")
    return rate


def _day(value: Any, name: str, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise EmissionsInputInvalid(where, None, name, f"{value!r} is not a date (YYYY-MM-DD)") from None
