"""Node registry per ISO: settlement points, zones and hubs from each ISO's published lists, with validity dates.

Pure: `parse` (one reader per list kind, over `csv_rows`; CAISO's ATL_APNODE in `caiso_atlas`; ISO-NE's C/H/D/T
layout is read by `market_adapters.isone`), `versions` (what a reload opens and closes), `model`. SQL: `repository`. Unit of work: `service`. `campus_check` is the campus
file's settlement point against the registry, run at campus plan and apply.
"""

from market_adapters.nodes.campus_check import active_period_days, check_settlement_node, in_force_over
from market_adapters.nodes.model import PublishedNode, StoredNode
from market_adapters.nodes.parse import LIST_ISOS, list_day_from_name, parse_node_list
from market_adapters.nodes.service import NodeListLoad, list_nodes, load_node_list, node_lists, show_node
from market_adapters.nodes.versions import ReloadPlan, plan_reload

NODE_LIST_KINDS = tuple(LIST_ISOS)

__all__ = [
    "LIST_ISOS",
    "NODE_LIST_KINDS",
    "NodeListLoad",
    "PublishedNode",
    "ReloadPlan",
    "StoredNode",
    "active_period_days",
    "check_settlement_node",
    "in_force_over",
    "list_day_from_name",
    "list_nodes",
    "load_node_list",
    "node_lists",
    "parse_node_list",
    "plan_reload",
    "show_node",
]
