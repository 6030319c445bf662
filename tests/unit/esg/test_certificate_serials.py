"""Certificate lots and their serial ranges, and the calculation's own over-claim check (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.errors import Conflict
from esg.certificates import CertificateClaim, CertificateLot, CertificateRegistry, check_claims_within_lots
from esg.errors import CertificateOverclaimed, CertificateSerialsOverlap, EmissionsInputInvalid

START = datetime(2025, 7, 1, tzinfo=UTC)
END = START + timedelta(days=31)


def lot(lot_id: str, first: int, last: int, registry: str = "M-RETS", prefix: str = "TX-1") -> CertificateLot:
    return CertificateLot(lot_id, "REC", "wind", "ERCT", START, END, (last - first + 1) * 1_000_000, 0, registry,
                          serial_start=first, serial_end=last, serial_prefix=prefix, location="US-TX")


def claim(claim_id: str, lot_id: str, energy_wh: int) -> CertificateClaim:
    return CertificateClaim(claim_id, lot_id, "tenant:alpha", energy_wh, START, END)


@pytest.mark.parametrize(("first", "last", "overlaps"), [
    (1, 10, True), (10, 12, True), (5, 5, True), (0, 0, False), (11, 20, False),
])
def test_serial_ranges_overlap_only_on_a_shared_serial_of_the_same_registry_and_prefix(first, last, overlaps):
    """Lot 1-10 against another range: inclusive ends count; other registry or prefix never overlaps."""
    registered = lot("a", 1, 10)
    assert registered.serials_overlap(lot("b", first, last)) is overlaps
    assert not registered.serials_overlap(lot("c", first, last, registry="NYGATS"))
    assert not registered.serials_overlap(lot("d", first, last, prefix="TX-2"))


def test_the_in_memory_registry_refuses_an_overlap_naming_both_lots():
    registry = CertificateRegistry()
    registry.register_lot(lot("first", 100, 199))
    with pytest.raises(CertificateSerialsOverlap, match=r"second .*TX-1-150 to TX-1-250.*first .*TX-1-100 to TX-1-199"):
        registry.register_lot(lot("second", 150, 250))


def test_a_lot_whose_serials_do_not_hold_its_wh_or_run_backwards_is_refused():
    with pytest.raises(EmissionsInputInvalid, match="energy_wh.*2 x 1000000 Wh"):
        CertificateLot("x", "REC", "wind", "ERCT", START, END, 3_000_000, 0, "M-RETS", serial_start=1,
                       serial_end=2, location="US-TX")
    with pytest.raises(EmissionsInputInvalid, match="serial_end"):
        CertificateLot("y", "REC", "wind", "ERCT", START, END, 1_000_000, 0, "M-RETS", serial_start=5,
                       serial_end=4, location="US-TX")
    with pytest.raises(EmissionsInputInvalid, match="both start and end"):
        CertificateLot("z", "REC", "wind", "ERCT", START, END, 1_000_000, 0, "M-RETS", serial_start=5)


def test_claims_handed_to_the_calculation_never_exceed_their_lot():
    """2 MWh lot: 1.5 + 0.5 MWh pass; 1.5 + 0.6 MWh fail naming the total; a claim twice fails; a lot id with two
    contents fails."""
    two = lot("two", 1, 2)
    check_claims_within_lots([(two, claim("c1", "two", 1_500_000)), (two, claim("c2", "two", 500_000))])
    with pytest.raises(CertificateOverclaimed, match="claim of 2100000 Wh exceeds the 2000000 Wh"):
        check_claims_within_lots([(two, claim("c1", "two", 1_500_000)), (two, claim("c2", "two", 600_000))])
    with pytest.raises(Conflict, match="given twice"):
        check_claims_within_lots([(two, claim("c1", "two", 1)), (two, claim("c1", "two", 1))])
    with pytest.raises(Conflict, match="different attributes"):
        check_claims_within_lots([(two, claim("c1", "two", 1)), (lot("two", 1, 3), claim("c2", "two", 1))])
