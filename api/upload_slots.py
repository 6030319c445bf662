"""A bound on the uploads one principal has in progress at once.

Each upload holds one slot of its principal for as long as its body streams and its file is checked; a request
beyond `slots_per_principal` is refused at once with 429 and a Retry-After, before any byte is read. Slots live
in the API process: the production compose file runs one API process, so this is the bound per principal.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException, Request

from settings import Settings


class UploadSlots:
    def __init__(self, slots_per_principal: int, retry_after_s: int) -> None:
        assert slots_per_principal >= 1
        self.slots_per_principal = slots_per_principal
        self.retry_after_s = retry_after_s
        self.in_progress: dict[str, int] = {}
        # Routes run on the event loop and in the thread pool; one lock keeps the counts exact.
        self.lock = threading.Lock()

    @contextmanager
    def hold(self, subject: str) -> Iterator[None]:
        with self.lock:
            count = self.in_progress.get(subject, 0)
            if count >= self.slots_per_principal:
                raise HTTPException(
                    status_code=429, headers={"Retry-After": str(self.retry_after_s)},
                    detail=f"{subject} already has {count} uploads in progress, the most at once; "
                           f"retry after {self.retry_after_s} s")
            self.in_progress[subject] = count + 1
        try:
            yield
        finally:
            with self.lock:
                remaining = self.in_progress[subject] - 1
                if remaining:
                    self.in_progress[subject] = remaining
                else:
                    del self.in_progress[subject]


def upload_slots(request: Request, settings: Settings) -> UploadSlots:
    """The app's one set of slots, shared by every upload route (meter data, price files)."""
    # Made on the first upload (no await between the look-up and the store, so one app gets one).
    slots: UploadSlots | None = getattr(request.app.state, "upload_slots", None)
    if slots is None:
        slots = UploadSlots(settings.uploads_per_principal_max, settings.upload_retry_after_s)
        request.app.state.upload_slots = slots
    return slots
