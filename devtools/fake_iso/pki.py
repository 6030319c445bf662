"""A throwaway certificate authority for the fake ISO: server and client certificates on loopback.

NYISO wants a NAESB client certificate on every call; the fake asks for one signed by this CA, so tests
exercise the real mutual-TLS path. Keys are EC P-256 and live for one day.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = timedelta(days=1)


@dataclass(frozen=True)
class TestPki:
    ca_cert_path: Path
    server_cert_path: Path
    server_key_path: Path
    client_cert_path: Path
    client_key_path: Path


def make_test_pki(folder: Path, client_name: str) -> TestPki:
    """Write a CA, a server certificate for 127.0.0.1/localhost and a client certificate for `client_name`."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wattledger fake ISO test CA")])
    ca_cert = _builder(ca_name, ca_name, ca_key).add_extension(
        x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256())
    server_key = ec.generate_private_key(ec.SECP256R1())
    names = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    server_cert = (_builder(_cn("127.0.0.1"), ca_name, server_key).add_extension(names, critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .sign(ca_key, hashes.SHA256()))
    client_key = ec.generate_private_key(ec.SECP256R1())
    client_cert = (_builder(_cn(client_name), ca_name, client_key)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                   .sign(ca_key, hashes.SHA256()))
    pki = TestPki(folder / "ca.pem", folder / "server.pem", folder / "server.key", folder / "client.pem",
                  folder / "client.key")
    pki.ca_cert_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    pki.server_cert_path.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    pki.client_cert_path.write_bytes(client_cert.public_bytes(serialization.Encoding.PEM))
    pki.server_key_path.write_bytes(_key_pem(server_key))
    pki.client_key_path.write_bytes(_key_pem(client_key))
    return pki


def _cn(name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])


def _builder(subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + VALIDITY))


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
