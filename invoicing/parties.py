"""The parties an invoice names, from the campus model: the tenant's legal name and billing address, the
campus's legal entity as issuer, the remit-to address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from campus import campus_address, load_campus, load_tenants
from invoicing.document import Parties


@dataclass(frozen=True)
class TenantParty:
    name: str
    """The tenant's display name (documents keep it as `tenant_name`)."""
    parties: Parties | None
    invoice_prefix: str | None = None
    """The tenant's own invoice number series, if the campus file gives one."""


def campus_parties(conn: Connection, campus_id: str) -> dict[str, TenantParty]:
    """Per tenant of the campus, what its invoices print."""
    campus = load_campus(conn, campus_id)
    issuer_address = campus_address(conn, campus_id)
    return {tenant.tenant_id: TenantParty(tenant.name, Parties(campus.legal_entity, tenant.legal_name or tenant.name,
                                                               tenant.billing_address, tenant.remit_to,
                                                               issuer_address, campus.time_zone),
                                          tenant.invoice_prefix)
            for tenant in load_tenants(conn, campus_id)}


def party_of_document(document: dict[str, Any], tenant_id: str) -> TenantParty:
    """A rebill names the parties its cancelled original named (the same facts, even if the campus file has
    changed since)."""
    bill_to = document.get("bill_to")
    parties = None if bill_to is None else Parties(document.get("issuer_legal_entity"), bill_to["name"],
                                                     bill_to.get("address"), document.get("remit_to"),
                                                     document.get("issuer_address"), document.get("time_zone"))
    return TenantParty(document.get("tenant_name", tenant_id), parties)
