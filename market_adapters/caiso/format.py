"""Write OASIS price CSV ZIPs and error ZIPs (used by the fake ISO and round-trip tests).

The inverse of parse.py for PRC_LMP-style files: one row per component, explicit GMT start and end, plus the
Pacific operating date and hour-ending the real files carry.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from market_adapters.prices import PriceRow

PACIFIC = ZoneInfo("America/Los_Angeles")
PRC_LMP_HEADER = ("INTERVALSTARTTIME_GMT,INTERVALENDTIME_GMT,OPR_DT,OPR_HR,OPR_INTERVAL,NODE_ID_XML,NODE_ID,NODE,"
                  "MARKET_RUN_ID,LMP_TYPE,XML_DATA_ITEM,PNODE_RESMRID,GRP_TYPE,POS,MW,GROUP")
_MARKET_RUN = {"DA": "DAM", "RT5": "RTM", "RT15": "RTPD", "HASP": "HASP"}
_COMPONENTS = (("LMP", "LMP_PRC", "lmp_usd_per_mwh"), ("MCE", "LMP_ENE_PRC", "energy_usd_per_mwh"),
               ("MCC", "LMP_CONG_PRC", "congestion_usd_per_mwh"), ("MCL", "LMP_LOSS_PRC", "loss_usd_per_mwh"))


def format_price_csv(rows: Iterable[PriceRow]) -> str:
    lines = [PRC_LMP_HEADER]
    for row in rows:
        start = row.interval_start_utc
        end = start + timedelta(minutes=row.interval_minutes)
        local_end = end.astimezone(PACIFIC)
        operating_date = start.astimezone(PACIFIC).date()
        hour_ending = local_end.hour or 24
        for position, (kind, item, field) in enumerate(_COMPONENTS, start=1):
            value = getattr(row, field)
            if value is None:
                continue
            lines.append(f"{start:%Y-%m-%dT%H:%M:%S}-00:00,{end:%Y-%m-%dT%H:%M:%S}-00:00,{operating_date},"
                         f"{hour_ending},0,{row.node},{row.node},{row.node},{_MARKET_RUN[row.market]},{kind},{item},"
                         f"{row.node},ALL,{position},{value},1")
    return "\n".join(lines) + "\n"


def zip_members(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def error_payload_xml(code: int, description: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<m:OASISReport xmlns:m="http://www.caiso.com/soa/OASISReport_v1.xsd"><m:MessagePayload><m:RTO>'
        f"<m:name>CAISO</m:name><m:ERROR><m:ERR_CODE>{code}</m:ERR_CODE><m:ERR_DESC>{description}</m:ERR_DESC>"
        "</m:ERROR></m:RTO></m:MessagePayload></m:OASISReport>"
    ).encode()


def oasis_time_text(instant_utc: datetime) -> str:
    """OASIS query bounds are GMT: `YYYYMMDDTHH:MM-0000`."""
    return f"{instant_utc:%Y%m%dT%H:%M}-0000"
