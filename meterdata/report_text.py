"""The VEE report as plain text lines, for the demo output and logs (the CLI draws the same as a table)."""

from __future__ import annotations

from typing import Any

METERS_SHOWN_MAX = 40


def report_lines(report: dict[str, Any], meters_shown_max: int = METERS_SHOWN_MAX) -> list[str]:
    """Score, then one line per meter with its non-zero rule counts and estimates; zero rules are left out."""
    rules: dict[str, dict[str, int]] = report["rules"]
    estimation: dict[str, dict[str, int]] = report.get("estimation", {})
    lines = [
        (f"VEE: data-quality score {report['score']} over {report['intervals_expected']} intervals, "
         f"{report['reading_count']} readings, {report['intervals_estimated']} estimated")
    ]
    meters = sorted(report["meters"])
    for meter_id in meters[:meters_shown_max]:
        found = [f"{name}={counts[meter_id]}" for name, counts in rules.items() if counts.get(meter_id)]
        found += [f"est_{name}={counts[meter_id]}" for name, counts in estimation.items() if counts.get(meter_id)]
        score = report["meters"][meter_id]["score"]
        lines.append(f"  {meter_id:<20} score {score:>6}  {' '.join(found) or 'clean'}")
    if len(meters) > meters_shown_max:
        lines.append(f"  ... {len(meters) - meters_shown_max} more meters")
    balance = rules.get("campus_balance", {}).get("campus")
    if balance is not None:
        lines.append(f"  campus energy balance: {balance} hours outside tolerance")
    return lines
