"""Energy attribute certificates (RECs, GOs, hourly GCs, PPA attributes): lots, claims that retire their Wh once,
and the registry rules that refuse a double claim (in memory and in the database)."""

from esg.certificates.model import (
    CertificateClaim,
    CertificateLot,
    CertificateRegistry,
    check_claims_within_lots,
)
from esg.certificates.service import (
    certificate_lots,
    claim_certificate,
    claims_overlapping,
    register_certificate_lot,
    retirement_key,
)

__all__ = [
    "CertificateClaim",
    "CertificateLot",
    "CertificateRegistry",
    "certificate_lots",
    "check_claims_within_lots",
    "claim_certificate",
    "claims_overlapping",
    "register_certificate_lot",
    "retirement_key",
]
