"""The billing cycle's ISO step: the period's meter data in the submission format of the campus's ISO.

- NYISO: the powerMetering JSON body, submitted once per business key when `settings.iso_base_url` is set
  (the acknowledgement is recorded), else kept in the outbox for a person or a later run.
- ERCOT: one LSE interval file per ISO meter; PJM: one Power Meter file per operating day. Both are kept
  in the outbox only: Settings names no ERCOT or PJM endpoint, and an LSE file is normally sent by the TDSP.
- CAISO, MISO, ISONE and SPP have no submission format yet, and a campus may turn submission off: the step
  records `skipped` with its reason and returns normally, so the cycle goes on to close its ledger.

The business key is `{campus}:{iso}:{period}:v{n}`; a retried step writes the same bytes and finds its record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from billing import repository as repo
from billing.campus_period import CampusPeriod, load_campus_period
from billing.runs import version_label
from campus import Meter, iso_submission_settings
from common import storage
from common.errors import BadInput
from market_adapters import MARKET_TIME_ZONES, IsoCredentials, IsoMeterRef
from market_adapters.nyiso import build_power_metering_document, validate_power_metering_document
from market_adapters.submission import (
    IsoFile,
    NyisoPeriod,
    ercot_lse_files,
    lse_meters,
    operating_days,
    pjm_power_meter_files,
    power_meter_accounts,
    recorded_created_at_utc,
    submission_key,
    submit_nyiso_period,
    write_files_once,
)
from settings import Settings

IsoSubmission = Literal["on", "off"]
STATUS_SKIPPED = "skipped"
SUBMISSION_ISOS = ("NYISO", "ERCOT", "PJM")


@dataclass(frozen=True)
class IsoSubmissionOutcome:
    submission_key: str
    status: str  # the submission's recorded status, or "skipped"
    document_uri: str  # "" when skipped


def submit_to_iso(engine: Engine, settings: Settings, cycle_id: str, campus_id: str, period: str,
                  settlement_version: int, validated_uri: str, *, iso_submission: IsoSubmission | None = None,
                  lse_duns: str | None = None, now_utc: datetime | None = None) -> IsoSubmissionOutcome:
    """Submit or keep the period's document for the campus's ISO, or record why nothing was submitted.

    `iso_submission` ("off" skips the step) and `lse_duns` (the 9- or 13-digit DUNS number ERCOT LSE file
    names start with; an ERCOT campus needs it) default to the campus file's `[iso_submission]` section.
    `now_utc` stamps new files.
    """
    if iso_submission not in (None, "on", "off"):
        raise BadInput(f"campus {campus_id}", None, "iso_submission",
                       f"must be on or off, not {iso_submission!r}")
    with engine.begin() as conn:
        scope = load_campus_period(conn, campus_id, period)
        enabled, duns = iso_submission_settings(conn, campus_id)
    iso_submission = iso_submission or ("on" if enabled else "off")
    lse_duns = lse_duns or duns
    iso = scope.campus.iso
    key = submission_key(campus_id, iso, period, settlement_version)
    iso_meters = _format_meters(iso, _iso_meters(scope.meters, scope.bounds_utc))
    skip_reason = _skip_reason(iso_submission, iso, iso_meters)
    if skip_reason is None:
        document = _PeriodDocument(cycle_id, scope, settlement_version, validated_uri, key, iso_meters,
                                   now_utc or datetime.now(UTC))
        output = _produce(engine, settings, document, lse_duns)
    else:
        output = IsoSubmissionOutcome(key, STATUS_SKIPPED, "")
    with engine.begin() as conn:
        reason = {} if skip_reason is None else {"detail": skip_reason}
        repo.record_step(conn, cycle_id, "iso", {**asdict(output), **reason})
    return output


@dataclass(frozen=True)
class _PeriodDocument:
    """What every ISO's document of the period is built from."""

    cycle_id: str
    scope: CampusPeriod
    settlement_version: int
    validated_uri: str
    key: str
    meters: tuple[IsoMeterRef, ...]
    now_utc: datetime

    @property
    def label(self) -> str:
        return version_label(self.settlement_version)

    def outbox_path(self, settings: Settings, name: str) -> str:
        return outbox_path(settings, self.scope.campus_id, self.scope.period, name)


def _skip_reason(iso_submission: IsoSubmission, iso: str, meters: tuple[IsoMeterRef, ...]) -> str | None:
    if iso_submission == "off":
        return "ISO submission is off for this campus; nothing submitted"
    if iso not in SUBMISSION_ISOS:
        return f"no submission format for {iso}; nothing submitted"
    # NYISO keeps its earlier behaviour: its validation refuses a body without records.
    if iso != "NYISO" and not meters:
        return f"no meter of the campus has a {iso} meter id that its format carries; nothing submitted"
    return None


def _produce(engine: Engine, settings: Settings, document: _PeriodDocument,
             lse_duns: str | None) -> IsoSubmissionOutcome:
    iso = document.scope.campus.iso
    if iso == "NYISO" and settings.iso_base_url:
        return _submit_nyiso(engine, settings, document)
    if iso == "NYISO":
        return _write_nyiso_outbox(engine, settings, document)
    if iso == "ERCOT":
        return _write_ercot_lse(engine, settings, document, lse_duns)
    assert iso == "PJM", f"{iso} has no submission format"
    return _write_pjm_power_meter(engine, settings, document)


