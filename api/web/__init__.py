"""Server-rendered finance pages (`/finance/...`): include `router` in the app."""

from api.web.routes import router

__all__ = ["router"]
