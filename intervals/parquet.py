"""Schema-checked parsing of Parquet bytes: the columns asked for must be present with their exact types.

Callers read the bytes themselves and hash them, so the hash they record names exactly the file that was parsed.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from common.errors import BadInput


def read_parquet_bytes(source: str, data: bytes, schema: pa.Schema, dictionary_columns: Sequence[str] = (),
                       columns: Sequence[str] | None = None) -> pa.Table:
    """Parse Parquet bytes and check the columns of `schema` (or just `columns` of it) are present with their exact
    types. Columns in `dictionary_columns` come back dictionary-encoded (cheap: Parquet stores strings that way);
    a dictionary-encoded column of the expected value type is accepted as that type. `source` names the file in
    errors."""
    names = list(columns) if columns is not None else schema.names
    try:
        present = pq.read_schema(pa.BufferReader(data)).names
        for name in names:
            if name not in present:
                raise BadInput(source, None, name, "column missing")
        table = pq.read_table(pa.BufferReader(data), columns=names,
                              read_dictionary=list(dictionary_columns) or None)
    except (OSError, pa.ArrowInvalid) as error:
        raise BadInput(source, None, None, f"not a readable Parquet file: {error}") from error
    for name in names:
        expected = schema.field(name)
        actual_type = table.schema.field(name).type
        if pa.types.is_dictionary(actual_type):
            if name not in dictionary_columns:
                table = table.set_column(table.column_names.index(name), name,
                                         table.column(name).cast(actual_type.value_type))
            actual_type = actual_type.value_type
        if actual_type != expected.type:
            raise BadInput(source, None, name, f"type {actual_type}, expected {expected.type}")
    return table.select(names)
