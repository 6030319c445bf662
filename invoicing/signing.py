"""Ed25519 signatures carried inside invoice PDFs.

Scheme `wattledger-pdf-ed25519-v1`. A signed PDF is the unsigned PDF (which ends with `%%EOF\\n`)
followed by one PDF comment line:

    %WATTLEDGER-SIG v1 ed25519 key=<key id> sig=<base64 signature>\\n

The signature covers every byte before that line. The key id is the first 16 hex digits of the
sha256 of the raw 32-byte public key. A PDF comment after `%%EOF` is ignored by PDF readers, so the
document still opens everywhere. Verifying takes the trusted public key from the verifier, never from the
file: the key id in the file only says which key the signer claims to have used.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from invoicing.errors import SignatureInvalid, SigningKeyMissing
from ledger import create_signing_key

SIGNATURE_MARKER = b"%WATTLEDGER-SIG v1 ed25519 "
# The signature line is short; looking at the last 512 bytes bounds the search on large files.
SIGNATURE_LINE_BYTES_MAX = 512


@dataclass(frozen=True)
class SignatureCheck:
    key_id: str
    signed_bytes: int
    signed_sha256_hex: str


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_b64(key: Ed25519PrivateKey) -> str:
    """The raw 32-byte public key in base64, as printed on documents. (The ledger's vkey carries the same key as
    base64 of 0x01 followed by these bytes: docs/ledger-spec.md, 6.3.)"""
    return base64.b64encode(key.public_key().public_bytes_raw()).decode()


def generate_signing_key(path: Path) -> Ed25519PrivateKey:
    """Create an Ed25519 key as unencrypted PKCS#8 PEM, readable by its owner only; never overwrites.

    One key-file format for the ledger's checkpoints and the invoices: the ledger's writer makes both.
    """

    return create_signing_key(path)


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    if not path.is_file():
        raise SigningKeyMissing(str(path))
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyMissing(f"{path} (not an Ed25519 private key)")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Read a PEM public key, or the public half of a PEM private key."""
    if not path.is_file():
        raise SigningKeyMissing(str(path))
    pem = path.read_bytes()
    if b"PRIVATE KEY" in pem:
        return load_signing_key(path).public_key()
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyMissing(f"{path} (not an Ed25519 public key)")
    return key


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def sign_pdf(pdf_bytes: bytes, key: Ed25519PrivateKey) -> bytes:
    """Append the signature line to an unsigned PDF."""
    assert pdf_bytes.rstrip().endswith(b"%%EOF"), "not a complete PDF"
    body = pdf_bytes if pdf_bytes.endswith(b"\n") else pdf_bytes + b"\n"
    signature = base64.b64encode(key.sign(body))
    key_id = key_id_of(key.public_key()).encode()
    return body + SIGNATURE_MARKER + b"key=" + key_id + b" sig=" + signature + b"\n"


def verify_signed_pdf(signed_bytes: bytes, trusted_key: Ed25519PublicKey, source: str) -> SignatureCheck:
    """Check the embedded signature against `trusted_key`; raise `SignatureInvalid` on any mismatch."""
    body, key_id, signature = _split_signature(signed_bytes, source)
    trusted_key_id = key_id_of(trusted_key)
    if key_id != trusted_key_id:
        raise SignatureInvalid(source, f"signed with key {key_id}, trusted key is {trusted_key_id}")
    try:
        trusted_key.verify(signature, body)
    except InvalidSignature as error:
        raise SignatureInvalid(source, "signature does not match the document bytes") from error
    return SignatureCheck(key_id, len(body), hashlib.sha256(body).hexdigest())


def _split_signature(signed_bytes: bytes, source: str) -> tuple[bytes, str, bytes]:
    if not signed_bytes.endswith(b"\n"):
        raise SignatureInvalid(source, "no signature line at the end of the file")
    start = signed_bytes.rfind(b"\n", max(0, len(signed_bytes) - SIGNATURE_LINE_BYTES_MAX), len(signed_bytes) - 1)
    line = signed_bytes[start + 1 : -1]
    if start < 0 or not line.startswith(SIGNATURE_MARKER):
        raise SignatureInvalid(source, "no wattledger signature line at the end of the file")
    fields = dict(part.split(b"=", 1) for part in line[len(SIGNATURE_MARKER) :].split(b" ") if b"=" in part)
    if set(fields) != {b"key", b"sig"}:
        raise SignatureInvalid(source, "malformed signature line")
    try:
        signature = base64.b64decode(fields[b"sig"], validate=True)
    except binascii.Error as error:
        raise SignatureInvalid(source, "signature is not base64") from error
    return signed_bytes[: start + 1], fields[b"key"].decode("ascii", "replace"), signature
