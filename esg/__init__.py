"""Emissions accounting, one subpackage per capability; each names its public names in its `__all__`.

- `esg.factors`: the versioned emission factor library, fuel combustion, hourly grid intensity, units.
- `esg.certificates`: energy attribute certificates (lots and claims) and the registry that refuses double claims.
- `esg.scopes`: Scope 1/2/3 per campus and tenant for a billing cycle (location- and market-based, hourly rules,
  allocation, shared services, Scope 3 category 3, CFE, avoided emissions) and the carbon ledger legs.
- `esg.reporting`: tenant statements, campus reports, exports, evidence packages, stored versions, restatements.
- `esg.errors`: the errors all of them raise.

Dependencies point one way: reporting -> scopes -> (factors, certificates) -> errors. Each subpackage keeps its
SQL in its own `repository` module.
"""

from esg import certificates, errors, factors, reporting, scopes

__all__ = ["certificates", "errors", "factors", "reporting", "scopes"]
