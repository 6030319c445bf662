"""A small campus with two tenants and a battery (charge and discharge meters), as campus file text."""

from __future__ import annotations

BASE = '''
[campus]
id = "store"
name = "Storage campus"
time_zone = "America/Chicago"
iso = "ERCOT"

[[tenants]]
id = "alpha"
name = "Alpha"

[[tenants]]
id = "beta"
name = "Beta"

[[meters]]
id = "GRID-IMP"
role = "grid_import"
unit = "kWh"

[[meters]]
id = "A-LOAD"
role = "tenant_consumption"
unit = "kWh"
tenant = "alpha"

[[meters]]
id = "B-LOAD"
role = "tenant_consumption"
unit = "kWh"
tenant = "beta"

[[meters]]
id = "BESS-CHG"
role = "storage_charge"
unit = "kWh"
rated_kw = 2000

[[meters]]
id = "BESS-DIS"
role = "storage_discharge"
unit = "kWh"
rated_kw = 2000

[[contracts]]
key = "alpha-supply"
kind = "fixed_price"
tenant = "alpha"
versions = [{ effective_from = 2026-01-01, terms = { price_usd_per_mwh = "60.00" } }]

[[contracts]]
key = "beta-supply"
kind = "fixed_price"
tenant = "beta"
versions = [{ effective_from = 2026-01-01, terms = { price_usd_per_mwh = "55.00" } }]
'''

STORAGE = '''
[[storage]]
id = "bess1"
charge_meter = "{charge}"
discharge_meter = "BESS-DIS"
state_of_charge_channel = "soc"
capacity_wh_usable = 8000000
power_kw_rated = 2000
round_trip_efficiency_permille_min = 820
round_trip_efficiency_permille_max = 920
state_of_charge_wh_initial = 4000000
state_of_charge_wh_min = 400000
pool_method = "pro_rata"
losses_key = {{ alpha = 3, beta = 1 }}

[[storage.services]]
id = "alpha-backup"
tenant = "alpha"
reserved_wh = 2000000
fee_usd_per_month = "1250.50"
'''
