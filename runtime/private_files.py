"""Files a process creates are its owner's alone.

Meter data, Parquet claim checks, invoices, outbox documents, keys, the Temporal dev server's database: each
holds money, consumption or secrets. Every entry point (the CLI, the worker, the API) sets the file mode
creation mask first, so new files are 0600 and new folders 0700 whatever the library that creates them, and the
processes they start (the Temporal dev server, PostgreSQL, the worker and the API under `wattledger dev`) inherit it.
"""

from __future__ import annotations

import os

OWNER_ONLY_UMASK = 0o077


def keep_new_files_private() -> None:
    os.umask(OWNER_ONLY_UMASK)
