"""Run labels: which pass over a cycle's period a claim-check folder or a recorded step belongs to.

`v{n}` is the cycle's own settlement version n (a rejection and rework settle again as v2, v3, ...); `r{n}` is a
correction's revision n. A correction's steps are recorded beside the cycle's own, as `correction-r{n}-{step}`.
"""

from __future__ import annotations


def version_label(settlement_version: int) -> str:
    return f"v{settlement_version}"


def revision_label(revision: int) -> str:
    return f"r{revision}"


def is_correction(run_label: str) -> bool:
    return run_label.startswith("r")


def step_name(step: str, run_label: str) -> str:
    """The recorded step name: a correction's runs sit beside the cycle's own steps."""
    return f"correction-{run_label}-{step}" if is_correction(run_label) else step
