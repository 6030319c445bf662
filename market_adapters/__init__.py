"""ISO/RTO market adapters: one subpackage per ISO (client, parse, format), the fake ISO, submission service.

Shared names: `IsoMeterRef`, `IsoCredentials`, `SubmissionOutcome`, `IsoRejected`, `IsoUnavailable`.
"""

from market_adapters.model import (
    IsoAuthFailed,
    IsoCredentials,
    IsoMeterRef,
    IsoRecordError,
    IsoRejected,
    IsoUnavailable,
    SubmissionOutcome,
)

__all__ = [
    "IsoAuthFailed",
    "IsoCredentials",
    "IsoMeterRef",
    "IsoRecordError",
    "IsoRejected",
    "IsoUnavailable",
    "SubmissionOutcome",
]
