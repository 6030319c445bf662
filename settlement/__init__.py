"""Settlement: contracts, tariffs, PPAs, allocation and price series turn interval energy into money.

Subpackages by capability: `settlement.tariffs` (URDB rates and the bill calculator), `settlement.contracts`
(contract kinds, terms, their repository and service) and `settlement.engine` (the campus engine). This package
holds what they share (`types`, `errors`, `money`, `allocation`, `hashing`) and the service over them.

Public names: `allocate_largest_remainder` (exact integer split by weights) and `apportion_exact` (exact
amounts rounded to integers that add up to their total rounded once); the service entry points `settle_cycle`,
`record_settlement` and `record_delta` (corrections as differences only; `preview_delta` computes one without
recording it) with their result types; `result_sha256_hex`, the fingerprint a recorded result is compared by;
`add_contract` and `list_contracts`, a campus's contract versions; `previous_storage_pools`, the batteries' pools a
period opens with. Three modules are public by name: `storage_pool`
(the charging-source pool behind a battery, whose lots carry cost and carbon alike), `storage_hours` (a battery's
hours from validated intervals, run through the pool) and `storage_lines` (its billed lines and the storage
service's fixed charge).
"""

from typing import TYPE_CHECKING

from common.lazy_names import lazy_names

if TYPE_CHECKING:
    from settlement.allocation import allocate_largest_remainder, apportion_exact
    from settlement.campus_contracts import add_contract, list_contracts
    from settlement.errors import AllocationWeightsInvalid, ContractMissing, MeterUnknown, PriceMissing
    from settlement.repository import SettlementAlreadyRecorded, previous_storage_pools, result_sha256_hex
    from settlement.service import (
        CycleNotSettled,
        DeltaSettlement,
        preview_delta,
        record_delta,
        record_settlement,
        record_settlement_or_delta,
        settle_cycle,
    )
    from settlement.types import EnergyBalance, SettlementLine, SettlementResult

# Names load from their homes when first used, so importing one subpackage (`settlement.tariffs` for the tariff
# calculator) does not load the engine, numba and SQLAlchemy.
_HOMES = {
    "allocate_largest_remainder": "settlement.allocation",
    "apportion_exact": "settlement.allocation",
    "add_contract": "settlement.campus_contracts",
    "list_contracts": "settlement.campus_contracts",
    "AllocationWeightsInvalid": "settlement.errors",
    "ContractMissing": "settlement.errors",
    "MeterUnknown": "settlement.errors",
    "PriceMissing": "settlement.errors",
    "SettlementAlreadyRecorded": "settlement.repository",
    "result_sha256_hex": "settlement.repository",
    "previous_storage_pools": "settlement.repository",
    "CycleNotSettled": "settlement.service",
    "DeltaSettlement": "settlement.service",
    "preview_delta": "settlement.service",
    "record_delta": "settlement.service",
    "record_settlement": "settlement.service",
    "record_settlement_or_delta": "settlement.service",
    "settle_cycle": "settlement.service",
    "EnergyBalance": "settlement.types",
    "SettlementLine": "settlement.types",
    "SettlementResult": "settlement.types",
}


__getattr__ = lazy_names("settlement", _HOMES)


__all__ = [
    "AllocationWeightsInvalid",
    "ContractMissing",
    "CycleNotSettled",
    "DeltaSettlement",
    "EnergyBalance",
    "MeterUnknown",
    "PriceMissing",
    "SettlementAlreadyRecorded",
    "SettlementLine",
    "SettlementResult",
    "add_contract",
    "allocate_largest_remainder",
    "apportion_exact",
    "list_contracts",
    "preview_delta",
    "previous_storage_pools",
    "record_delta",
    "record_settlement",
    "record_settlement_or_delta",
    "result_sha256_hex",
    "settle_cycle",
    "storage_hours",
    "storage_lines",
    "storage_pool",
]
