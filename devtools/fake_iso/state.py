"""What the fake ISO remembers: accounts, registered resources, accepted meter data, prices, faults.

One lock guards everything because the server thread and the test thread both touch it. Nothing here is
a real ISO rule beyond what iso-formats.md §8 lists; the fake exists so submission and settlement can be
exercised end to end on loopback.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from market_adapters.prices import PriceRow


@dataclass(frozen=True)
class StoredMeterValue:
    """One version of one NYISO meter record (collection, PTID, hour) as the fake accepted it."""

    version: int
    measures: dict[str, Decimal]
    nyiso_request_id: str
    accepted_at_utc: datetime


@dataclass(frozen=True)
class PlantedCorrections:
    """The two mistakes the fake's statement runs carry, so shadow settlement has something real to find.

    Price: the INITIAL run prices `price_hour_utc` at the first published price; a corrected price
    (`price_corrected_usd_per_mwh`) is published afterwards and FINAL and TRUEUP use it.
    Meter: from the TRUEUP run the ISO settles `meter_hour_utc` of `meter_ptid` on its own corrected reading,
    `meter_delta_mwh` away from what we submitted.
    """

    price_hour_utc: datetime
    price_corrected_usd_per_mwh: Decimal
    meter_ptid: int
    meter_hour_utc: datetime
    meter_delta_mwh: Decimal


@dataclass
class FakeIsoState:
    """Mutable state of one fake ISO; build one per test."""

    users: dict[str, str]
    metering_users: set[str]
    generator_ptids: set[int]
    tie_ptids: set[int]
    subzone_ptids: set[int]
    ptid_nodes: dict[int, str]
    pjm_subscription_keys: set[str] = field(default_factory=set)
    pjm_meter_accounts: set[str] = field(default_factory=set)
    ercot_esi_ids: set[str] = field(default_factory=set)
    prices: list[PriceRow] = field(default_factory=list)
    planted: PlantedCorrections | None = None
    now_utc: datetime | None = None
    oasis_min_interval_s: float = 5.0
    pjm_page_rows_max: int = 50_000
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    faults: deque[int] = field(default_factory=deque)
    throttled_requests: int = 0
    commits_answer_lost: int = 0
    metering: dict[tuple[str, int, datetime], list[StoredMeterValue]] = field(default_factory=dict)
    requests_seen: list[str] = field(default_factory=list)
    pjm_tokens: dict[str, str] = field(default_factory=dict)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    ercot_documents: list[dict[str, Any]] = field(default_factory=list)
    oasis_last_request_monotonic_s: float | None = None

    def clock_utc(self) -> datetime:
        return self.now_utc or datetime.now(UTC)

    def inject_faults(self, status_code: int, count: int) -> None:
        """The next `count` requests to ISO endpoints answer `status_code` (5xx) without doing anything."""
        with self.lock:
            self.faults.extend([status_code] * count)

    def throttle(self, count: int) -> None:
        """The next `count` requests answer 429 with a Retry-After header."""
        with self.lock:
            self.throttled_requests += count

    def lose_commit_answers(self, count: int) -> None:
        """The next `count` powerMetering commits are stored, then the connection drops before the answer."""
        with self.lock:
            self.commits_answer_lost += count

    def take_lost_commit_answer(self) -> bool:
        with self.lock:
            if self.commits_answer_lost:
                self.commits_answer_lost -= 1
                return True
            return False

    def take_fault(self) -> int | None:
        with self.lock:
            if self.throttled_requests:
                self.throttled_requests -= 1
                return 429
            return self.faults.popleft() if self.faults else None

