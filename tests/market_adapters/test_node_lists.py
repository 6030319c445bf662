"""Published node lists in their real shapes (tests/market_adapters/node_lists, SOURCES.md there): what each list
kind yields, and what a newer list opens and closes. Counts are read off the fixture files by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from common.errors import BadInput
from market_adapters.nodes import StoredNode, list_day_from_name, parse_node_list, plan_reload

LISTS = Path(__file__).parent / "node_lists"
ERCOT_JUNE = "Settlement_Points_06112026_093011.csv"
ERCOT_JULY = "Settlement_Points_07012026_091502.csv"


def _nodes(kind: str, name: str) -> dict[str, tuple[str, str, str | None]]:
    nodes = parse_node_list(kind, name, (LISTS / name).read_text())
    return {node.node_id: (node.name, node.node_type, node.zone) for node in nodes}


def test_ercot_bus_mapping_gives_resource_nodes_load_zones_and_hubs():
    """8 bus rows: 5 resource nodes (AJAXWIND_8B has none), 5 load zones, 4 hubs plus the 2 hub averages no bus
    maps to; buses are not nodes."""
    nodes = _nodes("ercot-settlement-points", ERCOT_JUNE)
    by_type = {kind: sorted(node_id for node_id, (_, node_type, _) in nodes.items() if node_type == kind)
               for kind in ("RN", "LZ", "HU")}
    assert by_type == {"RN": ["AJAXWIND_RN", "DECKER_DPG1", "STP_STP_G1", "STP_STP_G2", "WAP_WAP_G8"],
                       "LZ": ["LZ_AEN", "LZ_HOUSTON", "LZ_NORTH", "LZ_SOUTH", "LZ_WEST"],
                       "HU": ["HB_BUSAVG", "HB_HOUSTON", "HB_HUBAVG", "HB_NORTH", "HB_SOUTH", "HB_WEST"]}
    assert nodes["DECKER_DPG1"] == ("DECKER_DPG1", "RN", "LZ_AEN")
    assert len(nodes) == 16
    assert list_day_from_name("ercot-settlement-points", ERCOT_JUNE) == date(2026, 6, 11)
    assert list_day_from_name("pjm-pnodes", ERCOT_JUNE) is None


def test_nyiso_generators_skip_inactive_and_zones_come_from_the_real_lbmp_file():
    generators = _nodes("nyiso-generators", "nyiso_generator.csv")
    assert generators == {"23589": ("ROSETON___1", "GEN", "G"), "24106": ("ASTORIA_GT_2_1", "GEN", "J"),
                          "23756": ("GILBOA_1", "GEN", "F")}  # RAVENSWOOD_10 is Active = N
    zones = _nodes("nyiso-zones", "nyiso_realtime_zone_lbmp.csv")
    assert len(zones) == 15 and zones["61758"] == ("HUD VL", "ZONE", "HUD VL")  # 11 NYCA zones + 4 proxies


def test_nyiso_transmission_nodes():
    nodes = _nodes("nyiso-transmission-nodes", "nyiso_activetransmissionnodes.csv")
    assert nodes == {"24500": ("ASTORIA_138KV_LD", "BUS", "J"), "24510": ("MILLWOOD_345KV", "BUS", "H"),
                     "24520": ("GILBOA_345KV", "BUS", "F")}


def test_pjm_pnodes_keep_the_stated_validity_of_a_reissued_node():
    """LOUDOUN is listed twice (1998-era id re-issued 2021-06-01): in force from its first effective date to the
    termination of its newest row; 9999-12-31 is open."""
    nodes = {node.node_id: node for node in parse_node_list("pjm-pnodes", "pjm_pnodes.json",
                                                             (LISTS / "pjm_pnodes.json").read_text())}
    assert len(nodes) == 5
    loudoun = nodes["1124361945"]
    assert (loudoun.node_type, loudoun.zone, loudoun.valid_from, loudoun.valid_to) == (
        "LOAD", "DOM", date(2005, 5, 1), date(2026, 3, 1))
    assert (nodes["51288"].name, nodes["51288"].node_type, nodes["51288"].valid_to) == ("WESTERN HUB", "HUB", None)


def test_pjm_pnodes_from_a_data_miner_csv_export():
    """The same feed exported as CSV writes date-times as M/D/YYYY h:mm:ss AM (as its price exports do)."""
    text = ("pnode_id,pnode_name,pnode_type,pnode_subtype,zone,voltage_level,effective_date,termination_date\n"
            "51288,WESTERN HUB,AGGREGATE,HUB,,,4/1/1998 12:00:00 AM,12/31/9999 12:00:00 AM\n"
            "1124361945,LOUDOUN   230 KV  LD1,BUS,LOAD,DOM,230 KV,6/1/2021 12:00:00 AM,3/1/2026 12:00:00 AM\n")
    nodes = {node.node_id: node for node in parse_node_list("pjm-pnodes", "pnode.csv", text)}
    assert (nodes["51288"].valid_from, nodes["51288"].valid_to) == (date(1998, 4, 1), None)
    assert (nodes["1124361945"].valid_to, nodes["1124361945"].attributes) == (
        date(2026, 3, 1), {"pnode_type": "BUS", "voltage_level": "230 KV"})


def test_isone_locations_from_a_c_h_d_t_price_file():
    nodes = _nodes("isone-locations", "isone_rt_hourly_lmp_20250715.csv")
    assert nodes == {"4000": (".H.INTERNAL_HUB", "HUB", None), "4001": (".Z.MAINE", "LOAD ZONE", ".Z.MAINE"),
                     "4008": (".Z.NEMASSBOST", "LOAD ZONE", ".Z.NEMASSBOST"),
                     "16646": ("UN.TEWKSBRY115 TEWK", "NETWORK NODE", None)}


PRICE_FIXTURES = Path(__file__).parent / "fixtures"  # the price readers' fixtures (their SOURCES.md say whence)


def test_isone_locations_from_the_verbatim_head_of_a_real_day_ahead_file():
    name = "WW_DALMP_ISO_20260317-head.csv"
    nodes = parse_node_list("isone-locations", name, (PRICE_FIXTURES / "isone" / name).read_text())
    assert [(n.node_id, n.name, n.node_type) for n in nodes] == [("321", "UN.FRNKLNSQ13.810CC", "NETWORK NODE")]


def test_miso_and_spp_nodes_from_their_market_report_shapes():
    """MISO: three rows (LMP, MCC, MLC) per node after the preamble; SPP: one location per Settlement Location."""
    miso = parse_node_list("miso-nodes", "m.csv", (PRICE_FIXTURES / "miso" / "20251102_da_expost_lmp.csv").read_text())
    assert {(n.node_id, n.node_type, n.zone) for n in miso} == {
        ("AECI", "INTERFACE", None), ("AMIL.BGS6", "LOADZONE", "AMIL.BGS6"), ("INDIANA.HUB", "HUB", None)}
    spp = parse_node_list("spp-settlement-locations", "s.csv",
                          (PRICE_FIXTURES / "spp" / "DA-LMP-SL-202511020100.csv").read_text())
    assert {(n.node_id, n.node_type, n.attributes["pnode"]) for n in spp} == {
        ("SPPNORTH_HUB", "SETTLEMENT LOCATION", "SPPNORTH_H"), ("SPPSOUTH_HUB", "SETTLEMENT LOCATION", "SPPSOUTH_H"),
        ("CSWS_HUB", "SETTLEMENT LOCATION", "CSWS_HUB_H"), ("AEC", "SETTLEMENT LOCATION", "SOUC")}


CAISO_APNODES = "caiso_ATL_APNODE_20260601.csv"


def test_caiso_apnodes_keep_type_and_effective_period_in_pacific_days():
    """10 rows, 9 APNodes: SLAP_PGCC is listed twice (re-issued 2021-01-01) and is one node in force since its first
    start. Starts at 07:00 GMT in April and November 2014 are local midnight PDT, so the Pacific day is the GMT day;
    AGRICO's end 2026-03-01T08:00 GMT is midnight PST, so it is in force up to (not including) 2026-03-01."""
    nodes = {node.node_id: node for node in parse_node_list("caiso-apnodes", CAISO_APNODES,
                                                              (LISTS / CAISO_APNODES).read_text())}
    assert len(nodes) == 9
    assert {node_id for node_id, node in nodes.items() if node.node_type == "TH"} == {
        "TH_NP15_GEN-APND", "TH_SP15_GEN-APND", "TH_ZP26_GEN-APND"}
    pgcc = nodes["SLAP_PGCC-APND"]
    assert (pgcc.node_type, pgcc.valid_from, pgcc.valid_to) == ("LAP", date(2009, 4, 1), None)
    assert pgcc.attributes == {"comments": "re-issued", "cb_node_flag": "Y"}  # the newest row describes it
    pace = nodes["ELAP_PACE-APND"]
    assert (pace.node_type, pace.valid_from, pace.valid_to, pace.zone) == ("DEPZ", date(2014, 11, 1), None, None)
    agrico = nodes["AGRICO_6_PL3N5_APND"]
    assert (agrico.node_type, agrico.valid_from, agrico.valid_to) == ("AG", date(2009, 4, 1), date(2026, 3, 1))
    assert agrico.attributes["max_cb_mw"] == "150"


