"""A price file longer than its reader's row limit is refused as bad input naming the file and the first line
over the limit, never an assertion (each limit is set to 3 rows here; the real limits are in the readers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import BadInput
from market_adapters.ercot import parse as ercot_parse
from market_adapters.nyiso import parse as nyiso_parse
from market_adapters.pjm import data_miner_csv
from market_adapters.price_files import parse_price_file
from market_adapters.spp import parse as spp_parse

FIXTURES = Path(__file__).parent / "fixtures"
ERCOT_DAM = "cdr.00012331.0000000000000000.20250804.123222.DAMSPNP4190.csv"


@pytest.mark.parametrize(("module", "file_format", "path"), [
    (nyiso_parse, "nyiso-rt", FIXTURES / "nyiso" / "nyiso_realtime_zone_fall_back.csv"),
    (spp_parse, "spp-da", FIXTURES / "spp" / "DA-LMP-SL-202511020100.csv"),
    (data_miner_csv, "pjm-csv", FIXTURES / "pjm" / "da_hrl_lmps-20251102.csv"),
    (ercot_parse, "ercot-np4-190", FIXTURES / "ercot" / "ercot_np4190_20251102_hb_hubavg.csv"),
])
def test_rows_beyond_the_limit_are_refused_with_the_line(monkeypatch, module, file_format, path):
    monkeypatch.setattr(module, "ROWS_MAX", 3)
    name = ERCOT_DAM if file_format.startswith("ercot") else path.name
    with pytest.raises(BadInput) as caught:
        parse_price_file(file_format, name, path.read_bytes(), feed="da_hrl_lmps", interval_minutes=5)
    assert (caught.value.source, caught.value.line) == (name, 5)
    assert "more than 3 rows" in str(caught.value)
