"""Errors of the campus model."""

from __future__ import annotations

from dataclasses import dataclass

from common.errors import BadInput, Conflict, NotFound


class CampusNotFound(NotFound):
    def __init__(self, campus_id: str) -> None:
        self.campus_id = campus_id
        super().__init__(f"campus {campus_id!r} is not registered (apply its campus file: wattledger campus apply)")


@dataclass(frozen=True)
class Problem:
    line: int | None
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = "" if self.line is None else f"line {self.line}, "
        return f"{where}{'field ' + repr(self.field) + ': ' if self.field else ''}{self.reason}"


class CampusFileInvalid(BadInput):
    """A campus file with one or more problems; nothing of it is stored. The first problem fills the BadInput
    fields (file, line, field, reason); `problems` lists them all."""

    PROBLEMS_SHOWN_MAX = 50

    def __init__(self, source: str, problems: list[Problem]) -> None:
        assert problems, "an invalid file has at least one problem"
        self.problems = problems
        first = problems[0]
        shown = "; ".join(str(problem) for problem in problems[1:self.PROBLEMS_SHOWN_MAX])
        more = f" (+{len(problems) - 1} more: {shown})" if len(problems) > 1 else ""
        super().__init__(source, first.line, first.field, first.reason + more)


class CampusChangeRefused(Conflict):
    """An apply that would rewrite history (e.g. change a settled meter's role, edit an applied contract
    version); the error says what to do instead."""