def test_caiso_apnode_end_between_midnights_counts_its_last_day():
    """An end at 2026-03-01T09:30 GMT (01:30 PST on 1 March) leaves the node in force on 1 March: valid to the 2nd.
    A stamp in year 9999 is an open end; an end before the start is refused with its line and field."""
    header = "APNODE_ID,APNODE_TYPE,EFF_START_DT_GMT,EFF_END_DT_GMT\n"
    nodes = parse_node_list("caiso-apnodes", "a.csv", header + "X-APND,TH,2020-01-01T08:00:00-00:00,"
                            "2026-03-01T09:30:00-00:00\nY-APND,TH,2020-01-01T08:00:00-00:00,9999-12-31T08:00:00-00:00\n")
    assert [(node.node_id, node.valid_from, node.valid_to) for node in nodes] == [
        ("X-APND", date(2020, 1, 1), date(2026, 3, 2)), ("Y-APND", date(2020, 1, 1), None)]
    with pytest.raises(BadInput) as caught:
        parse_node_list("caiso-apnodes", "a.csv", header + "X-APND,TH,2020-01-01T08:00:00-00:00,"
                        "2019-01-01T08:00:00-00:00\n")
    assert (caught.value.line, caught.value.field) == (2, "EFF_END_DT_GMT")


