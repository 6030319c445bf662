"""`python -m ledger.verifier EXPORT_DIR --vkey VKEY [--checkpoint FILE] [--witness-key KEY] [--json] [--fast]`.

Exit status 0 = every check passed; 1 = the first failing seq and the reason are printed (also when the export does
not extend a published checkpoint, or a published checkpoint's signatures do not hold); 2 = the export itself is
unreadable, or the command line is incomplete. Only the standard library and `cryptography` are imported, unless
`--fast` asks for the compiled pre-check.

The trusted ledger keys come from the auditor (`--vkey`, obtained outside the database: `wattledger ledger
public-key`, the published documents). Trusting the keys the export itself lists (`--trust-export-keys`) lets a
forger who replaced the key pass, so it prints a warning.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path

from ledger.verifier.export_check import ExportReport, verify_export
from ledger.verifier.published import (
    PublishedCheckpoint,
    PublishedCheckpointError,
    check_published,
    read_published,
)

Verifier = Callable[[Path, list[str] | None], ExportReport]
EXPORT_KEYS_WARNING = ("WARNING --trust-export-keys: checkpoints are checked against the keys the export lists "
                       "(keys.txt), which whoever wrote the export chose; a replaced signing key is not detected. "
                       "Pass the ledger's key with --vkey instead.")


def _compiled_or_replay() -> Verifier:
    # An optional dependency, imported only on request: an auditor's machine may lack numpy and numba,
    # and the replay alone gives the same verdict.
    try:
        from ledger.verifier.compiled_check import verify_export_compiled
    except ImportError:
        print("numpy/numba not installed: using the standard-library verifier", file=sys.stderr)
        return verify_export
    return verify_export_compiled


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ledger.verifier", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--vkey", action="append", default=[],
                        help="a ledger verifier key you trust (repeatable; `wattledger ledger public-key`); required "
                             "unless --trust-export-keys")
    parser.add_argument("--trust-export-keys", action="store_true",
                        help="trust the keys the export lists in keys.txt instead (prints a warning)")
    parser.add_argument("--checkpoint", action="append", default=[], type=Path, metavar="FILE",
                        help="a published checkpoint note the ledger must extend (repeatable)")
    parser.add_argument("--witness-key", action="append", default=[], metavar="KEY",
                        help="a witness's vkey whose cosignature every --checkpoint must carry (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--fast", action="store_true",
                        help="use the compiled pre-check when numpy and numba are installed (same verdict)")
    return parser


def _print(report: ExportReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(dataclasses.asdict(report)))
    elif report.ok:
        print(f"OK origin={report.origin} entries={report.entries_checked} checkpoints={report.checkpoints_checked}")
    else:
        print(f"FAIL origin={report.origin} seq={report.first_bad_seq} reason={report.reason}")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.vkey and not args.trust_export_keys:
        parser.print_usage(sys.stderr)
        print("error: give the ledger's key with --vkey (from `wattledger ledger public-key` or the published "
              "documents), or opt out with --trust-export-keys", file=sys.stderr)
        return 2
    if args.witness_key and not args.checkpoint:
        print("error: --witness-key checks the cosignatures of --checkpoint files; give at least one", file=sys.stderr)
        return 2
    trusted: list[str] | None = list(args.vkey) or None
    if args.trust_export_keys:
        print(EXPORT_KEYS_WARNING, file=sys.stderr)
        if trusted is None:
            try:
                trusted = (args.directory / "keys.txt").read_text(encoding="ascii").split()
            except (OSError, UnicodeDecodeError) as error:
                print(f"ERROR unreadable export: {error}", file=sys.stderr)
                return 2
    assert trusted is not None
    published: list[PublishedCheckpoint] = []
    for path in args.checkpoint:
        try:
            published.append(read_published(path, trusted, args.witness_key))
        except PublishedCheckpointError as error:
            print(f"FAIL published checkpoint: {error}")
            return 1
    verifier = _compiled_or_replay() if args.fast else verify_export
    try:
        report = check_published(args.directory, verifier(args.directory, trusted), published)
    except (OSError, ValueError, KeyError) as error:
        print(f"ERROR unreadable export: {error}", file=sys.stderr)
        return 2
    _print(report, args.json)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
