"""`wattledger meterdata` commands end to end on a real PostgreSQL: receive (accepted and quarantined,
exit code 2), vee (report recorded), plot (SVG written), partition and aggregate."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from meterdata.ingest import write_intervals
from meterdata.readings import ReadingColumns
from meterdata.schema import QUALITY_MEASURED
from wattledger_cli.meterdata import app


def test_receive_vee_and_plot_commands(database_url, campus_id, tmp_path, monkeypatch) -> None:
    """A good and a bad file: exit code 2 and both listed; vee prints JSON with the run id; plot writes SVG."""
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("WATTLEDGER_DATA_URI", str(tmp_path / "data"))
    good = tmp_path / "cli-good.csv"
    good.write_text("meter_id,interval_start,value,unit\nSHARED,2026-10-01T00:00:00-04:00,1.5,kWh\n")
    bad = tmp_path / "cli-bad.csv"
    bad.write_text("meter_id,interval_start,value,unit\nSHARED,2026-10-01T00:00:00,1.5,kWh\n")
    runner = CliRunner()
    received = runner.invoke(app, ["receive", str(good), str(bad), "--campus", campus_id])
    assert received.exit_code == 2, received.output
    assert "accepted" in received.output and "quarantined" in received.output and "has no UTC offset" in received.output
    start = datetime(2026, 10, 1, 4, tzinfo=UTC)
    columns = ReadingColumns()
    for i in range(4):
        columns.append("SHARED", "main", start + timedelta(minutes=15 * i), 15, 1500, QUALITY_MEASURED, "ab" * 32, i + 2)
    intervals = str(tmp_path / "intervals.parquet")
    write_intervals(columns, intervals)
    vee = runner.invoke(app, ["vee", intervals, "--campus", campus_id, "2026-10-01T04:00:00+00:00",
                              "2026-10-01T05:00:00+00:00", str(tmp_path / "validated.parquet"), "--as-json"])
    assert vee.exit_code == 0, vee.output
    report = json.loads(vee.output)
    assert report["rules"]["missing"]["SHARED"] == 0 and report["meters"]["SHARED"]["score"] == "100.00"
    svg = tmp_path / "shared.svg"
    plotted = runner.invoke(app, ["plot", str(report["vee_run_id"]), "SHARED", str(svg)])
    assert plotted.exit_code == 0, plotted.output
    assert svg.read_text().startswith("<svg")
    dataset = str(tmp_path / "dataset")
    assert runner.invoke(app, ["partition", str(tmp_path / "validated.parquet"), "--campus", campus_id, dataset]).exit_code == 0
    summed = runner.invoke(app, ["aggregate", dataset, "--campus", campus_id, "--level", "meter"])
    assert summed.exit_code == 0, summed.output
    # 4 quarter-hours of 1,500 Wh in the one hour; the other registered meters sent nothing (all missing).
    shared = [line.split() for line in summed.output.splitlines() if line.startswith("SHARED")]
    assert shared == [["SHARED", "2026-10-01T04:00:00+00:00", "6000", "Wh", "estimated", "0", "missing", "0"]]


def test_receive_prints_one_line_per_refusal(database_url, campus_id, tmp_path, monkeypatch) -> None:
    """A refusal is one line naming file, line and field (never a dict); an unstored file shows `-` for its hash."""
    monkeypatch.setenv("WATTLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("WATTLEDGER_DATA_URI", str(tmp_path / "data"))
    bad = tmp_path / "refusal-bad.csv"
    bad.write_text("meter_id,interval_start,value,unit\nSHARED,2026-10-02T00:00:00,2.5,kWh\n")
    unknown = tmp_path / "refusal-notes.docx"
    unknown.write_text("not meter data\n")
    received = CliRunner().invoke(app, ["receive", str(bad), str(unknown), "--campus", campus_id])
    assert received.exit_code == 2, received.output
    lines = received.output.splitlines()
    assert len(lines) == 2 and "{" not in received.output, received.output
    status, sha, rest = lines[0].split(maxsplit=2)
    assert (status, len(sha)) == ("quarantined", 16), received.output
    # The data row is line 2 of the file; its interval_start has no UTC offset.
    assert rest.startswith("refusal-bad.csv: line 2, field 'interval_start': "), rest
    assert lines[1].split(maxsplit=2)[:2] == ["refused", "-"], lines[1]
    assert lines[1].split(maxsplit=2)[2].startswith("refusal-notes.docx: whole file: "), lines[1]