@pytest.mark.parametrize(("kind", "text", "line", "field"), [
    ("ercot-settlement-points", "ELECTRICAL_BUS,SUBSTATION,RESOURCE_NODE,HUB\nB1,S1,RN1,HB_X\n", 1,
     "SETTLEMENT_LOAD_ZONE"),
    ("nyiso-generators", "Generator Name,Generator PTID,Zone\nA,12x,J\n", 2, "Generator PTID"),
    ("isone-locations", '"C","x"\n"D","1"\n', 2, "record type"),
    ("pjm-pnodes", ('{"items": [{"pnode_id": 1, "pnode_name": "A", "pnode_subtype": "HUB", '
                   '"effective_date": "soon", "termination_date": "9999-12-31T00:00:00"}]}'), 1, "effective_date"),
    ("caiso-apnodes", "APNODE_ID,APNODE_TYPE,EFF_START_DT_GMT,EFF_END_DT_GMT\nX-APND,TH,04/01/2009,\n", 2,
     "EFF_START_DT_GMT"),
    ("caiso-apnodes", "APNODE_ID,EFF_START_DT_GMT,EFF_END_DT_GMT\nX-APND,2009-04-01,\n", 1, "APNODE_TYPE"),
])
def test_a_bad_list_names_file_line_and_field(kind, text, line, field):
    with pytest.raises(BadInput) as caught:
        parse_node_list(kind, "list.csv", text)
    assert (caught.value.source, caught.value.line, caught.value.field) == ("list.csv", line, field)


def test_a_newer_list_closes_what_disappeared_and_opens_what_is_new():
    """First June list: everything valid since before it. July drops AJAXWIND_RN (closed 2026-07-01) and adds
    QUEENSOL_RN (valid from 2026-07-01); the 15 others stay open."""
    june = parse_node_list("ercot-settlement-points", ERCOT_JUNE, (LISTS / ERCOT_JUNE).read_text())
    first = plan_reload("ERCOT", "ercot-settlement-points", date(2026, 6, 11), june, {}, first_of_kind=True)
    assert first.opened_count == 16 and first.closes == ()
    assert {node.valid_from for node, _ in first.upserts} == {None}
    stored = {node.node_id: node for node, _ in first.upserts}
    july = parse_node_list("ercot-settlement-points", ERCOT_JULY, (LISTS / ERCOT_JULY).read_text())
    second = plan_reload("ERCOT", "ercot-settlement-points", date(2026, 7, 1), july, stored, first_of_kind=False)
    assert [(node.node_id, node.valid_to) for node in second.closes] == [("AJAXWIND_RN", date(2026, 7, 1))]
    opened = {node.node_id: node.valid_from for node, _ in second.upserts if node.node_id not in stored}
    assert opened == {"QUEENSOL_RN": date(2026, 7, 1)} and second.opened_count == 1


def test_a_node_of_another_list_kind_is_never_closed_and_a_returning_node_reopens():
    zone = StoredNode("NYISO", "61758", "HUD VL", "ZONE", "HUD VL", "nyiso-zones", None, None)
    gone = StoredNode("NYISO", "23589", "ROSETON___1", "GEN", "G", "nyiso-generators", None, date(2026, 1, 1))
    generators = parse_node_list("nyiso-generators", "g.csv", (LISTS / "nyiso_generator.csv").read_text())
    plan = plan_reload("NYISO", "nyiso-generators", date(2026, 2, 1), generators,
                       {"61758": zone, "23589": gone}, first_of_kind=False)
    assert plan.closes == ()
    roseton = next(node for node, _ in plan.upserts if node.node_id == "23589")
    assert roseton.valid_to is None and plan.opened_count == 3  # ROSETON back, ASTORIA and GILBOA new
