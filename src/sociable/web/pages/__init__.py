"""Server-rendered pages (Jinja2 + HTMX); readable without JavaScript."""

from __future__ import annotations

from fastapi import APIRouter

from sociable.web.pages import auth, home

router = APIRouter(include_in_schema=False)
router.include_router(auth.router)
router.include_router(home.router)
