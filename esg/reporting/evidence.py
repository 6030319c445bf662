"""An evidence package for assurance: everything needed to recompute one cycle's figures, in one folder, with
checksums.

Contents: the canonical result JSON, the HTML and PDF reports (one model rendered twice), the CSV exports, the
interval data the figures were computed from (`intervals.parquet`, whose sha256 the result names), the factor
files of the edition used with the library manifest and `factor_refs.csv` (each factor used, the file and row
key it comes from), the ledger inclusion proofs of the entries that carry the figures (`ledger/`: the
settlement, its posting, each restatement adjustment and each certificate retirement, with the signed
checkpoint each proof verifies against), a README saying how to recompute, and `SHA256SUMS` (the
`sha256sum -c` format) over all of them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from esg.factors import DATA_DIR, MANIFEST_NAME, load_factor_library
from esg.reporting.campus_report import campus_report_html, campus_report_pdf, report_context
from esg.reporting.exports import export_csv
from esg.reporting.report_model import ReportContext
from esg.scopes import CycleEmissions

EXPORT_KINDS = ("parties", "hourly", "campus", "methods")
README = """Evidence package: campus {campus}, period {start} to {end} (UTC), result version {version}

Recompute every figure:
1. intervals.parquet is the meter data (INTERVAL_SCHEMA); its sha256 is {intervals_sha} (result.json,
   inputs.intervals_file_sha256). `wattledger esg compute intervals.parquet --campus {campus} --start {start}
   --end {end} --edition {edition} --gwp {gwp}` gives result.json again.
2. factors/ holds the edition's published tables, byte-identical to their sources (manifest.json gives each
   file's sha256 and publication); factor_refs.csv names the file and row of every factor used; market_rates.csv
   holds the rows of the market-rate library it names (supplier rates, residual mixes, grid upstream factors).
3. ledger/inclusion_proofs.json proves each ledger entry carrying these figures is leaf `leaf_index` of the tree
   whose root the signed checkpoint note commits to (RFC 6962). The entry's canonical bytes are in
   `canonical_b64`; its legs in grams CO2e (TCO2E/6) and Wh (MWH/6) equal the report's figures.
4. `sha256sum -c SHA256SUMS` checks every file of this folder.
"""


def write_evidence_package(
    emissions: CycleEmissions,
    context: ReportContext | str,
    directory: Path,
    intervals_parquet: bytes | None = None,
    inclusion_proofs: Sequence[dict[str, Any]] = (),
) -> list[str]:
    """Write the package into `directory` (created; must be empty if it exists); returns the relative paths."""
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise FileExistsError(f"{directory} is not empty; an evidence package is written once")
    report = report_context(context)
    files: dict[str, bytes] = {
        "result.json": emissions.to_json().encode(),
        "report.html": campus_report_html(emissions, report).encode(),
        "report.pdf": campus_report_pdf(emissions, report),
        "factor_refs.csv": _factor_refs_csv(emissions).encode(),
        "market_rates.csv": _market_rates_csv(report).encode(),
        "README.txt": README.format(
            campus=report.campus_id, start=emissions.period_start_utc.isoformat(),
            end=emissions.period_end_utc.isoformat(), version=report.version,
            intervals_sha=emissions.inputs["intervals_file_sha256"], edition=emissions.factor_edition,
            gwp=emissions.gwp_set,
        ).encode(),
    }
    files.update({f"{kind}.csv": export_csv(emissions, kind).encode() for kind in EXPORT_KINDS})
    if emissions.storage:
        # A campus with a battery: where the grams its charge took went (a package without one is as before).
        files["storage.csv"] = export_csv(emissions, "storage").encode()
    if intervals_parquet is not None:
        files["intervals.parquet"] = intervals_parquet
    if inclusion_proofs:
        files["ledger/inclusion_proofs.json"] = json.dumps(list(inclusion_proofs), indent=2, sort_keys=True).encode()
    for name, content in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(content)
    factors = directory / "factors"
    factors.mkdir()
    library = load_factor_library()
    edition = library.edition(emissions.factor_edition)
    for table_id in sorted(set(edition.tables.values())):
        shutil.copyfile(DATA_DIR / library.tables[table_id].file, factors / library.tables[table_id].file)
    shutil.copyfile(DATA_DIR / MANIFEST_NAME, factors / MANIFEST_NAME)
    relative = sorted(str(path.relative_to(directory)) for path in directory.rglob("*") if path.is_file())
    sums = "".join(
        f"{hashlib.sha256((directory / name).read_bytes()).hexdigest()}  {name}\n" for name in relative
    )
    (directory / "SHA256SUMS").write_text(sums, encoding="utf-8")
    return [*relative, "SHA256SUMS"]


def _factor_refs_csv(emissions: CycleEmissions) -> str:
    """One line per factor used: the ref, the table it names and its file, and the row key inside the table."""
    library = load_factor_library()
    lines = ["factor_ref,table_id,file,row_key"]
    for ref in emissions.factor_refs:
        table_id = next((t for t in sorted(library.tables, key=len, reverse=True) if ref.startswith(f"{t}/")), "")
        file = library.tables[table_id].file if table_id else ""
        row_key = ref[len(table_id) + 1:] if table_id else ref
        lines.append(",".join(_csv_cell(value) for value in (ref, table_id, file, row_key)))
    return "\n".join(lines) + "\n"


def _market_rates_csv(context: ReportContext) -> str:
    """The market-rate library rows the result names (`market-rate/<id>@<edition>` in factor_refs): supplier rates,
    residual mixes and grid upstream factors are in no published file, so their values and provenance are here."""
    names = ("rate_id", "kind", "zone", "g_co2e_per_mwh", "source", "edition", "valid_from", "valid_to", "supplier",
             "note")
    lines = [",".join(("factor_ref", *names))]
    for rate in sorted(context.market_rates, key=lambda row: row.ref):
        content = rate.content()
        lines.append(",".join(_csv_cell(value) for value in (rate.ref, *(content[name] for name in names))))
    return "\n".join(lines) + "\n"


def _csv_cell(value: str) -> str:
    return f'"{value.replace(chr(34), chr(34) * 2)}"' if any(c in value for c in ',"\n') else value
