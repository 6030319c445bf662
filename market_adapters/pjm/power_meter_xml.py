"""PJM Power Meter hourly meter values as the daily-submission XML (`MeterValues`), and reading it back.

Every field's source, and what is confirmed or assumed, is in docs/iso-adapters.md ("PJM Power Meter hourly
XML"). In short: PJM's CLI bundle uploads `upload/hourlyMeterValues.xml` to
`/rest/secure/upload/xml/dailysubmission/` (CSV goes to `/rest/secure/upload/csv/fiveminutesubmission/`, five
minutes only). The document is `MeterValues` holding one `meterAccount` per account (`meterAccountID`,
`meterAccountName`, `meterType`, `ehv`, `counterParty`, then `hourlyMeterValues` of `intervalValue`s with
`startDate`, `endDate` and `mw`) and then `totalLoss` and `totalInadvertent`, which a meter account holder leaves
empty. `startDate`/`endDate` are Eastern prevailing wall times WITH their UTC offset
(`2025-11-02T01:00:00.000-04:00`), so the fall-back day's two 01:00 hours differ by offset and the spring-forward
day simply has 23 intervals. `mw` is the hour's energy in MWh (= its average MW), 3 decimals, rounded once from
Wh. UNCONFIRMED: the XML namespace of `MeterValues` (PJM's samples write it with a prefix whose URI we have not
seen; METER_VALUES_NAMESPACE holds it once known), the `meterType` of tie meters ("TIE"), `ehv` ("NO" unless the
account is EHV) and whether an empty `counterParty` is accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree

from campus import MeterRole
from common.errors import BadInput
from common.timeutil import require_utc
from intervals import MeterIntervals
from market_adapters.model import IsoMeterRef
from market_adapters.pjm.power_meter import (
    EASTERN,
    MWH_QUANTUM,
    PowerMeterFile,
    PowerMeterHour,
    account_hours,
)

DAILY_SUBMISSION_PATH = "/rest/secure/upload/xml/dailysubmission/"
FIVE_MINUTE_SUBMISSION_PATH = "/rest/secure/upload/csv/fiveminutesubmission/"
METER_VALUES_NAMESPACE: str | None = None  # UNCONFIRMED; None writes an unqualified MeterValues
METER_TYPE_BY_ROLE = {MeterRole.GENERATION: "GEN", MeterRole.GRID_IMPORT: "TIE", MeterRole.EXPORT: "TIE"}
EHV_DEFAULT = "NO"
ONE_HOUR = timedelta(hours=1)
ACCOUNTS_MAX = 1_000
INTERVALS_MAX = 25 * ACCOUNTS_MAX  # one Eastern day per file: at most 25 hours per account


@dataclass(frozen=True)
class PowerMeterAccount:
    """A meter account as PJM registered it. `counter_party` is the EDC or party confirming the account's
    values; `ehv` is "YES" or "NO" (extra-high-voltage account)."""

    account_id: str
    name: str
    meter_type: str
    ehv: str
    counter_party: str


def accounts_of(meters: Sequence[IsoMeterRef], counter_party: str = "") -> list[PowerMeterAccount]:
    """Accounts for our meters: PJM's id, our meter id as the name, the type from the meter role."""
    return [PowerMeterAccount(meter.iso_meter_id, meter.meter_id, METER_TYPE_BY_ROLE[MeterRole(meter.role)],
                              EHV_DEFAULT, counter_party) for meter in meters]


def build_hourly_meter_values(intervals: str | MeterIntervals, meters: Sequence[IsoMeterRef], operating_day: date,
                              created_at_utc: datetime, *, counter_party: str = "") -> PowerMeterFile:
    """The daily-submission XML of one Eastern operating day: every complete hour of every account."""
    hours = account_hours(intervals, meters, operating_day)
    stamp = require_utc(created_at_utc, "created_at_utc")
    text = meter_values_xml(accounts_of(meters, counter_party), hours)
    return PowerMeterFile(f"hourlyMeterValues_{operating_day:%Y%m%d}_{stamp:%Y%m%d%H%M%S}.xml", text)


