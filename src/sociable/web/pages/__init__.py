"""Server-rendered pages (Jinja2 + HTMX); readable without JavaScript."""

from __future__ import annotations

from fastapi import APIRouter

from sociable.web.pages import analytics, audits, auth, calendar, compose, home, links, review

router = APIRouter(include_in_schema=False)
router.include_router(auth.router)
router.include_router(home.router)
router.include_router(compose.router)
router.include_router(calendar.router)
router.include_router(review.router)
router.include_router(audits.router)
router.include_router(links.router)
router.include_router(analytics.router)
