"""Outgoing webhooks: owners register URLs that receive signed publication events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.config import Settings
from sociable.publish.notify import new_secret, start_cursor
from sociable.store.models import Role
from sociable.store.models.notify import WebhookEndpoint
from sociable.web.api.schemas import HTTP_URL_PATTERN, Problem, RowId
from sociable.web.deps import Principal, require, session_scope
from sociable.web.idempotency import IdempotencyKey, idempotency_key, idempotent

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem},
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
}


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, max_length=2048, pattern=HTTP_URL_PATTERN)
    description: str = Field("", max_length=200)
    allow_private: StrictBool = Field(
        False, description="Deliver to a private address (only if the server allows it)."
    )


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    url: str
    description: str
    active: bool
    cursor: int
    failures: int
    last_delivered_at: datetime | None
    last_error: str | None


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Shown once: verify the Sociable-Signature header with it.")


@router.get("", response_model=list[WebhookOut], responses=ERRORS)
def list_webhooks(
    who: Principal = Depends(require(Role.OWNER)),
    session: Session = Depends(session_scope, scope="function"),
) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.workspace_id == who.workspace_id)
            .order_by(WebhookEndpoint.id)
        )
    )


@router.post("", status_code=201, response_model=WebhookCreated, responses=ERRORS)
def create_webhook(
    body: WebhookIn,
    request: Request,
    who: Principal = Depends(require(Role.OWNER)),
    session: Session = Depends(session_scope, scope="function"),
    idem: IdempotencyKey | None = Depends(idempotency_key),
) -> JSONResponse:
    settings: Settings = request.app.state.settings
    if body.allow_private and not settings.publish.allow_private:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "allow_private: this server does not deliver to private addresses "
            "([publish] allow_private = true enables it)",
        )

    def create() -> WebhookCreated:
        secret = new_secret()
        row = WebhookEndpoint(
            workspace_id=who.workspace_id,
            url=body.url,
            description=body.description,
            secret={"secret": secret},
            allow_private=body.allow_private,
            cursor=start_cursor(session),
            failures=0,
        )
        session.add(row)
        session.flush()
        return WebhookCreated(**WebhookOut.model_validate(row).model_dump(), secret=secret)

    return idempotent(request, session, who, idem, create, secret=("secret",))


@router.delete("/{webhook_id}", status_code=204, response_class=Response, responses=ERRORS)
def delete_webhook(
    webhook_id: RowId,
    who: Principal = Depends(require(Role.OWNER)),
    session: Session = Depends(session_scope, scope="function"),
) -> Response:
    row = session.get(WebhookEndpoint, webhook_id)
    if row is None or row.workspace_id != who.workspace_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such webhook")
    session.delete(row)
    return Response(status_code=204)
