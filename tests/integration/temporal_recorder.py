"""A stand-in for the Temporal client where a test drives a cycle's steps through their service functions: it keeps
the workflow input the starter sends (`workflows.billing_cycle_start.start_cycle`) and starts nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflows.billing_cycle_types import CycleInput


@dataclass
class RecordedRun:
    result_run_id: str = "run-1"


@dataclass
class TemporalRecorder:
    inputs: list[CycleInput] = field(default_factory=list)

    async def start_workflow(self, run: Any, inp: CycleInput, **options: Any) -> RecordedRun:
        self.inputs.append(inp)
        return RecordedRun()
