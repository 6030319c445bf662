"""Server-rendered finance pages (`/finance/...`): include `router` in the app."""

from fastapi import APIRouter

from api.web import finance, routes

router = APIRouter()
router.include_router(routes.router)  # static files, sign-in and sign-out
router.include_router(finance.router)  # cycles, the decision page, invoices

__all__ = ["router"]
