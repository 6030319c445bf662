"""The campus file's JSON Schema, generated from the pydantic model (docs/campus.schema.json is this output)."""

from __future__ import annotations

from typing import Any

from campus.file_model import CampusFile

SCHEMA_ID = "https://wattledger.org/schemas/campus-file-v1.json"


def campus_json_schema() -> dict[str, Any]:
    schema = CampusFile.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema,
            "title": "wattledger campus file"}
