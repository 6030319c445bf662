"""The embedded Ed25519 PDF signature verifies untouched files and rejects any change, key or truncation."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from invoicing.document import InvoiceHeader, InvoiceLine, TenantUsage, build_invoice_document
from invoicing.errors import SignatureInvalid, SigningKeyMissing
from invoicing.pdf import render_invoice_pdf
from invoicing.service import signed_invoice_pdf
from invoicing.signing import (
    generate_signing_key,
    key_id_of,
    load_public_key,
    load_signing_key,
    public_key_b64,
    public_key_pem,
    sign_pdf,
    verify_signed_pdf,
)


def _document(emissions: dict[str, int] | None) -> dict:
    header = InvoiceHeader("WL-000001", "WL", 1, "cycle:c:2026-01", "c", "2026-01", datetime(2026, 1, 1, tzinfo=UTC),
                           datetime(2026, 2, 1, tzinfo=UTC), "t1", "Tenant \u2014 One",
                           datetime(2026, 2, 2, tzinfo=UTC),
                           30, None)
    lines = [InvoiceLine(1, "Supply, on-peak", 1_000_000_000, Decimal("61.25"), 61_250_000_000, 1, "ab" * 32)]
    daily = {date(2026, 1, day): 30_000_000 + day * 1_000_000 for day in range(1, 32)}
    return build_invoice_document(header, lines, TenantUsage(daily, {"on-peak": 1_000_000_000}, emissions))


@pytest.fixture(scope="module")
def signed_pdf() -> tuple[bytes, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    return sign_pdf(render_invoice_pdf(_document({"scope2_location": 412_000_000}), "ef" * 32), key), key


def test_rendering_is_deterministic_for_one_document() -> None:
    """Two renders of the same document give identical bytes, so a re-render can be checked against the hash."""
    document = _document(None)
    assert render_invoice_pdf(document, "00" * 32) == render_invoice_pdf(document, "00" * 32)


def test_signed_pdf_verifies_with_the_signers_public_key(signed_pdf: tuple[bytes, Ed25519PrivateKey]) -> None:
    """The untouched file verifies; the check names the signer's key id and covers all but the signature line."""
    data, key = signed_pdf
    assert data.startswith(b"%PDF-")
    check = verify_signed_pdf(data, key.public_key(), "invoice.pdf")
    assert check.key_id == key_id_of(key.public_key())
    assert data[check.signed_bytes:].startswith(b"%WATTLEDGER-SIG v1 ed25519 key=")


def test_a_single_changed_byte_breaks_the_signature(signed_pdf: tuple[bytes, Ed25519PrivateKey]) -> None:
    """Flipping one byte in the body is detected."""
    data, key = signed_pdf
    tampered = bytearray(data)
    tampered[200] ^= 0x01
    with pytest.raises(SignatureInvalid, match="does not match"):
        verify_signed_pdf(bytes(tampered), key.public_key(), "invoice.pdf")


def test_another_key_and_a_stripped_signature_are_refused(signed_pdf: tuple[bytes, Ed25519PrivateKey]) -> None:
    """A different trusted key, a file without the signature line, and a garbled signature are all refused."""
    data, key = signed_pdf
    with pytest.raises(SignatureInvalid, match="trusted key"):
        verify_signed_pdf(data, Ed25519PrivateKey.generate().public_key(), "invoice.pdf")
    body = data[: data.rfind(b"%WATTLEDGER-SIG")]
    with pytest.raises(SignatureInvalid, match="no wattledger signature"):
        verify_signed_pdf(body, key.public_key(), "invoice.pdf")
    garbled = data[:-10] + b"!!!!!!!!!\n"
    with pytest.raises(SignatureInvalid):
        verify_signed_pdf(garbled, key.public_key(), "invoice.pdf")


def test_keys_round_trip_through_pem_files(tmp_path: Path) -> None:
    """A generated key loads back; its public half loads from the private or a public PEM; no overwrite."""
    path = tmp_path / "k.pem"
    key = generate_signing_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert key_id_of(load_signing_key(path).public_key()) == key_id_of(key.public_key())
    public_path = tmp_path / "k.pub.pem"
    public_path.write_bytes(public_key_pem(key.public_key()))
    assert key_id_of(load_public_key(public_path)) == key_id_of(key.public_key())
    with pytest.raises(FileExistsError):
        generate_signing_key(path)
    with pytest.raises(SigningKeyMissing):
        load_signing_key(tmp_path / "absent.pem")


def test_quantities_print_in_their_own_unit() -> None:
    """Energy in Wh prints as MWh, demand in W as kW, counts as counts (the settlement line's unit decides)."""
    from invoicing.pdf import quantity_text

    assert quantity_text(1_234_567_000, "MWh") == "1,234.567 MWh"
    assert quantity_text(2_500_000, "kW-month") == "2,500.000 kW"
    assert quantity_text(1, "month") == "1 month"


def _page_text(pdf_bytes: bytes) -> bytes:
    """The PDF's content streams, inflated (fpdf2 compresses them with zlib)."""
    return b"".join(zlib.decompress(stream) for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf_bytes,
                                                                      flags=re.DOTALL))


def test_an_issued_invoice_prints_the_key_that_checks_it(tmp_path: Path) -> None:
    """Whoever holds only the paper has the public key (the ledger's vkey ends with the same base64), and it is
    the key the embedded signature verifies with; a draft names no key."""
    key = Ed25519PrivateKey.generate()
    document = _document(None)
    pdf = signed_invoice_pdf(document, "ef" * 32, key)
    printed = public_key_b64(key).encode()
    assert printed in _page_text(pdf)
    assert base64.b64decode(printed) == key.public_key().public_bytes_raw()
    assert verify_signed_pdf(pdf, key.public_key(), "invoice.pdf").key_id == key_id_of(key.public_key())
    assert b"Signing key" not in _page_text(render_invoice_pdf(document, "ef" * 32, draft=True))
