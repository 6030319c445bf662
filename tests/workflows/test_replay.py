"""Saved workflow histories replay against today's code: a change that would break running cycles
(a reordered or renamed command without `workflow.patched`) fails here before it reaches a worker."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from runtime.temporal import DATA_CONVERTER
from workflows.billing_cycle import BillingCycleWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


@pytest.mark.parametrize("path", HISTORIES, ids=[path.stem for path in HISTORIES])
async def test_saved_history_replays_without_nondeterminism(path: Path) -> None:
    """Replaying the saved history raises on any nondeterminism; `replay_failure` must be None."""
    replayer = Replayer(workflows=[BillingCycleWorkflow], data_converter=DATA_CONVERTER)
    result = await replayer.replay_workflow(
        WorkflowHistory.from_json(path.stem, path.read_text()), raise_on_replay_failure=False
    )
    assert result.replay_failure is None


def test_there_is_at_least_one_saved_history() -> None:
    """The replay test is only a guard if it has histories to replay."""
    assert HISTORIES
