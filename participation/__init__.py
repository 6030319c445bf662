"""Shadow market participation: what a campus would have earned (and cost its tenants) by exporting surplus and
responding to its ISO, from the same metered data its invoices used, under explicit guardrails.

Plain functions only: customer baselines (`baselines`), coincident-peak charges (`coincident_peak`), export value
(`exports`), the guardrail rules (`guardrails`), the period's run (`shadow`, from the `rules` of the campus file),
its document and memo ledger entry (`document`), its report (`report`) and the ISO registration package
(`registration`).
"""

from participation.baselines import BaselineResult, PjmCblParameters, pjm_customer_baseline
from participation.coincident_peak import (
    CoincidentPeakCharge,
    CoincidentPeakMethod,
    coincident_peak_avoidance_usd_micros,
    coincident_peak_charge,
)
from participation.exports import ExportInterval, ExportResult, export_value
from participation.guardrails import (
    Generator,
    ResponsePlan,
    ResponseRequest,
    SiteLimits,
    TenantService,
    Verdict,
    plan_response,
)

__all__ = [
    "BaselineResult",
    "CoincidentPeakCharge",
    "CoincidentPeakMethod",
    "ExportInterval",
    "ExportResult",
    "Generator",
    "PjmCblParameters",
    "ResponsePlan",
    "ResponseRequest",
    "SiteLimits",
    "TenantService",
    "Verdict",
    "coincident_peak_avoidance_usd_micros",
    "coincident_peak_charge",
    # Modules reached by name: the result document and memo entry (document), the registration package, the
    # report model and its PDF, the `[market]` section as rules, the period's shadow run, the batteries' programs
    # (storage_programs).
    "document",
    "export_value",
    "pjm_customer_baseline",
    "plan_response",
    "registration",
    "report",
    "rules",
    "shadow",
    "storage_programs",
]