def meter_values_xml(accounts: Sequence[PowerMeterAccount], hours: Sequence[PowerMeterHour]) -> str:
    """`MeterValues` text: accounts in the order given (each once), their hours in time order."""
    root = ElementTree.Element(_tag("MeterValues"))
    for account in {account.account_id: account for account in accounts}.values():
        element = ElementTree.SubElement(root, "meterAccount")
        for name, value in (("meterAccountID", account.account_id), ("meterAccountName", account.name),
                            ("meterType", account.meter_type), ("ehv", account.ehv),
                            ("counterParty", account.counter_party)):
            ElementTree.SubElement(element, name).text = value
        values = ElementTree.SubElement(element, "hourlyMeterValues")
        for hour in sorted((hour for hour in hours if hour.account_id == account.account_id),
                           key=lambda hour: hour.hour_start_utc):
            interval = ElementTree.SubElement(values, "intervalValue")
            ElementTree.SubElement(interval, "startDate").text = _eastern(hour.hour_start_utc)
            ElementTree.SubElement(interval, "endDate").text = _eastern(hour.hour_start_utc + ONE_HOUR)
            ElementTree.SubElement(interval, "mw").text = str(hour.energy_mwh.quantize(MWH_QUANTUM))
    ElementTree.SubElement(root, "totalLoss")
    ElementTree.SubElement(root, "totalInadvertent")
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


def parse_hourly_meter_values(text: str, source: str) -> list[PowerMeterHour]:
    """Read a daily-submission XML back into UTC hours; the inverse of `meter_values_xml`. Errors name the
    element's position ("meterAccount 2 intervalValue 5") as the field."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise BadInput(source, error.position[0], None, f"not XML: {error}") from error
    if root.tag != _tag("MeterValues"):
        raise BadInput(source, 1, root.tag, "the document must be MeterValues")
    hours: list[PowerMeterHour] = []
    for account_number, account in enumerate(root.findall("meterAccount"), start=1):
        if account_number > ACCOUNTS_MAX:
            raise BadInput(source, None, "meterAccount", f"more than {ACCOUNTS_MAX} accounts")
        account_id = (account.findtext("meterAccountID") or "").strip()
        if not account_id:
            raise BadInput(source, None, f"meterAccount {account_number} meterAccountID", "missing")
        for number, interval in enumerate(account.findall("hourlyMeterValues/intervalValue"), start=1):
            if len(hours) >= INTERVALS_MAX:
                raise BadInput(source, None, "intervalValue", f"more than {INTERVALS_MAX} intervals")
            where = f"meterAccount {account_number} intervalValue {number}"
            hours.append(PowerMeterHour(account_id, _hour_start_utc(interval, source, where),
                                        _mw(interval, source, where)))
    return hours


def _hour_start_utc(interval: ElementTree.Element, source: str, where: str) -> datetime:
    start = _instant(interval.findtext("startDate"), source, f"{where} startDate")
    end = _instant(interval.findtext("endDate"), source, f"{where} endDate")
    if end - start != ONE_HOUR:
        raise BadInput(source, None, f"{where} endDate", "an hourly value must end one hour after it starts")
    return start


def _instant(text: str | None, source: str, field: str) -> datetime:
    try:
        local = datetime.fromisoformat((text or "").strip())
    except ValueError as error:
        raise BadInput(source, None, field, f"not an ISO 8601 date-time: {(text or '')[:40]!r}") from error
    if local.tzinfo is None or local.astimezone(EASTERN).utcoffset() != local.utcoffset():
        raise BadInput(source, None, field, f"{text} does not carry Eastern prevailing time's offset")
    return local.astimezone(UTC)


def _mw(interval: ElementTree.Element, source: str, where: str) -> Decimal:
    text = (interval.findtext("mw") or "").strip()
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise BadInput(source, None, f"{where} mw", f"not a number: {text[:40]!r}") from error
    if not value.is_finite():
        raise BadInput(source, None, f"{where} mw", f"not a number: {text[:40]!r}")
    return value


def _eastern(instant_utc: datetime) -> str:
    """`2025-11-02T01:00:00.000-05:00`: Eastern wall time with milliseconds and the offset in force."""
    local = instant_utc.astimezone(EASTERN)
    return local.isoformat(timespec="milliseconds")


def _tag(name: str) -> str:
    return name if METER_VALUES_NAMESPACE is None else f"{{{METER_VALUES_NAMESPACE}}}{name}"
