"""A webhook receiver inside ``sociable serve --demo-receiver``, to watch posts go out.

It keeps the last posts in memory, drops a repeated Idempotency-Key (so the demo account
can be marked idempotent and retries are safe), and lists what arrived at /demo/received.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.orm import Session

from sociable.web.deps import Principal, principal, session_scope
from sociable.web.pages.render import render

MAX_KEPT = 200
MAX_BODY = 256 * 1024

router = APIRouter(prefix="/demo", include_in_schema=False)


class Inbox:
    def __init__(self) -> None:
        self._items: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, key: str, item: dict[str, Any]) -> tuple[int, bool]:
        with self._lock:
            if key in self._items:
                return list(self._items).index(key) + 1, False
            self._items[key] = item
            while len(self._items) > MAX_KEPT:
                self._items.popitem(last=False)
            return len(self._items), True

    def items(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(reversed(self._items.values()))


@router.post("/receiver")
async def receive(request: Request) -> JSONResponse:
    body = (await request.body())[:MAX_BODY]
    key = request.headers.get("idempotency-key") or f"anon-{len(body)}-{hash(body)}"
    try:
        data = json.loads(body)
    except ValueError:
        return JSONResponse({"detail": "expected JSON"}, status_code=400)
    inbox: Inbox = request.app.state.demo_inbox
    number, _new = inbox.add(
        key,
        {
            "at": datetime.now(UTC),
            "kind": request.headers.get("x-sociable-event", ""),
            "signed": bool(request.headers.get("x-sociable-signature")),
            "data": data,
        },
    )
    base = str(request.base_url).rstrip("/")
    return JSONResponse({"id": key, "url": f"{base}/demo/received#item-{number}"})


@router.get("/received", response_class=HTMLResponse)
def received(
    request: Request,
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> HTMLResponse:
    inbox: Inbox = request.app.state.demo_inbox
    return render(request, "demo_received.html", who=who, session=session, items=inbox.items())
