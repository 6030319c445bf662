"""Annual take-or-pay, reconciled once a contract year ends (pure).

A tenant-bought PPA with `take_or_pay_mwh_per_contract_year` records, every period, zero-dollar lines of the Wh it
counts toward each contract year's minimum (delivered + deemed; clause `ppa.take_or_pay_annual.counted:<key>:
year<y>`). The period holding a contract year's last local day posts the reconciliation as its own line (clause
`ppa.take_or_pay_annual`): the minimum less everything counted in that year, i.e. what earlier periods recorded
(`counted_before_wh`, read by the service from recorded settlements) plus what this period counts, priced by the
contract version in force on the year's last day (its named shortfall price, else the year's escalated price).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from settlement.contracts import (
    KIND_PPA,
    ContractVersion,
    annual_counted_clause,
    annual_take_or_pay_charge,
    days_by_contract_year,
    last_day_of_contract_year,
    ppa_terms,
)
from settlement.engine.lines import TenantCharge, from_contract, number_lines
from settlement.engine.segments import ContractSegment
from settlement.types import SettlementResult, with_lines_after_each_tenant


def add_annual_reconciliation(result: SettlementResult, segments: Sequence[ContractSegment],
                              counted_before_wh: Mapping[str, int]) -> SettlementResult:
    """`result` with a line per contract year that ends inside the period and fell short of its annual minimum,
    after the buyer's other lines; unchanged when no contract year ends here."""
    counted_now: dict[str, int] = {}
    for line in result.lines:
        counted_now[line.clause] = counted_now.get(line.clause, 0) + line.quantity_wh
    charges: list[TenantCharge] = []
    for segment in segments:
        for contract, year in _years_ending_in(segment):
            clause = annual_counted_clause(contract.contract_key, year)
            counted_wh = counted_before_wh.get(clause, 0) + counted_now.get(clause, 0)
            charge = annual_take_or_pay_charge(ppa_terms(contract).ppa, year, counted_wh)
            if charge is not None:
                assert contract.tenant_id is not None, "an annual minimum is refused without a buyer"
                ending = last_day_of_contract_year(ppa_terms(contract).ppa.first_delivery, year)
                charge = replace(charge, description=f"{charge.description} (year ending {ending.isoformat()})")
                charges.append(from_contract(contract.tenant_id, charge, contract, result.intervals_sha256_hex))
    if not charges:
        return result
    return with_lines_after_each_tenant(result, number_lines(charges))


def _years_ending_in(segment: ContractSegment) -> list[tuple[ContractVersion, int]]:
    """(contract, contract year) for each annual-minimum PPA of the segment whose contract year's last local day is
    one of the segment's days."""
    found = []
    for contract in segment.contracts:
        if contract.kind != KIND_PPA or contract.tenant_id is None:
            continue
        terms = ppa_terms(contract).ppa
        if terms.take_or_pay_mwh_per_contract_year is None:
            continue
        # The contract year in force on the segment's first day is the only one that can end inside it (a segment
        # is at most a billing period, shorter than a year).
        year = next(iter(days_by_contract_year([segment.first_day], terms.first_delivery)))
        if last_day_of_contract_year(terms.first_delivery, year) <= segment.last_day:
            found.append((contract, year))
    return found
