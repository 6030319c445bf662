"""The fields a section of the campus file knows, so a misspelt key is answered with the one it was meant to be."""

from __future__ import annotations

import difflib
import types
from collections.abc import Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

SUGGESTION_SIMILARITY_MIN = 0.6
"""difflib's ratio: `rol` -> `role` and `rated_kwh` -> `rated_kw` pass; unrelated names do not."""


def unknown_field_reason(root: type[BaseModel], loc: Sequence[Any]) -> str:
    """Why the key at `loc` is refused: unknown, with the nearest field of its section when one is close."""
    key = str(loc[-1])
    section = _section_at(root, loc[:-1])
    known = sorted(section.model_fields) if section is not None else []
    close = difflib.get_close_matches(key, known, n=1, cutoff=SUGGESTION_SIMILARITY_MIN)
    return f"unknown field {key!r}" + (f": did you mean {close[0]!r}?" if close else "")


def _section_at(root: type[BaseModel], loc: Sequence[Any]) -> type[BaseModel] | None:
    """The model of the table at `loc` (`("meters", 0)` -> MeterSection); None for a free-form table (terms)."""
    section: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(section, type) and issubclass(section, BaseModel)) or part not in section.model_fields:
            return None
        section = _model_of(section.model_fields[part].annotation)
    return section if isinstance(section, type) and issubclass(section, BaseModel) else None


def _model_of(annotation: Any) -> Any:
    """`list[MeterSection] | None` -> MeterSection: the model inside a list, an optional or an Annotated."""
    origin = get_origin(annotation)
    if origin in (list, Union, types.UnionType, Annotated):
        for argument in get_args(annotation):
            found = _model_of(argument)
            if isinstance(found, type) and issubclass(found, BaseModel):
                return found
        return None
    return annotation
