"""Personal API tokens: create (shown once), list, revoke."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.store.models.web import ApiToken
from sociable.web.api.schemas import Problem, RowId, TokenCreated, TokenIn, TokenOut
from sociable.web.deps import Principal, principal, session_scope
from sociable.web.idempotency import IdempotencyKey, idempotency_key, idempotent
from sociable.web.security import new_api_token

router = APIRouter(prefix="/tokens", tags=["tokens"])
ERRORS: dict[int | str, dict[str, object]] = {401: {"model": Problem}, 403: {"model": Problem}}


def issue_token(session: Session, user_id: int, workspace_id: int, name: str) -> TokenCreated:
    token, prefix, digest = new_api_token()
    row = ApiToken(
        user_id=user_id, workspace_id=workspace_id, name=name, prefix=prefix, token_hash=digest
    )
    session.add(row)
    session.flush()
    return TokenCreated(**TokenOut.model_validate(row).model_dump(), token=token)


@router.get("", response_model=list[TokenOut], responses=ERRORS)
def list_tokens(
    who: Principal = Depends(principal), session: Session = Depends(session_scope, scope="function")
) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == who.user_id).order_by(ApiToken.id)
        )
    )


@router.post("", status_code=201, response_model=TokenCreated, responses=ERRORS)
def create_token(
    body: TokenIn,
    request: Request,
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
    idem: IdempotencyKey | None = Depends(idempotency_key),
) -> JSONResponse:
    return idempotent(
        request,
        session,
        who,
        idem,
        lambda: issue_token(session, who.user_id, who.workspace_id, body.name),
        secret=("token",),
    )


@router.delete(
    "/{token_id}",
    status_code=204,
    response_class=Response,
    responses={**ERRORS, 404: {"model": Problem}},
)
def revoke_token(
    token_id: RowId,
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> Response:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != who.user_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such token")
    row.revoked_at = row.revoked_at or datetime.now(UTC)
    return Response(status_code=204)
