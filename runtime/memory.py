"""Give the memory a finished activity freed back to the operating system.

The Arrow memory pool (mimalloc) and glibc's malloc keep freed pages for reuse. Between the steps of a cycle that
is most of a worker's resident set: after the ingest and VEE of a 2,000-meter month the worker held 1.3 GB it no
longer used, and the settle step's peak came on top of it (docs/benchmarks.md). Returning it after each activity
costs a few milliseconds and keeps a worker's peak at that of its largest step, not the sum of its history.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

import pyarrow as pa
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

# Loaded once at import (the worker's start), never from an activity thread.
_LIBC = ctypes.CDLL(None) if sys.platform.startswith("linux") else None


def release_unused_memory() -> None:
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


class MemoryReleaser(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ReleasingActivity(next)


class _ReleasingActivity(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        finally:
            release_unused_memory()