def _iso_meters(meters: list[Meter], bounds_utc: tuple[datetime, datetime]) -> list[IsoMeterRef]:
    """Meters registered with the ISO and in service at some point of the period, ordered by meter id."""
    start_utc, end_utc = bounds_utc
    return [IsoMeterRef(meter.meter_id, meter.iso_meter_id, meter.role.value) for meter in meters
            if meter.iso_meter_id
            and (meter.active_from_utc is None or meter.active_from_utc < end_utc)
            and (meter.active_to_utc is None or start_utc < meter.active_to_utc)]


def _format_meters(iso: str, meters: list[IsoMeterRef]) -> tuple[IsoMeterRef, ...]:
    """The meters the ISO's file format carries: electricity meters for LSE, generator and tie accounts for
    Power Meter. NYISO's body builder decides for itself (it refuses a fuel meter)."""
    if iso == "ERCOT":
        return tuple(lse_meters(meters))
    if iso == "PJM":
        return tuple(power_meter_accounts(meters))
    return tuple(meters)


def market_zone(iso: str) -> ZoneInfo:
    """Each ISO's market clock (prevailing local time of its operating day)."""
    return ZoneInfo(MARKET_TIME_ZONES[iso])


def outbox_path(settings: Settings, campus_id: str, period: str, name: str) -> str:
    """Where a document of the period is kept: under the outbox root, a folder or an `s3://` prefix."""
    return storage.join(settings.outbox_root_uri, campus_id, period, name)


def _submit_nyiso(engine: Engine, settings: Settings, document: _PeriodDocument) -> IsoSubmissionOutcome:
    assert settings.iso_base_url is not None
    scope = document.scope
    path = document.outbox_path(settings, f"nyiso-powerMetering-{document.label}.json")
    credentials = IsoCredentials(settings.iso_username or "", settings.iso_password or "",
                                 settings.iso_client_cert_path, settings.iso_client_key_path,
                                 settings.iso_ca_bundle_path)
    period = NyisoPeriod(scope.campus_id, document.cycle_id, scope.period, document.settlement_version,
                         document.validated_uri, document.meters, scope.start_utc, scope.end_utc, deadline_utc=None)
    record = submit_nyiso_period(engine, period, path, settings.iso_base_url, credentials,
                                 now_utc=document.now_utc)
    return IsoSubmissionOutcome(record.submission_key, record.status, str(path))


def _write_nyiso_outbox(engine: Engine, settings: Settings, document: _PeriodDocument) -> IsoSubmissionOutcome:
    key = document.key
    path = document.outbox_path(settings, f"nyiso-powerMetering-{document.label}.json")
    body_json = build_power_metering_document(document.validated_uri, document.meters, document.scope.start_utc,
                                              document.scope.end_utc, market_zone("NYISO"), iso_request_id(key))
    errors = validate_power_metering_document(body_json)
    if errors:
        raise BadInput(f"powerMetering document {key}", None, None, "; ".join(errors[:5]))
    body = json.dumps(body_json, sort_keys=True, indent=1).encode()
    storage.write_bytes(path, body)
    with engine.begin() as conn:
        status = repo.record_iso_submission(conn, key, document.cycle_id, "NYISO", str(path),
                                            hashlib.sha256(body).hexdigest())
    return IsoSubmissionOutcome(key, status, str(path))


def iso_request_id(submission_key: str) -> str:
    """NYISO's userRequestId allows 1-30 of [A-Za-z0-9_-]: the key itself when it fits, else its digest."""
    readable = submission_key.replace(":", "_")
    if len(readable) <= 30 and all(ch.isalnum() or ch in "-_" for ch in readable):
        return readable
    return "wl" + hashlib.sha256(submission_key.encode()).hexdigest()[:28]


def _write_ercot_lse(engine: Engine, settings: Settings, document: _PeriodDocument,
                     lse_duns: str | None) -> IsoSubmissionOutcome:
    if lse_duns is None:
        raise BadInput(f"campus {document.scope.campus_id}", None, "lse_duns",
                       "ERCOT LSE file names start with the sender's 9- or 13-digit DUNS number; none is set")
    days = operating_days(*document.scope.bounds_utc, market_zone("ERCOT"))

    def build(created_at_utc: datetime) -> Sequence[IsoFile]:
        return ercot_lse_files(document.validated_uri, document.meters, days, lse_duns, created_at_utc)

    return _write_file_set(engine, settings, document, "ERCOT", "ercot-lse", build)


def _write_pjm_power_meter(engine: Engine, settings: Settings, document: _PeriodDocument) -> IsoSubmissionOutcome:
    days = operating_days(*document.scope.bounds_utc, market_zone("PJM"))

    def build(created_at_utc: datetime) -> Sequence[IsoFile]:
        return pjm_power_meter_files(document.validated_uri, document.meters, days, created_at_utc)

    return _write_file_set(engine, settings, document, "PJM", "pjm-power-meter", build)


def _write_file_set(engine: Engine, settings: Settings, document: _PeriodDocument, iso: str, name: str,
                    build: Callable[[datetime], Sequence[IsoFile]]) -> IsoSubmissionOutcome:
    """Build the files with the set's creation stamp, keep them in the outbox once, record the key once."""
    manifest_path = document.outbox_path(settings, f"{name}-{document.label}.json")
    # A retry reuses the first attempt's stamp, so the file names (which carry it) come out the same.
    created_at_utc = recorded_created_at_utc(manifest_path) or document.now_utc
    written = write_files_once(manifest_path, document.key, iso, created_at_utc, build(created_at_utc))
    with engine.begin() as conn:
        status = repo.record_iso_submission(conn, document.key, document.cycle_id, iso, str(manifest_path),
                                            written.manifest_sha256_hex)
    return IsoSubmissionOutcome(document.key, status, str(manifest_path))
