"""Write ERCOT price files (used by the fake ISO and round-trip tests); labels are made here, as in parse.py.

The inverse of parse.py: a UTC interval start becomes DeliveryDate/DeliveryHour/DeliveryInterval (or
HourEnding) in Central prevailing time, and `DSTFlag = Y` on the second pass through the repeated hour.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from datetime import datetime

from market_adapters.clock import utc_to_wall
from market_adapters.ercot.parse import CENTRAL, NP4_190_HEADER, NP6_905_HEADER
from market_adapters.prices import PriceRow

ZIPPED_CSV_SUFFIX = "_csv.zip"


def format_np6_905_csv(rows: Iterable[PriceRow], settlement_point_type: str) -> str:
    lines = [",".join(NP6_905_HEADER)]
    for row in rows:
        wall, fold = utc_to_wall(row.interval_start_utc, CENTRAL)
        hour_ending = wall.hour + 1
        interval = wall.minute // 15 + 1
        flag = "Y" if fold else "N"
        lines.append(f"{wall:%m/%d/%Y},{hour_ending},{interval},{row.node},{settlement_point_type},"
                     f"{row.lmp_usd_per_mwh},{flag}")
    return "\r\n".join(lines) + "\r\n"


def format_np4_190_csv(rows: Iterable[PriceRow]) -> str:
    lines = [",".join(NP4_190_HEADER)]
    for row in rows:
        wall, fold = utc_to_wall(row.interval_start_utc, CENTRAL)
        lines.append(f"{wall:%m/%d/%Y},{wall.hour + 1:02d}:00,{row.node},{row.lmp_usd_per_mwh},{'Y' if fold else 'N'}")
    return "\r\n".join(lines) + "\r\n"


def document_file_name(report_type_id: int, publish_time_utc: datetime, name: str, *, retry: bool,
                       document_format: str = "csv") -> str:
    """`cdr.<type>.0000000000000000.<YYYYMMDD>.<HHMMSSmmm>.<name>_<csv|xml>.zip` as MIS lists it, publish time in
    Central to the millisecond; a re-post turns the first `_` of `name` into `_retry_`."""
    wall, _ = utc_to_wall(publish_time_utc, CENTRAL)
    shown = name.replace("_", "_retry_", 1) if retry else name
    return (f"cdr.{report_type_id:08d}.0000000000000000.{wall:%Y%m%d.%H%M%S}{wall.microsecond // 1000:03d}."
            f"{shown}_{document_format}.zip")


def zip_csv(csv_name: str, text: str) -> bytes:
    """A ZIP holding one CSV. Given the document's listed name (`..._csv.zip`), the member is named as ERCOT
    names it inside (`....csv`)."""
    member = csv_name[: -len(ZIPPED_CSV_SUFFIX)] + ".csv" if csv_name.endswith(ZIPPED_CSV_SUFFIX) else csv_name
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, text)
    return buffer.getvalue()
