"""The HTTP API and web page (``bouncewise serve``; needs the ``web`` extra).

``create_app()`` builds the ASGI application. Nothing here is imported by the core: the web
stack (FastAPI, Starlette, Jinja2) is loaded only when the app is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bouncewise.web.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from fastapi import FastAPI

__all__ = ["Settings", "create_app"]


def create_app(settings: Settings | None = None, **overrides: Any) -> FastAPI:
    """The ASGI app. ``settings`` defaults to ``Settings.from_env()``; keyword overrides
    replace single fields (``create_app(max_body=1024)``)."""
    from bouncewise.web.app import build_app

    return build_app(settings, **overrides)
