"""Who is calling: the subject, their roles and, for tenants, the one tenant they may see.

The app's authenticator (see `api.app.create_app`) turns a request into a Principal; routes state the
roles they accept with `principal.require(...)`, which raises 403 for anyone else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import HTTPException

ROLES = frozenset({"operator", "finance", "auditor", "tenant", "ingest"})


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str] = field(default_factory=frozenset)
    tenant_id: str | None = None

    def require(self, *accepted: str) -> None:
        assert set(accepted) <= ROLES, f"unknown role in {accepted}"
        if not self.roles & set(accepted):
            raise HTTPException(status_code=403, detail=f"requires one of the roles: {', '.join(accepted)}")

    @property
    def decision_role(self) -> str:
        """The role the workflow's approval validator checks: 'finance' when the caller holds it."""
        return "finance" if "finance" in self.roles else next(iter(sorted(self.roles)), "none")
