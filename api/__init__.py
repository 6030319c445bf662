"""The HTTP API: `app.create_app` builds it around an engine and a Temporal client; `main` serves it."""

__all__ = ["app", "main"]
