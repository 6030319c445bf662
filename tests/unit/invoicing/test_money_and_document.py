"""Invoice money rounds once, half-even, from exact micro-USD; documents hash the same way every time."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.canonical_json import canonical_bytes as canonical_document_bytes
from common.canonical_json import sha256_hex as document_sha256_hex
from invoicing.document import (
    InvoiceHeader,
    InvoiceLine,
    TenantUsage,
    build_invoice_document,
    utc_text,
)
from invoicing.money import format_usd_cents, invoice_rounding, usd_cents_from_micros


def test_half_cent_ties_round_to_the_even_cent() -> None:
    """0.5 cent goes down to 0, 1.5 up to 2, 2.5 down to 2; -2.5 to -2; just above a tie goes up."""
    assert [usd_cents_from_micros(m, "ROUND_HALF_EVEN") for m in (5_000, 15_000, 25_000, -25_000, 25_001)] == [
        0, 2, 2, -2, 3]


def test_display_formats_cents_with_thousands_and_sign() -> None:
    """Integers print as dollars and cents without float conversion."""
    assert [format_usd_cents(c) for c in (0, 5, -5, 123_456_789)] == ["0.00", "0.05", "-0.05", "1,234,567.89"]


def test_rounding_adjustment_is_printed_when_line_cents_do_not_add_up() -> None:
    """Three lines of 0.4 cent each: every line shows 0 cents, the total 1 cent, so the adjustment is 1 cent."""
    assert invoice_rounding([4_000, 4_000, 4_000]) == ([0, 0, 0], 1, 1)


@given(st.lists(st.integers(min_value=-10**15, max_value=10**15), min_size=1, max_size=20))
def test_lines_plus_adjustment_always_equal_the_total(amounts: list[int]) -> None:
    """For any micro-USD lines the printed line cents plus the adjustment equal the total rounded from the sum."""
    line_cents, total_cents, adjustment_cents = invoice_rounding(amounts)
    assert sum(line_cents) + adjustment_cents == total_cents
    assert abs(total_cents * 10_000 - sum(amounts)) <= 5_000


def _header(issued_at_utc: datetime) -> InvoiceHeader:
    return InvoiceHeader("WL-000007", "WL", 7, "cycle:c:2026-01", "c", "2026-01", datetime(2026, 1, 1, tzinfo=UTC),
                         datetime(2026, 2, 1, tzinfo=UTC), "t1", "Tenant One", issued_at_utc, 30, None)


LINES = [InvoiceLine(2, "Grid pass-through", 500_000, Decimal("40.5"), 20_250_000, None, "cd" * 32),
         InvoiceLine(1, "Supply", 1_000_000, Decimal("61.250000"), 61_250_000, 3, "ab" * 32)]


def test_document_orders_lines_states_rounding_and_due_date() -> None:
    """Lines are sorted by line number, rates are decimal strings, due date is issue date + 30 days."""
    document = build_invoice_document(_header(datetime(2026, 2, 3, 12, tzinfo=UTC)), LINES,
                                      TenantUsage({date(2026, 1, 2): 7, date(2026, 1, 1): 5}, {"peak": 3}, None))
    assert [line["line_no"] for line in document["lines"]] == [1, 2]
    assert [line["rate_usd_per_unit"] for line in document["lines"]] == ["61.250000", "40.5"]
    assert [line["unit"] for line in document["lines"]] == ["MWh", "MWh"]
    assert document["total_usd_cents"] == 8_150  # 81.50 USD from 81,500,000 micro-USD
    assert document["rounding"]["mode"] == "ROUND_HALF_EVEN"
    assert document["due_date"] == "2026-03-05"
    assert list(document["daily_energy_wh"]) == ["2026-01-01", "2026-01-02"]
    assert document["emissions_g_co2e"] is None


def test_canonical_bytes_are_sorted_compact_json_and_hash_with_sha256() -> None:
    """RFC 8785: keys sorted, no spaces, non-ASCII as raw UTF-8; the hash is sha256 of exactly those bytes.

    The expected digest was computed outside Python (`printf '%s' '{"a":[2,"x"],"b":1,"é":"€"}' | sha256sum`), so a
    change to the canonical form or the hash breaks this test rather than moving both sides together."""
    document = {"é": "€", "b": 1, "a": [2, "x"]}
    assert canonical_document_bytes(document) == '{"a":[2,"x"],"b":1,"é":"€"}'.encode()
    assert document_sha256_hex(document) == "4e8255e41de1d698903ade4da8249e776d82a0699ec2c9fb79899b84beee5da3"
    invoice = build_invoice_document(_header(datetime(2026, 2, 3, tzinfo=UTC)), LINES, TenantUsage({}, {}, None))
    assert document_sha256_hex(invoice) == hashlib.sha256(canonical_document_bytes(invoice)).hexdigest()


def test_utc_text_normalises_offsets_and_refuses_naive_times() -> None:
    """An aware time in another zone prints as the same instant in UTC; a naive time is a programming error."""
    eastern = timezone(timedelta(hours=-5))
    assert utc_text(datetime(2026, 1, 1, 19, tzinfo=eastern)) == "2026-01-02T00:00:00.000000Z"
    with pytest.raises(AssertionError):
        utc_text(datetime(2026, 1, 1))
