"""The ISO statement files we read, one row each: which ISO, which reader, how long its settlement interval is,
and how our meters meet its lines. `STATEMENT_FORMATS` (format -> ISO) is what the CLI's `--format` and the
API's `format` offer; adding a format here is all the versioned import path needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from common.errors import BadInput
from market_adapters.ercot.statement_csv import read_rtm_statement_csv
from market_adapters.reconciliation.ercot_statement import ercot_statement_file
from market_adapters.reconciliation.isone_statement import parse_rtlocsum, rtlocsum_statement_file
from market_adapters.reconciliation.statement_file import StatementFile

STATEMENT_BYTES_MAX = 64 * 1024 * 1024


@dataclass(frozen=True)
class StatementFormat:
    """`at_settlement_point`: the ISO settles the campus's net at its settlement point (ERCOT's Load Zone), so our
    grid-tie meters are summed there; otherwise each line's resource is a meter's ISO id (ISO-NE Location ID).
    `charge_types` renames our quantity kinds (quantities.ROLE_CHARGES) to the statement's charge-type codes."""

    iso: str
    settlement_minutes: int
    read: Callable[[str, str], StatementFile]
    at_settlement_point: bool
    charge_types: Mapping[str, str] = field(default_factory=dict)


READERS: dict[str, StatementFormat] = {
    "isone-rtlocsum": StatementFormat("ISONE", 60, lambda source, text: rtlocsum_statement_file(
        parse_rtlocsum(source, text)), at_settlement_point=False),
    "ercot-rtm-statement": StatementFormat("ERCOT", 15, lambda source, text: ercot_statement_file(
        read_rtm_statement_csv(source, text)), at_settlement_point=True, charge_types={"RT_ENERGY_TIE": "RTEIAMT"}),
}
STATEMENT_FORMATS = {name: reader.iso for name, reader in READERS.items()}  # format -> ISO


def format_reader(name: str, source_name: str) -> StatementFormat:
    if name not in READERS:
        raise BadInput(source_name, None, "format", f"must be one of {', '.join(READERS)}")
    return READERS[name]


def read_statement_file(name: str, source_name: str, data: bytes) -> StatementFile:
    """Decode and read a statement file of format `name`; anything wrong is BadInput naming file, line, field."""
    reader = format_reader(name, source_name)
    if len(data) > STATEMENT_BYTES_MAX:
        raise BadInput(source_name, None, None, f"larger than {STATEMENT_BYTES_MAX} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadInput(source_name, None, None, f"not UTF-8 text: {error.reason}") from error
    return reader.read(source_name, text)
