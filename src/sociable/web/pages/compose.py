"""The composer: write once, see each account's variant, counts, findings and link cards.

One form, readable without JavaScript: every button submits it with an ``action`` (check,
upload, fit, remove a medium, save a draft, send for review, schedule, queue) and the page
comes back with what was typed. With JavaScript, HTMX posts the form to ``/compose/check``
while typing and swaps in the live panel. Every check is the content layer's
(:func:`sociable.content.lint.lint_post`, :func:`sociable.content.adapt.adapt_post`), every
write the publish layer's (:func:`sociable.publish.posts.create_post`); a UserError rolls
the whole post back and is shown next to the field it names.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import imagesize
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from sociable import locale
from sociable.analytics.suggest import Suggestion, suggest
from sociable.clock import zone
from sociable.config import Settings
from sociable.content.adapt import adapt_post
from sociable.content.lint import lint_post, lint_variant
from sociable.content.media import fit_media
from sociable.content.platforms import load_platforms
from sociable.content.post import PostInput
from sociable.errors import UserError
from sociable.publish import posts as domain
from sociable.publish.compose import Composed, refusals
from sociable.publish.media_source import workspace_media, workspace_media_dir
from sociable.publish.spec import spec_from_mapping
from sociable.publish.when import parse_when
from sociable.store.models import Account, MediaAsset, Role, Workspace
from sociable.store.models.publish import Post
from sociable.web import linkpreview, reviews
from sociable.web.deps import Principal, read_scope, require, session_scope
from sociable.web.pages.render import render

router = APIRouter()

TEXT_MAX = 100_000
MAX_UPLOAD = 200 * 1024 * 1024
MAX_MEDIA = 10
UPLOAD_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".heif", ".mp4", ".mov", ".m4v", ".webm"}
)
# What ``fit_media`` repairs: format, bytes, dimensions, shape, rotation, frames, pixels, crop.
FIT_FIXES = frozenset(
    {"POST302", "POST303", "POST304", "POST305", "POST306", "POST307", "POST308", "POST309"}
)
FIELDS = ("text", "accounts", "when", "link", "first_comment", "labels", "campaign", "media")
_URL = re.compile(r"https?://[^\s<>\"']+(?=\s)")  # finished: a space follows


@dataclass
class Draft:
    """What the form holds; all strings as typed, so a failed save gives them back."""

    text: str = ""
    account_ids: list[int] = field(default_factory=list)
    when: str = ""
    link: str = ""
    first_comment: str = ""
    labels: str = ""
    campaign: str = ""
    media_ids: list[int] = field(default_factory=list)
    alts: dict[int, str] = field(default_factory=dict)
    post_id: int | None = None  # editing this draft (its accounts stay)

    @property
    def label_list(self) -> list[str]:
        return [x.strip() for x in self.labels.split(",") if x.strip()]


def is_id(value: str) -> bool:
    """A database id as typed: ASCII digits ("²".isdigit() is true, int("²") fails)."""
    return 0 < len(value) <= 10 and value.isascii() and value.isdigit()


def _str(form: FormData, name: str, limit: int) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _ints(form: FormData, name: str) -> list[int]:
    out = []
    for value in form.getlist(name)[:50]:
        if isinstance(value, str) and is_id(value):
            out.append(int(value))
    return list(dict.fromkeys(out))


def read_draft(form: FormData) -> Draft:
    media_ids = _ints(form, "media_id")[:MAX_MEDIA]
    return Draft(
        text=_str(form, "text", TEXT_MAX),
        account_ids=_ints(form, "account"),
        when=_str(form, "when", 80).strip(),
        link=_str(form, "link", 2048).strip(),
        first_comment=_str(form, "first_comment", 10_000),
        labels=_str(form, "labels", 1000),
        campaign=_str(form, "campaign", 200).strip(),
        media_ids=media_ids,
        post_id=int(raw) if is_id(raw := _str(form, "post_id", 12)) else None,
        alts={i: _str(form, f"alt_{i}", 2000) for i in media_ids},
    )


def _accounts(session: Session, workspace_id: int) -> list[Account]:
    return list(
        session.scalars(
            select(Account)
            .where(Account.workspace_id == workspace_id)
            .order_by(Account.network, Account.handle)
        )
    )


def _media(session: Session, workspace_id: int, ids: list[int]) -> list[MediaAsset]:
    if not ids:
        return []
    rows = {
        m.id: m
        for m in session.scalars(
            select(MediaAsset).where(
                MediaAsset.workspace_id == workspace_id, MediaAsset.id.in_(ids)
            )
        )
    }
    return [rows[i] for i in ids if i in rows]


def _link_of(draft: Draft) -> str | None:
    if draft.link:
        return draft.link
    found = _URL.search(draft.text)
    return found.group(0).rstrip(".,;:!?)") if found else None


def live_view(
    session: Session, workspace: Workspace, draft: Draft, settings: Settings
) -> list[dict[str, Any]]:
    """One tab per chosen account: its variant, its count, its findings, its link card."""
    accounts = [a for a in _accounts(session, workspace.id) if a.id in draft.account_ids]
    if not accounts:
        return []
    table = load_platforms(settings.platforms or None)
    media = _media(session, workspace.id, draft.media_ids)
    post = PostInput(
        text=draft.text,
        media=[m.path for m in media],
        alt=[draft.alts.get(m.id, m.alt_text) for m in media],
        link=draft.link or None,
        first_comment=draft.first_comment or None,
        campaign=draft.campaign or None,
    )
    networks = sorted({a.network.lower() for a in accounts if a.network.lower() in table})
    report = variants = None
    problem = None
    if networks:
        try:
            report = lint_post(post, networks, platforms=table)
            variants = adapt_post(post, networks, handles=settings.handles, platforms=table)
        except UserError as exc:
            problem = str(exc)
    link = _link_of(draft)
    cards = linkpreview.link_cards(link, settings) if link and draft.text.strip() else None
    tabs = []
    for account in accounts:
        net = account.network.lower()
        tab: dict[str, Any] = {
            "id": account.id,
            "label": f"{account.network}:{account.handle}",
            "network": net,
            "known": net in table,
            "problem": problem,
        }
        composed = Composed(text=post.text, first_comment=post.first_comment)
        if report is not None and variants is not None and net in variants:
            # What is checked is what will go out; the source's other findings come apart.
            variant = variants[net]
            source = [f for f in report.findings if f.network in (net, "*")]
            checked = lint_variant(variant, platforms=table, source=report)
            tab["count"] = report.networks[net]
            tab["findings"] = checked.findings
            tab["source_findings"] = [f for f in source if f not in checked.findings]
            tab["variant"] = variant
            thread = variant.thread or [variant.text]
            composed = Composed(thread[0], thread[1:], variant.first_comment)
        elif report is not None and net in report.networks:
            # No variant could be made (the problem says why): the source's findings stand.
            tab["count"] = report.networks[net]
            tab["findings"] = [f for f in report.findings if f.network in (net, "*")]
        composed.media = [{"path": m.path, "mime_type": m.mime_type} for m in media]
        tab["refusals"] = refusals(net, composed, table)
        findings = tab.get("findings", [])
        tab["errors"] = len(tab["refusals"]) + sum(
            1 for f in findings if f.severity.value == "error"
        )
        tab["fixable"] = media if any(f.code in FIT_FIXES for f in findings) else []
        card_net = linkpreview.card_network(net)
        if cards is not None:
            tab["card_error"] = cards.get("error")
            tab["card"] = cards.get("cards", {}).get(card_net) if card_net else None
            tab["card_none"] = card_net is None
        tabs.append(tab)
    return tabs


def _page(
    request: Request,
    who: Principal,
    session: Session,
    draft: Draft,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    workspace = session.get(Workspace, who.workspace_id)
    assert workspace is not None
    settings: Settings = request.app.state.settings
    return render(
        request,
        "compose.html",
        who=who,
        session=session,
        workspace=workspace,
        draft=draft,
        accounts=_accounts(session, workspace.id),
        media=_media(session, workspace.id, draft.media_ids),
        tabs=live_view(session, workspace, draft, settings),
        suggestions=suggested_times(session, workspace, draft),
        errors=errors or {},
        status_code=status_code,
    )


def suggested_times(session: Session, workspace: Workspace, draft: Draft) -> list[Suggestion]:
    """The best free hours of the next week for the chosen accounts (best times)."""
    chosen = [a for a in _accounts(session, workspace.id) if a.id in draft.account_ids]
    return suggest(session, workspace, chosen, now=datetime.now(UTC), count=5)


@router.get("/compose", response_class=HTMLResponse)
def compose_page(
    request: Request,
    post: int | None = Query(None, ge=1, le=2**31 - 1),
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> HTMLResponse:
    if post is not None:
        try:
            editing = _editable(session, who, post)
        except UserError as exc:
            errors = {"form": str(exc)}
            return _page(request, who, session, Draft(), errors=errors, status_code=400)
        return _page(request, who, session, draft_of(session, editing))
    draft = Draft()
    accounts = _accounts(session, who.workspace_id)
    if len(accounts) == 1:
        draft.account_ids = [accounts[0].id]
    return _page(request, who, session, draft)


def _editable(session: Session, who: Principal, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None or post.workspace_id != who.workspace_id:
        raise UserError(f"post {post_id}: no such post in this workspace")
    if post.approval not in reviews.SUBMITTABLE or domain.publications_of(post):
        raise UserError(
            f"post {post_id} is {post.approval.replace('_', ' ')}; only drafts and posts "
            "sent back for changes are edited here (move or cancel scheduled ones on the calendar)"
        )
    return post


def draft_of(session: Session, post: Post) -> Draft:
    """The form of an existing draft, its media matched to their assets by path."""
    paths = [m.get("path") for m in post.media or []]
    assets = {
        a.path: a
        for a in session.scalars(
            select(MediaAsset).where(
                MediaAsset.workspace_id == post.workspace_id, MediaAsset.path.in_(paths)
            )
        )
    }
    media = [assets[p] for p in paths if p in assets]
    return Draft(
        text=post.source_text,
        account_ids=[v.account_id for v in post.variants if v.account_id is not None],
        link=post.link or "",
        first_comment=(post.variants[0].first_comment or "") if post.variants else "",
        labels=", ".join(post.labels or []),
        campaign=post.campaign or "",
        media_ids=[a.id for a in media],
        alts={a.id: str(m.get("alt", "")) for a, m in zip(media, post.media or [], strict=False)},
        post_id=post.id,
    )


async def posted_draft(request: Request) -> Draft:
    """The composer's form as a Draft (read on the event loop; no database here)."""
    return read_draft(await request.form())


