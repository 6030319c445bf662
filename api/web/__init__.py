"""Server-rendered finance pages (`/finance/...`): include `router` in the app."""

from fastapi import APIRouter

from api.web import finance, live, routes, shadow, signin, tenant, tenant_emissions

router = APIRouter()
router.include_router(routes.router)  # static files
router.include_router(signin.router)  # sign-in (password, single sign-on, token) and sign-out
router.include_router(finance.router)  # cycles, the decision page, invoices
router.include_router(shadow.router)  # a cycle's shadow market participation, /finance/cycles/{id}/shadow
router.include_router(live.router)  # a campus's live meter channels, /finance/campuses/{id}/live
router.include_router(tenant.router)  # the tenant portal, /tenant/...
router.include_router(tenant_emissions.router)  # its emissions page, /tenant/emissions/{cycle_id}

__all__ = ["router"]
