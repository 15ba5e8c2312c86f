"""Idempotency-Key on POST: a retried request gets the first answer, not a second object.

Replay records keep no secret. A route whose answer carries one (an API token, a webhook's
signing secret, an invitation link) names those fields: they are left out of the record,
and a retry of such a request is refused (409) with the id of what the first request
created, instead of handing the secret out again (perhaps after it was revoked). Records
are kept for :data:`KEEP_FOR`; an older key starts afresh.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import HTTPException, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sociable.store.base import utcnow
from sociable.store.models.web import IdempotencyRecord
from sociable.web.deps import Principal

MAX_KEY = 255
KEEP_FOR = timedelta(hours=24)
PURGE_EVERY = 600.0  # seconds between two sweeps of expired records by one process


@dataclass(frozen=True)
class IdempotencyKey:
    """A request's Idempotency-Key and the digest of its path and body."""

    key: str
    digest: str


async def idempotency_key(request: Request) -> IdempotencyKey | None:
    """Read the key and the body here, on the event loop, so the route can be a plain
    ``def`` that does its database work in the thread pool."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not key or len(key) > MAX_KEY:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Idempotency-Key: 1 to 255 characters")
    body = await request.body()
    digest = hashlib.sha256(request.url.path.encode() + b"\0" + body).hexdigest()
    return IdempotencyKey(key, digest)


class Purger:
    """Says when this process should sweep every expired record (not on each request)."""

    def __init__(self, every: float = PURGE_EVERY) -> None:
        self.every = every
        self._lock = threading.Lock()
        self._last = float("-inf")

    def due(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._last < self.every:
                return False
            self._last = now
            return True


def idempotent(
    request: Request,
    session: Session,
    who: Principal,
    idem: IdempotencyKey | None,
    create: Callable[[], Any],
    status_code: int = status.HTTP_201_CREATED,
    *,
    secret: Collection[str] = (),
) -> JSONResponse:
    """Run ``create`` once per (user, Idempotency-Key); replay its answer on a retry.

    The same key with a different body is a client error (422), as in Stripe's API. The
    fields named in ``secret`` are never stored: a retry of that request is a 409.
    """
    if idem is None:
        return JSONResponse(jsonable_encoder(create()), status_code=status_code)
    expired = IdempotencyRecord.created_at < utcnow() - KEEP_FOR
    purger: Purger = request.app.state.idempotency_purger
    mine = (IdempotencyRecord.user_id == who.user_id, IdempotencyRecord.key == idem.key)
    session.execute(delete(IdempotencyRecord).where(expired, *(() if purger.due() else mine)))
    found = session.scalar(select(IdempotencyRecord).where(*mine))
    if found is not None:
        if found.request_hash != idem.digest:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                "Idempotency-Key reused with a different request",
            )
        if secret:
            ref = (found.response_body or {}).get("id")
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"Idempotency-Key already used: the first request created id {ref}, whose "
                f"{' and '.join(sorted(secret))} is shown only once and is not kept; if that "
                "answer was lost, remove it and create another",
            )
        return JSONResponse(
            found.response_body,
            status_code=found.status_code,
            headers={"Idempotent-Replay": "true"},
        )
    payload = jsonable_encoder(create())
    kept = {k: v for k, v in payload.items() if k not in secret} if secret else payload
    session.add(
        IdempotencyRecord(
            user_id=who.user_id,
            key=idem.key,
            request_hash=idem.digest,
            status_code=status_code,
            response_body=json.loads(json.dumps(kept)),
        )
    )
    try:
        session.flush()
    except IntegrityError:  # the same key, sent again while the first was still running
        raise HTTPException(
            status.HTTP_409_CONFLICT, "Idempotency-Key: a request with this key is in progress"
        ) from None
    return JSONResponse(payload, status_code=status_code)