@router.post("/compose/check", response_class=HTMLResponse)
def compose_check(
    request: Request,
    who: Principal = Depends(require(Role.EDITOR)),
    draft: Draft = Depends(posted_draft),
    session: Session = Depends(read_scope, scope="function"),
) -> HTMLResponse:
    """The live panel alone (HTMX swaps it in while the person types). It only reads, so
    it takes no write lock while lint, adapt and the link fetch run (in the thread pool)."""
    workspace = session.get(Workspace, who.workspace_id)
    assert workspace is not None
    tabs = live_view(session, workspace, draft, request.app.state.settings)
    return render(request, "_compose_live.html", who=who, tabs=tabs, draft=draft)


def field_of(message: str) -> str:
    """The form field a domain error is about ("post: when: ..." -> "when")."""
    text = message.removeprefix("post: ")
    for name in FIELDS:
        if text.startswith(name):
            return name
    if text.startswith(("alt", "media")):
        return "media"
    if "has no text" in text:
        return "text"
    if "draft has no time" in text or "no time given" in text or "in the past" in text:
        return "when"
    return "form"


async def read_upload(upload: UploadFile) -> tuple[str, bytes]:
    """(file name, bytes) of an upload, refused past the size cap or with a foreign suffix."""
    name = Path(upload.filename or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise UserError(f"media: {name}: not an image or video this app takes ({suffix or 'none'})")
    chunks = []
    total = 0
    while chunk := await upload.read(1024 * 1024):
        total += len(chunk)
        if total > MAX_UPLOAD:
            raise UserError(f"media: {name} is over {MAX_UPLOAD // (1024 * 1024)} MB")
        chunks.append(chunk)
    if not total:
        raise UserError(f"media: {name} is empty")
    return name, b"".join(chunks)


def _store_upload(
    request: Request, session: Session, workspace_id: int, name: str, data: bytes
) -> MediaAsset:
    suffix = Path(name).suffix.lower()
    sha = hashlib.sha256(data).hexdigest()
    folder = workspace_media_dir(Path(request.app.state.media_dir), workspace_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sha[:24]}{'.jpg' if suffix == '.jpeg' else suffix}"
    if not path.exists():
        path.write_bytes(data)
    return _record(session, workspace_id, path, sha)


def _record(session: Session, workspace_id: int, path: Path, sha: str | None = None) -> MediaAsset:
    if sha is None:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
    width = height = None
    try:
        w, h = imagesize.get(str(path))
        if w > 0 and h > 0:
            width, height = int(w), int(h)
    except (OSError, ValueError):
        pass
    asset = MediaAsset(
        workspace_id=workspace_id,
        path=str(path.resolve()),
        mime_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
        size_bytes=path.stat().st_size,
        width=width,
        height=height,
        sha256=sha,
    )
    session.add(asset)
    session.flush()
    return asset


def _fit(request: Request, session: Session, workspace_id: int, draft: Draft, arg: str) -> None:
    asset_id, _, network = arg.partition(":")
    if not is_id(asset_id) or int(asset_id) not in draft.media_ids:
        raise UserError("media: that file is not on this post")
    (asset,) = _media(session, workspace_id, [int(asset_id)]) or (None,)
    if asset is None:
        raise UserError("media: that file is not on this post")
    settings: Settings = request.app.state.settings
    out_dir = workspace_media_dir(Path(request.app.state.media_dir), workspace_id) / "fitted"
    fitted = fit_media(
        Path(asset.path), network, "feed", out_dir, platforms=settings.platforms or None
    )
    new = _record(session, workspace_id, fitted)
    new.alt_text = draft.alts.get(asset.id, asset.alt_text)
    index = draft.media_ids.index(asset.id)
    draft.media_ids[index] = new.id
    draft.alts[new.id] = draft.alts.pop(asset.id, "")


def _save(
    request: Request, session: Session, who: Principal, draft: Draft, action: str
) -> tuple[int, datetime | None]:
    """Create the post for ``action``; returns (post id, first due time)."""
    workspace = session.get(Workspace, who.workspace_id)
    assert workspace is not None
    settings: Settings = request.app.state.settings
    if not draft.account_ids:
        raise UserError("accounts: choose at least one account")
    media = _media(session, workspace.id, draft.media_ids)
    for asset in media:
        asset.alt_text = draft.alts.get(asset.id, asset.alt_text)[:2000]
    data: dict[str, Any] = {
        "accounts": [f"#{i}" for i in draft.account_ids],
        "media": [m.path for m in media],
        "alt": [m.alt_text for m in media],
        "labels": draft.label_list,
    }
    for key in ("link", "first_comment", "campaign"):
        value = getattr(draft, key)
        if value:
            data[key] = value
    if action == "schedule":
        if not draft.when:
            raise UserError("when: pick a date and time to schedule")
        data["when"] = draft.when
    now = datetime.now(UTC)
    when = parse_when(draft.when, workspace.timezone, "when") if draft.when else None
    spec = spec_from_mapping(
        data,
        draft.text,
        base=Path(request.app.state.media_dir),
        default_tz=workspace.timezone,
        where="post",
        media=workspace_media(session, workspace.id, Path(request.app.state.media_dir)),
    )
    if draft.post_id is not None:
        if action not in ("draft", "review"):
            raise UserError(
                "an existing draft is saved or sent for approval; an owner schedules it"
            )
        post = _editable(session, who, draft.post_id)
        domain.edit_post(
            session,
            workspace,
            post,
            spec,
            now=now,
            platform_overrides=settings.platforms,
            handles=settings.handles,
        )
    else:
        post = domain.create_post(
            session,
            workspace,
            spec,
            now=now,
            queue=action == "queue",
            draft=action in ("draft", "review"),
            author_id=who.user_id,
            platform_overrides=settings.platforms,
            handles=settings.handles,
        )
    if action == "review":
        reviews.submit(session, post, user_id=who.user_id, when=when, queue=True, now=now)
    dues = [p.due_at for p in domain.publications_of(post)]
    return post.id, min(dues) if dues else None


@dataclass
class Submitted:
    """The composer's form as posted: the draft, the button pressed, an upload's bytes."""

    draft: Draft
    action: str
    upload: tuple[str, bytes] | None = None
    error: UserError | None = None


async def submitted(request: Request) -> Submitted:
    """Read the form and any upload here, on the event loop, so the route is a plain
    ``def`` doing its database work in the thread pool."""
    form = await request.form()
    posted = Submitted(read_draft(form), _str(form, "action", 200) or "check")
    if posted.action == "upload":
        file = form.get("upload")
        try:
            if not isinstance(file, UploadFile) or not file.filename:
                raise UserError("media: choose a file to upload")
            posted.upload = await read_upload(file)
        except UserError as exc:
            posted.error = exc
    return posted


@router.post("/compose", response_class=HTMLResponse)
def compose_submit(
    request: Request,
    who: Principal = Depends(require(Role.EDITOR)),
    posted: Submitted = Depends(submitted),
    session: Session = Depends(session_scope, scope="function"),
) -> Response:
    draft, action, upload = posted.draft, posted.action, posted.upload
    if posted.error is not None:
        return _failed(request, who, session, draft, posted.error)
    try:
        # The writes go in a savepoint: an error rolls all of them back and the page is
        # drawn from the request's session as it was before.
        with session.begin_nested():
            if upload is not None:
                if len(draft.media_ids) >= MAX_MEDIA:
                    raise UserError(f"media: at most {MAX_MEDIA} files")
                asset = _store_upload(request, session, who.workspace_id, *upload)
                draft.media_ids.append(asset.id)
                draft.alts[asset.id] = ""
            elif action.startswith("fit:"):
                _fit(request, session, who.workspace_id, draft, action[4:])
            elif action.startswith("when:"):
                draft.when = action[5:21]
            elif action.startswith("remove:"):
                target = action[7:]
                draft.media_ids = [i for i in draft.media_ids if str(i) != target]
            elif action in ("draft", "review", "schedule", "queue"):
                post_id, due = _save(request, session, who, draft, action)
                return _saved(request, session, who, action, post_id, due)
    except UserError as exc:
        return _failed(request, who, session, draft, exc)
    return _page(request, who, session, draft)


def _failed(
    request: Request, who: Principal, session: Session, draft: Draft, exc: UserError
) -> HTMLResponse:
    message = str(exc).removeprefix("post: ")
    errors = {field_of(str(exc)): message}
    return _page(request, who, session, draft, errors=errors, status_code=400)


def _saved(
    request: Request,
    session: Session,
    who: Principal,
    action: str,
    post_id: int,
    due: datetime | None,
) -> RedirectResponse:
    if action in ("draft", "review"):
        message = "Draft saved." if action == "draft" else "Sent for review."
        request.session["flash"] = f"{message} (post {post_id})"
        return RedirectResponse(f"/posts/{post_id}", status_code=303)
    workspace = session.get(Workspace, who.workspace_id)
    assert workspace is not None and due is not None
    local = due.astimezone(zone(workspace.timezone))
    shown = locale.moment(local, locale.effective_locale(workspace.locale, workspace.timezone))
    request.session["flash"] = f"Post {post_id} scheduled for {shown} ({workspace.timezone})."
    return RedirectResponse(f"/calendar?view=week&date={local:%Y-%m-%d}", status_code=303)
