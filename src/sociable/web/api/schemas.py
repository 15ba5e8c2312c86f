"""Pydantic shapes of the API. Secrets never appear in a response model."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from sociable.store.models import Role

#: "No whitespace" that reads the same in Python's regex (which checks the request) and in
#: JSON Schema's ECMA regex (which clients and fuzzers read): each one's ``\s`` has characters
#: the other's lacks (U+001C-001F and U+0085 in Python, U+FEFF in ECMA), so both are named.
NO_SPACE = r"[^\s\x1c-\x1f\x85\ufeff]"
HTTP_URL_PATTERN = rf"^https?://{NO_SPACE}+$"
_NO_AT = r"[^@\s\x1c-\x1f\x85\ufeff]"
EMAIL_PATTERN = rf"^{_NO_AT}+@{_NO_AT}+\.{_NO_AT}+$"

#: A row id in a URL: bounded so a huge number is a 422, not a database integer overflow.
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]

_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _iso_datetime(value: Any) -> Any:
    """Pydantic would read ``0.5`` or ``1700000000`` as a Unix time; the API says ISO 8601."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.match(value):
        raise ValueError("expected an ISO 8601 date-time with an offset, e.g. 2026-12-01T09:00Z")
    return value


#: A date-time as documented (``format: date-time``): ISO 8601 text, never a number.
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]


class FieldProblem(BaseModel):
    field: str = Field(description="The field at fault, e.g. `media[0]` or `query start`.")
    message: str


class Problem(BaseModel):
    detail: str = Field(description="One line a person can act on, naming the field.")
    errors: list[FieldProblem] | None = Field(
        None, description="On a 422: each field at fault (at most 10)."
    )


class MeOut(BaseModel):
    user_id: int
    email: str
    workspace_id: int
    role: Role


class WorkspaceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    slug: str
    name: str
    timezone: str
    site_url: str | None


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    network: str = Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")
    handle: str = Field(min_length=1, max_length=320)
    display_name: str = Field("", max_length=200)
    credentials: dict[str, str] = Field(default_factory=dict, max_length=20)
    settings: dict[str, str | int | bool] = Field(default_factory=dict, max_length=50)


class AccountPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str | None = Field(None, max_length=200)
    credentials: dict[str, str] | None = Field(None, max_length=20)
    settings: dict[str, str | int | bool] | None = Field(None, max_length=50)
    status: str | None = Field(None, pattern=r"^(active|paused)$")


class AccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    network: str
    handle: str
    display_name: str
    settings: dict[str, Any]
    status: str
    has_credentials: bool
    created_at: datetime


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="Shown once; store it now.")


class MemberOut(BaseModel):
    user_id: int
    email: str
    name: str
    role: Role


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)
    role: Role = Role.EDITOR


class InvitationOut(BaseModel):
    id: int
    email: str
    role: Role
    expires_at: datetime
    accept_url: str = Field(description="Shown once: the link to send to the person.")
