"""Rules across meters, on hourly sums of validated energy: sub-meters vs main, heat rate, campus balance.

Pure: input is `hourly_wh[meter_id]` (int64 per hour of the period) and the registry; output is counts
of failing hours per rule per meter (the campus balance is reported under the meter id "campus").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from campus import MeterRole, StorageAsset
from meterdata.specs import MeterSpec
from meterdata.storage_checks import StorageCheckLimits, storage_check_counts

BTU_PER_KWH_PER_WH_RATIO_CENTI = 341_214
"""Heat rate in Btu/kWh = (fuel Wh thermal / electric Wh) x 3412.14 (Btu per kWh); here x 100."""
CAMPUS = "campus"


@dataclass(frozen=True)
class CrossCheckLimits:
    submeter_tolerance_permille: int = 20
    submeter_floor_wh: int = 1000
    heat_rate_btu_per_kwh_min: int = 5_000
    heat_rate_btu_per_kwh_max: int = 16_000
    balance_loss_permille: int = 10
    """Expected losses (transformers, cables) as a share of supply."""
    balance_tolerance_permille: int = 30
    balance_floor_wh: int = 10_000


def cross_check_counts(
    hourly_wh: Mapping[str, np.ndarray], meters: Mapping[str, MeterSpec], limits: CrossCheckLimits,
    storage: Sequence[StorageAsset] = (),
) -> dict[str, dict[str, int]]:
    counts = {
        "submeter_sum": submeter_sum_counts(hourly_wh, meters, limits),
        "heat_rate": heat_rate_counts(hourly_wh, meters, limits),
        "campus_balance": campus_balance_counts(hourly_wh, meters, limits),
    }
    if storage:
        counts.update(storage_check_counts(hourly_wh, storage, StorageCheckLimits()))
    return counts


def submeter_sum_counts(
    hourly_wh: Mapping[str, np.ndarray], meters: Mapping[str, MeterSpec], limits: CrossCheckLimits
) -> dict[str, int]:
    children: dict[str, list[str]] = {}
    for spec in meters.values():
        if spec.parent_meter_id is not None and spec.meter_id in hourly_wh:
            children.setdefault(spec.parent_meter_id, []).append(spec.meter_id)
    counts: dict[str, int] = {}
    for parent, kids in sorted(children.items()):
        if parent not in hourly_wh:
            continue
        main_wh = hourly_wh[parent]
        sum_wh = np.sum([hourly_wh[kid] for kid in kids], axis=0)
        allowed_wh = np.abs(main_wh) * limits.submeter_tolerance_permille // 1000 + limits.submeter_floor_wh
        counts[parent] = int(np.count_nonzero(np.abs(sum_wh - main_wh) > allowed_wh))
    return counts


def generator_for_fuel_meter(spec: MeterSpec, meters: Mapping[str, MeterSpec]) -> str | None:
    """The named generator, else the generation meter sharing the fuel meter's prefix (GT1-FUEL -> GT1-GEN)."""
    if spec.generator_meter_id is not None:
        return spec.generator_meter_id
    prefix = spec.meter_id.rsplit("-", 1)[0]
    matches = [m.meter_id for m in meters.values() if m.role == MeterRole.GENERATION and m.meter_id.rsplit("-", 1)[0] == prefix]
    return matches[0] if len(matches) == 1 else None


def heat_rate_counts(
    hourly_wh: Mapping[str, np.ndarray], meters: Mapping[str, MeterSpec], limits: CrossCheckLimits
) -> dict[str, int]:
    counts: dict[str, int] = {}
    for spec in sorted(meters.values(), key=lambda m: m.meter_id):
        generator = generator_for_fuel_meter(spec, meters) if spec.role == MeterRole.FUEL else None
        if generator is None or spec.meter_id not in hourly_wh or generator not in hourly_wh:
            continue
        fuel_wh = hourly_wh[spec.meter_id]
        electric_wh = hourly_wh[generator]
        running = electric_wh > 0
        # Integer form of min <= fuel/electric x 3412.14 <= max (centi-Btu per Wh to stay exact).
        fuel_centi = fuel_wh * BTU_PER_KWH_PER_WH_RATIO_CENTI
        too_low = fuel_centi < electric_wh * limits.heat_rate_btu_per_kwh_min * 100
        too_high = fuel_centi > electric_wh * limits.heat_rate_btu_per_kwh_max * 100
        implausible = running & (too_low | too_high)
        # Fuel burnt with no output is just as implausible.
        implausible |= ~running & (fuel_wh > 0)
        counts[spec.meter_id] = int(np.count_nonzero(implausible))
    return counts


def campus_balance_counts(
    hourly_wh: Mapping[str, np.ndarray], meters: Mapping[str, MeterSpec], limits: CrossCheckLimits
) -> dict[str, int]:
    """generation + import + discharge - export - tenant - shared - charge - losses, per hour, within a tolerance
    of supply (docs/storage.md)."""
    sign_by_role: dict[str, int] = {MeterRole.GENERATION: 1, MeterRole.GRID_IMPORT: 1, MeterRole.EXPORT: -1, MeterRole.TENANT: -1,
                    MeterRole.SHARED: -1, MeterRole.STORAGE_DISCHARGE: 1, MeterRole.STORAGE_CHARGE: -1}
    lengths = {len(series) for series in hourly_wh.values()}
    if not hourly_wh or len(lengths) != 1:
        return {}
    hours = lengths.pop()
    supply_wh = np.zeros(hours, np.int64)
    residual_wh = np.zeros(hours, np.int64)
    roles_seen: set[str] = set()
    for meter_id, series in hourly_wh.items():
        spec = meters[meter_id]
        # Sub-meters are already inside their main meter's reading.
        if spec.role not in sign_by_role or spec.parent_meter_id is not None:
            continue
        roles_seen.add(spec.role)
        residual_wh += sign_by_role[spec.role] * series
        if sign_by_role[spec.role] > 0:
            supply_wh += series
    sources, uses = {MeterRole.GENERATION, MeterRole.GRID_IMPORT}, {MeterRole.TENANT, MeterRole.SHARED}
    if not roles_seen & sources or not roles_seen & uses:
        return {}
    residual_wh -= supply_wh * limits.balance_loss_permille // 1000
    allowed_wh = supply_wh * limits.balance_tolerance_permille // 1000 + limits.balance_floor_wh
    return {CAMPUS: int(np.count_nonzero(np.abs(residual_wh) > allowed_wh))}
