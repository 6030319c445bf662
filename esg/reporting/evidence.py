"""An evidence package for assurance: everything behind one cycle's figures, in one folder, with checksums.

Contents: the canonical result JSON, the HTML and PDF reports, the CSV exports, the factor files of the edition
used with the library manifest, and `SHA256SUMS` (the `sha256sum -c` format) over all of them. The interval
Parquet is named by its sha256 in the result, not copied: it lives with the meter data.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from esg.factors import DATA_DIR, MANIFEST_NAME, load_factor_library
from esg.reporting.campus_report import campus_report_html, campus_report_pdf
from esg.reporting.exports import export_csv
from esg.scopes import CycleEmissions

EXPORT_KINDS = ("parties", "hourly", "campus")


def write_evidence_package(emissions: CycleEmissions, campus_id: str, directory: Path) -> list[str]:
    """Write the package into `directory` (created; must be empty if it exists); returns the relative paths."""
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise FileExistsError(f"{directory} is not empty; an evidence package is written once")
    files: dict[str, bytes] = {
        "result.json": emissions.to_json().encode(),
        "report.html": campus_report_html(emissions, campus_id).encode(),
        "report.pdf": campus_report_pdf(emissions, campus_id),
    }
    files.update({f"{kind}.csv": export_csv(emissions, kind).encode() for kind in EXPORT_KINDS})
    for name, content in files.items():
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
