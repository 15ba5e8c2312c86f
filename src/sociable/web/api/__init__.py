"""The REST API, /api/v1: JSON in and out, OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from fastapi import APIRouter

from sociable.web.api import (
    accounts,
    analytics,
    audits,
    comments,
    links,
    me,
    posts,
    publications,
    review,
    tokens,
    users,
    webhooks,
)
from sociable.web.api.schemas import Problem

#: Every operation can answer a body it cannot parse (400) or a field that fails
#: validation (422) with a Problem; documented once here so no route forgets it.
router = APIRouter(
    prefix="/api/v1",
    responses={400: {"model": Problem}, 422: {"model": Problem}},
)  # NUL bytes are refused app-wide (web.problems.refuse_nul), for the pages as well
router.include_router(me.router)
router.include_router(accounts.router)
router.include_router(tokens.router)
router.include_router(users.router)
router.include_router(posts.router)
router.include_router(comments.router)
router.include_router(review.router)
router.include_router(publications.router)
router.include_router(webhooks.router)
router.include_router(audits.router)
router.include_router(links.router)
router.include_router(analytics.router)
