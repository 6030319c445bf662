"""`python -m ledger.verifier EXPORT_DIR [--vkey VKEY ...] [--json] [--fast]`: verify a ledger export.

Exit status 0 = every check passed; 1 = the first failing seq and the reason are printed; 2 = the export
itself is unreadable. Only the standard library and `cryptography` are imported, unless `--fast` asks
for the compiled pre-check.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path

from ledger.verifier.export_check import ExportReport, verify_export

Verifier = Callable[[Path, list[str] | None], ExportReport]


def _compiled_or_replay() -> Verifier:
    # An optional dependency, imported only on request: an auditor's machine may lack numpy and numba,
    # and the replay alone gives the same verdict.
    try:
        from ledger.verifier.compiled_check import verify_export_compiled
    except ImportError:
        print("numpy/numba not installed: using the standard-library verifier", file=sys.stderr)
        return verify_export
    return verify_export_compiled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ledger.verifier", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--vkey", action="append", help="trusted verifier key (repeatable); default keys.txt")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--fast", action="store_true",
                        help="use the compiled pre-check when numpy and numba are installed (same verdict)")
    args = parser.parse_args(argv)
    verifier = _compiled_or_replay() if args.fast else verify_export
    try:
        report = verifier(args.directory, args.vkey)
    except (OSError, ValueError, KeyError) as error:
        print(f"ERROR unreadable export: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(dataclasses.asdict(report)))
    elif report.ok:
        print(f"OK origin={report.origin} entries={report.entries_checked} checkpoints={report.checkpoints_checked}")
    else:
        print(f"FAIL origin={report.origin} seq={report.first_bad_seq} reason={report.reason}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
