"""Mutual TLS between the worker, the API, the CLI and a Temporal cluster.

Whoever reaches the Temporal port can cancel or terminate workflows, so in production the port speaks TLS and
asks every client for a certificate its client CA signed. The settings name the files
(`WATTLEDGER_TEMPORAL_TLS_CA_PATH`, `_CERT_PATH`, `_KEY_PATH`, `_SERVER_NAME`); `issue_certificates` makes a
private CA and the server and client certificates for a deployment that has no PKI of its own
(`wattledger tls init`). The embedded dev server speaks plain gRPC on loopback only, so TLS settings without
`WATTLEDGER_TEMPORAL_ADDRESS` are an error rather than silently ignored.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from temporalio.service import TLSConfig

from settings import Settings

# Long enough that a campus does not rotate by surprise mid-year, short enough that a lost key expires.
CERTIFICATE_LIFETIME = timedelta(days=825)
CA_LIFETIME = timedelta(days=3650)
CLIENT_NAMES = ("worker", "api", "ui", "cli")


class TemporalTlsError(ValueError):
    """TLS settings that cannot work: a missing file, a certificate without its key, TLS for the dev server."""


def temporal_tls(settings: Settings) -> TLSConfig | bool:
    """The client's TLS configuration, or False (plain gRPC) when no TLS setting is given."""
    paths = {"CA": settings.temporal_tls_ca_path, "CERT": settings.temporal_tls_cert_path,
             "KEY": settings.temporal_tls_key_path}
    if not any(paths.values()) and settings.temporal_tls_server_name is None:
        return False
    if settings.temporal_address is None:
        raise TemporalTlsError("WATTLEDGER_TEMPORAL_TLS_* settings need WATTLEDGER_TEMPORAL_ADDRESS: the embedded "
                               "dev server speaks plain gRPC on loopback")
    if (paths["CERT"] is None) != (paths["KEY"] is None):
        raise TemporalTlsError("WATTLEDGER_TEMPORAL_TLS_CERT_PATH and _KEY_PATH go together (mutual TLS)")
    contents = {name: _read(name, path) for name, path in paths.items() if path is not None}
    return TLSConfig(server_root_ca_cert=contents.get("CA"), client_cert=contents.get("CERT"),
                     client_private_key=contents.get("KEY"), domain=settings.temporal_tls_server_name)


def _read(name: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise TemporalTlsError(f"WATTLEDGER_TEMPORAL_TLS_{name}_PATH {path}: {error.strerror}") from error


@dataclass(frozen=True)
class IssuedFiles:
    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_certs: dict[str, tuple[Path, Path]]


def issue_certificates(directory: Path, server_names: list[str], client_names: tuple[str, ...] = CLIENT_NAMES,
                       now_utc: datetime | None = None) -> IssuedFiles:
    """A private CA (`ca.pem`, `ca-key.pem`), a server certificate for `server_names` (DNS names or IP
    addresses; `temporal.pem`, `temporal-key.pem`) and one client certificate per name (`<name>.pem`,
    `<name>-key.pem`). Keys are written 0600; existing files are never overwritten."""
    if not server_names:
        raise TemporalTlsError("name the Temporal server at least once (its DNS name or IP address)")
    directory.mkdir(parents=True, exist_ok=True)
    taken = [name for name in ("ca.pem", "temporal.pem", *(f"{c}.pem" for c in client_names))
             if (directory / name).exists()]
    if taken:
        raise TemporalTlsError(f"{directory} already holds {', '.join(taken)}: choose an empty folder")
    start = (now_utc or datetime.now(UTC)) - timedelta(minutes=5)  # a little clock skew between machines
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wattledger Temporal CA")])
    ca_cert = (_builder(ca_name, ca_name, ca_key.public_key(), start, CA_LIFETIME)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                            content_commitment=False, key_encipherment=False, data_encipherment=False,
                                            key_agreement=False, encipher_only=False, decipher_only=False),
                              critical=True)
               .sign(ca_key, hashes.SHA256()))
    _write(directory / "ca.pem", ca_cert.public_bytes(serialization.Encoding.PEM), private=False)
    _write(directory / "ca-key.pem", _pem_key(ca_key), private=True)
    # Client use too: Temporal's own services present the server certificate to each other (internode TLS).
    server_usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    server_cert, server_key = _leaf(ca_cert, ca_key, server_names[0], server_usages, start,
                                    x509.SubjectAlternativeName([_general_name(name) for name in server_names]))
    clients = {name: _leaf(ca_cert, ca_key, name, [ExtendedKeyUsageOID.CLIENT_AUTH], start, None)
               for name in client_names}
    return IssuedFiles(
        ca_cert=directory / "ca.pem",
        server_cert=_write_pair(directory, "temporal", server_cert, server_key)[0],
        server_key=directory / "temporal-key.pem",
        client_certs={name: _write_pair(directory, name, cert, key) for name, (cert, key) in clients.items()},
    )


def _builder(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, start: datetime,
             lifetime: timedelta) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(start + lifetime))


def _leaf(ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, common_name: str,
          usages: list[x509.ObjectIdentifier], start: datetime,
          names: x509.SubjectAlternativeName | None) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (_builder(subject, ca_cert.subject, key.public_key(), start, CERTIFICATE_LIFETIME)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage(usages), critical=False))
    if names is not None:
        builder = builder.add_extension(names, critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write_pair(directory: Path, name: str, cert: x509.Certificate,
                key: ec.EllipticCurvePrivateKey) -> tuple[Path, Path]:
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}-key.pem"
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), private=False)
    _write(key_path, _pem_key(key), private=True)
    return cert_path, key_path


def _write(path: Path, content: bytes, *, private: bool) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
