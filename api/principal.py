"""Who is calling: the subject, their roles and, for tenants, the tenant and the campuses it is billed by.

A tenant id is unique only within a campus (`tenant` has the key (campus_id, tenant_id)), so a tenant
principal is bound to its tenant id *and* the campuses it may see: `may_read_tenant(campus, tenant)`.

The app's authenticator (see `api.app.create_app`) turns a request into a Principal; routes state the
roles they accept with `principal.require(...)`, which raises 403 for anyone else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import HTTPException

from accounts import ROLES

__all__ = ["ROLES", "TENANT_READER_STAFF_ROLES", "Principal"]  # ROLES re-exported: callers name the roles here

# The five roles are defined once, with the user accounts that hold them (`accounts.ROLES`).
# Staff roles that read every tenant's documents.
TENANT_READER_STAFF_ROLES = frozenset({"operator", "finance", "auditor"})


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str] = field(default_factory=frozenset)
    tenant_id: str | None = None
    # For a tenant: the campuses billing it that it may see (a tenant billed by several campuses has several).
    campus_ids: frozenset[str] = field(default_factory=frozenset)

    def require(self, *accepted: str) -> None:
        assert set(accepted) <= ROLES, f"unknown role in {accepted}"
        if not self.roles & set(accepted):
            raise HTTPException(status_code=403, detail=f"requires one of the roles: {', '.join(accepted)}")

    def may_read_tenant(self, campus_id: str, tenant_id: str) -> bool:
        """Staff read every tenant; a tenant reads its own tenant id on the campuses it is bound to."""
        if self.roles & TENANT_READER_STAFF_ROLES:
            return True
        return "tenant" in self.roles and self.tenant_id == tenant_id and campus_id in self.campus_ids

    @property
    def decision_role(self) -> str:
        """The role the workflow's approval validator checks: 'finance' when the caller holds it."""
        return "finance" if "finance" in self.roles else next(iter(sorted(self.roles)), "none")
