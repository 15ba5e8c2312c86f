"""Network accounts: create, read, update, delete. Credentials go in, never come out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sociable.store.models import Account, Role
from sociable.web.api.schemas import AccountIn, AccountOut, AccountPatch, Problem, RowId
from sociable.web.deps import Principal, require, session_scope
from sociable.web.idempotency import IdempotencyKey, idempotency_key, idempotent

router = APIRouter(prefix="/accounts", tags=["accounts"])
ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
}


def _out(account: Account) -> AccountOut:
    return AccountOut(
        id=account.id,
        network=account.network,
        handle=account.handle,
        display_name=account.display_name,
        settings=account.settings,
        status=account.status,
        has_credentials=bool(account.credentials),
        created_at=account.created_at,
    )


def _get(session: Session, who: Principal, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None or account.workspace_id != who.workspace_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such account")
    return account


@router.get("", response_model=list[AccountOut], responses=ERRORS)
def list_accounts(
    who: Principal = Depends(require(Role.VIEWER)),
    session: Session = Depends(session_scope, scope="function"),
) -> list[AccountOut]:
    rows = session.scalars(
        select(Account).where(Account.workspace_id == who.workspace_id).order_by(Account.id)
    )
    return [_out(a) for a in rows]


@router.post(
    "",
    status_code=201,
    response_model=AccountOut,
    responses={**ERRORS, 409: {"model": Problem}},
)
def create_account(
    body: AccountIn,
    request: Request,
    who: Principal = Depends(require(Role.OWNER)),
    session: Session = Depends(session_scope, scope="function"),
    idem: IdempotencyKey | None = Depends(idempotency_key),
) -> JSONResponse:
    def create() -> AccountOut:
        exists = session.scalar(
            select(Account.id).where(
                Account.workspace_id == who.workspace_id,
                Account.network == body.network,
                Account.handle == body.handle,
            )
        )
        if exists is not None:
            raise HTTPException(status.HTTP_409_CONFLICT, "that account is already connected")
        account = Account(
            workspace_id=who.workspace_id,
            network=body.network,
            handle=body.handle,
            display_name=body.display_name,
            credentials=body.credentials or None,
            settings=dict(body.settings),
        )
        session.add(account)
        try:
            session.flush()
        except IntegrityError:
            raise HTTPException(status.HTTP_409_CONFLICT, "that account exists") from None
        return _out(account)

    return idempotent(request, session, who, idem, create)


@router.get("/{account_id}", response_model=AccountOut, responses=ERRORS)
def get_account(
    account_id: RowId,
    who: Principal = Depends(require(Role.VIEWER)),
    session: Session = Depends(session_scope, scope="function"),
) -> AccountOut:
    return _out(_get(session, who, account_id))


@router.patch("/{account_id}", response_model=AccountOut, responses=ERRORS)
def update_account(
    account_id: RowId,
    body: AccountPatch,
    who: Principal = Depends(require(Role.OWNER)),
    session: Session = Depends(session_scope, scope="function"),
) -> AccountOut:
    account = _get(session, who, account_id)
    if body.display_name is not None:
        account.display_name = body.display_name
    if body.credentials is not None:
        account.credentials = body.credentials or None
    if body.settings is not None:
        account.settings = dict(body.settings)
    if body.status is not None:
        account.status = body.status
    session.flush()
    return _out(account)


@router.delete("/{account_id}", status_code=204, response_class=Response, responses=ERRORS)
def delete_account(
    account_id: RowId,
    who: Principal = Depends(require(Role.OWNER)),
    session: Session = Depends(session_scope, scope="function"),
) -> Response:
    session.delete(_get(session, who, account_id))
    return Response(status_code=204)
