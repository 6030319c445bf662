"""PJM Data Miner query labels: the `datetime_beginning_ept` filter is Eastern prevailing wall time.

`MM/DD/YYYY HH:mmtoMM/DD/YYYY HH:mm`, both ends inclusive, so the end is the last interval start we want.
A filter is a range of wall times: on the fall-back day both passes of the repeated hour fall inside it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from market_adapters.clock import utc_to_wall
from market_adapters.pjm.power_meter import EASTERN

LAST_START_BEFORE_END = timedelta(minutes=5)  # finest PJM feed: a 5-minute interval may begin at end - 5 min


def data_miner_ept_range(start_utc: datetime, end_utc: datetime) -> str:
    first, _ = utc_to_wall(start_utc, EASTERN)
    last, _ = utc_to_wall(end_utc - LAST_START_BEFORE_END, EASTERN)
    return f"{first:%m/%d/%Y %H:%M}to{last:%m/%d/%Y %H:%M}"
