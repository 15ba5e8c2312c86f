"""Request validation errors as the API's documented Problem body (``detail`` is one string).

FastAPI's default 422 body is a list of pydantic errors under ``detail``; ours says in one
line which field is wrong and why, and keeps the list, flattened, under ``errors``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fastapi import HTTPException, Request, status
from starlette.datastructures import FormData

MAX_ERRORS = 10


def field_name(loc: Sequence[str | int]) -> str:
    """``("body", "media", 0)`` -> ``media[0]``; ``("query", "start")`` -> ``query start``."""
    where, *path = [*loc] or ["body"]
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    if where == "body":
        return name or "body"
    return f"{where} {name}".strip()


def validation_problem(errors: Sequence[Any]) -> dict[str, Any]:
    """The Problem body for pydantic ``errors`` (dicts with ``loc`` and ``msg``)."""
    flat = [
        {"field": field_name(e.get("loc", ())), "message": str(e.get("msg", "invalid"))}
        for e in list(errors)[:MAX_ERRORS]
    ]
    if not flat:
        return {"detail": "invalid request", "errors": []}
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in flat)
    return {"detail": detail, "errors": flat}


def _nul_path(value: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    """The location of the first string (or key) holding a NUL character, if any."""
    if isinstance(value, str):
        return loc if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key):
                return (*loc, str(key))
            found = _nul_path(item, (*loc, str(key)))
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_path(item, (*loc, i))
            if found:
                return found
    return None


async def refuse_nul(request: Request) -> None:
    """A 400 naming the field for a NUL character in a path, query or body field.

    PostgreSQL cannot store NUL in text, and no field of ours means one; refusing it here,
    once for every route of the app (API and pages alike), keeps it from ever reaching a
    query or a row. It is a 400, not a 422: the value fits the documented schema (a
    string), our rule refuses it. Form bodies (the pages' posts, uploads included) are
    read with ``request.form()``, which Starlette keeps, so the route reads the same form
    again for free; an uploaded file's bytes may hold NUL (images do), its name may not.
    """
    for name, value in request.path_params.items():
        if isinstance(value, str) and "\x00" in value:
            _refuse(("path", name))
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            _refuse(("query", name.replace("\x00", "")))
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(FORM_TYPES):
        _refuse_nul_in_form(await request.form())
        return
    if "json" not in content_type:
        return
    body = await request.body()
    if b"\\u0000" not in body and b"\x00" not in body:
        return
    try:
        data = json.loads(body)
    except ValueError:
        return  # FastAPI answers the malformed body itself
    found = _nul_path(data, ("body",))
    if found:
        _refuse(found)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refuse_nul_in_form(form: FormData) -> None:
    for name, value in form.multi_items():
        if "\x00" in name:
            _refuse(("body", name))
        if isinstance(value, str):
            if "\x00" in value:
                _refuse(("body", name))
        elif "\x00" in (value.filename or ""):
            _refuse(("body", name))


def _refuse(loc: tuple[str | int, ...]) -> None:
    field = field_name(loc).replace("\x00", "")
    raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{field}: contains a NUL character (\\0)")
