"""Two transactions claiming the same certificate Wh at the same moment: the lot lock lets exactly one win."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from esg.certificates import CertificateClaim, CertificateLot, claim_certificate, register_certificate_lot
from esg.errors import CertificateOverclaimed

START = datetime(2025, 7, 1, tzinfo=UTC)


def test_concurrent_claims_on_one_lot_cannot_both_succeed(engine, campus_id, tmp_path):
    """Lot of 1,000 Wh; two threads each claim 600 Wh, both waiting on a barrier first; one gets CertificateOverclaimed."""
    lot_id = f"{campus_id}-race"
    with engine.begin() as conn:
        register_certificate_lot(
            conn,
            CertificateLot(lot_id, "GC", "wind", "ERCT", START, START + timedelta(hours=1), 1000, 0, "test",
                           serial_start=1, serial_end=1000, serial_prefix=lot_id, certificate_wh=1,
                           location="US-TX"),
        )
    from ledger import create_signing_key

    key_path = tmp_path / "ledger-ed25519.pem"
    create_signing_key(key_path)
    barrier = threading.Barrier(2, timeout=30)
    outcomes: list[str] = []

    def claim(name: str) -> None:
        request = CertificateClaim(
            f"{lot_id}-{name}", lot_id, f"tenant:{name}", 600, START, START + timedelta(hours=1)
        )
        try:
            with engine.begin() as conn:
                barrier.wait()
                claim_certificate(conn, campus_id, request, f"test.esg/{campus_id}", key_path)
            outcomes.append("claimed")
        except CertificateOverclaimed:
            outcomes.append("refused")

    threads = [threading.Thread(target=claim, args=(name,)) for name in ("alpha", "beta")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["claimed", "refused"]
