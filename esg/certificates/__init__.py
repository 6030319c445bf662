"""Energy attribute certificates (RECs, GOs, hourly GCs, PPA attributes): lots, claims that retire their Wh once,
and the registry rules that refuse a double claim (in memory and in the database)."""

from esg.certificates.model import CertificateClaim, CertificateLot, CertificateRegistry
from esg.certificates.service import claim_certificate, claims_overlapping, register_certificate_lot

__all__ = [
    "CertificateClaim",
    "CertificateLot",
    "CertificateRegistry",
    "claim_certificate",
    "claims_overlapping",
    "register_certificate_lot",
]
