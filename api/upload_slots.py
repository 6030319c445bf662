"""A bound on the uploads one principal has in progress at once, across every API process.

Each upload holds one slot of its principal for as long as its body streams and its file is checked; a request
beyond `slots_per_principal` is refused at once with 429 and a Retry-After, before any byte is read.

A slot is a lease in PostgreSQL (table `upload_slot_lease`, migration 0017), so every API process counts the
same slots. The holder renews its lease every third of `lease_s` while the upload runs and deletes it at the
end; a process that dies stops renewing, and its slots are free again once their leases expire. Expiry is the
database's clock, the same for every process. Taking a slot locks the principal's name for the transaction (an
advisory lock), so two processes cannot both take the last one.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import HTTPException, Request
from sqlalchemy import Engine, text
from starlette.concurrency import run_in_threadpool

from settings import Settings

LEASE_S_DEFAULT = 60


class UploadSlots:
    def __init__(self, engine: Engine, slots_per_principal: int, retry_after_s: int,
                 lease_s: int = LEASE_S_DEFAULT) -> None:
        assert slots_per_principal >= 1 and lease_s >= 1
        self.engine = engine
        self.slots_per_principal = slots_per_principal
        self.retry_after_s = retry_after_s
        self.lease_s = lease_s

    def take(self, subject: str) -> uuid.UUID:
        """A new lease of one of `subject`'s slots; 429 when every slot is held by a lease that has not expired."""
        lease_id = uuid.uuid4()
        with self.engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:subject, 19))"), {"subject": subject})
            conn.execute(text("DELETE FROM upload_slot_lease WHERE subject = :subject AND expires_at_utc <= now()"),
                         {"subject": subject})
            held = int(conn.execute(text("SELECT count(*) FROM upload_slot_lease WHERE subject = :subject"),
                                    {"subject": subject}).scalar_one())
            if held >= self.slots_per_principal:
                raise HTTPException(
                    status_code=429, headers={"Retry-After": str(self.retry_after_s)},
                    detail=f"{subject} already has {held} uploads in progress, the most at once; "
                           f"retry after {self.retry_after_s} s")
            conn.execute(text("INSERT INTO upload_slot_lease (lease_id, subject, expires_at_utc)"
                              " VALUES (:id, :subject, now() + make_interval(secs => :lease_s))"),
                         {"id": lease_id, "subject": subject, "lease_s": self.lease_s})
        return lease_id

    def renew(self, lease_id: uuid.UUID) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("UPDATE upload_slot_lease SET expires_at_utc = now() + make_interval(secs => :lease_s)"
                              " WHERE lease_id = :id"), {"id": lease_id, "lease_s": self.lease_s})

    def give_back(self, lease_id: uuid.UUID) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM upload_slot_lease WHERE lease_id = :id"), {"id": lease_id})

    @asynccontextmanager
    async def hold(self, subject: str) -> AsyncIterator[None]:
        """One slot of `subject` for the body of the `async with`, renewed while it runs."""
        lease_id = await run_in_threadpool(self.take, subject)
        renewing = asyncio.create_task(self._renew_until_cancelled(lease_id))
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            await run_in_threadpool(self.give_back, lease_id)

    async def _renew_until_cancelled(self, lease_id: uuid.UUID) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            await run_in_threadpool(self.renew, lease_id)


def upload_slots(request: Request, settings: Settings) -> UploadSlots:
    """The app's slots, shared by every upload route (meter data, price files) and, through the database, by
    every API process."""
    # Made on the first upload (no await between the look-up and the store, so one app gets one).
    slots: UploadSlots | None = getattr(request.app.state, "upload_slots", None)
    if slots is None:
        slots = UploadSlots(request.app.state.engine, settings.uploads_per_principal_max,
                            settings.upload_retry_after_s)
        request.app.state.upload_slots = slots
    return slots
