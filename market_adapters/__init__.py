"""ISO/RTO market adapters: one subpackage per ISO (client, parse, format), the shared pieces they use, and the
services on top of them.

Shared: `model` (meter references, credentials, outcomes), `errors` (typed ISO errors), `clock` (wall-clock
labels <-> UTC), `http` (bounded retries, file drops), `prices` (PRICE_SCHEMA and PriceRow), `hourly` (interval
data summed per UTC hour). Per ISO: `nyiso`, `ercot`, `pjm`, `caiso`, `miso`, `isone`, `spp`. Services: `price_files`
(price files by format name, the campus price store), `submission` (idempotent ISO submission) and
`reconciliation` (shadow settlement of ISO statements). The fake ISO is dev tooling: `devtools.fake_iso`.
"""

from market_adapters.errors import IsoAuthFailed, IsoRecordError, IsoRejected, IsoUnavailable
from market_adapters.model import MARKET_TIME_ZONES, IsoCredentials, IsoMeterRef, SubmissionOutcome

__all__ = [
    "MARKET_TIME_ZONES",
    "IsoAuthFailed",
    "IsoCredentials",
    "IsoMeterRef",
    "IsoRecordError",
    "IsoRejected",
    "IsoUnavailable",
    "SubmissionOutcome",
]
