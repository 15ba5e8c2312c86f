"""Idempotency-Key on POST: a retried request gets the first answer, not a second object."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.store.models.web import IdempotencyRecord
from sociable.web.deps import Principal

MAX_KEY = 255


async def idempotent(
    request: Request,
    session: Session,
    who: Principal,
    create: Callable[[], Any],
    status_code: int = status.HTTP_201_CREATED,
) -> JSONResponse:
    """Run ``create`` once per (user, Idempotency-Key); replay its answer on a retry.

    The same key with a different body is a client error (422), as in Stripe's API.
    """
    key = request.headers.get("idempotency-key")
    if key is None:
        return JSONResponse(jsonable_encoder(create()), status_code=status_code)
    if not key or len(key) > MAX_KEY:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Idempotency-Key: 1 to 255 characters")
    body = await request.body()
    digest = hashlib.sha256(request.url.path.encode() + b"\0" + body).hexdigest()
    found = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == who.user_id, IdempotencyRecord.key == key
        )
    )
    if found is not None:
        if found.request_hash != digest:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                "Idempotency-Key reused with a different request",
            )
        return JSONResponse(
            found.response_body,
            status_code=found.status_code,
            headers={"Idempotent-Replay": "true"},
        )
    payload = jsonable_encoder(create())
    session.add(
        IdempotencyRecord(
            user_id=who.user_id,
            key=key,
            request_hash=digest,
            status_code=status_code,
            response_body=json.loads(json.dumps(payload)),
        )
    )
    session.flush()
    return JSONResponse(payload, status_code=status_code)
