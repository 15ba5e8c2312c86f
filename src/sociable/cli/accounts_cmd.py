"""``sociable accounts``: connect network accounts, list them, check them, remove them.

Credentials go into the encrypted column and are never printed; settings (instance URL, page
id, author URN ...) are plain. ``check`` calls each connector's ``check()`` through the one
HTTP client factory and stores what the network taught us (a refreshed token, a user id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sociable import net
from sociable.cli.output import OutputFormat, console, emit_json
from sociable.cli.state import CliState, get_state
from sociable.config import private_hosts_hint
from sociable.errors import SociableError, UserError
from sociable.publish.connectors.base import AuthExpired, ConnectorError
from sociable.publish.connectors.registry import connector_class, networks
from sociable.publish.states import TERMINAL
from sociable.store.models import Account, Workspace
from sociable.store.models.publish import Publication
from sociable.workspaces import current_workspace

app = typer.Typer(help="Network accounts: add, list, check, remove.", no_args_is_help=True)

# The credential fields that are secret, by the flag that carries them.
SECRET_FLAGS = ("token", "refresh_token", "client_secret", "app_password", "secret")


@dataclass
class Given:
    """What the person typed for ``accounts add`` (empty strings are absent)."""

    name: str = ""
    token: str = ""
    refresh_token: str = ""
    client_id: str = ""
    client_secret: str = ""
    instance: str = ""
    handle: str = ""
    app_password: str = ""
    service: str = ""
    url: str = ""
    secret: str = ""
    page_id: str = ""
    ig_user_id: str = ""
    user_id: str = ""
    author: str = ""
    subreddit: str = ""
    username: str = ""
    blog: str = ""
    media_base_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def say(message: str) -> None:
    """One plain line: handles like ``:zap:`` or ``[x]`` are not Rich emoji or markup."""
    console.print(message, markup=False, emoji=False, highlight=False, soft_wrap=True)


def _need(value: str, flag: str, network: str) -> str:
    if not value.strip():
        raise UserError(f"{flag} is required for a {network} account", where="accounts add")
    return value.strip()


def _http_url(value: str, flag: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UserError(f"{flag}: not an http(s) URL: {value!r}", where="accounts add")
    return value.strip().rstrip("/")


def _oauth(given: Given, network: str) -> dict[str, Any]:
    creds: dict[str, Any] = {"token": _need(given.token, "--token", network)}
    for key in ("refresh_token", "client_id", "client_secret"):
        if getattr(given, key):
            creds[key] = getattr(given, key)
    return creds


def build(network: str, given: Given) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(handle, credentials, settings) for ``network`` from the flags, or a UserError."""
    settings: dict[str, Any] = {}
    if given.media_base_url:
        settings["media_base_url"] = _http_url(given.media_base_url, "--media-base-url")
    name = given.name.strip()
    if network == "webhook":
        handle = _need(name, "--name", network)
        settings["url"] = _http_url(_need(given.url, "--url", network), "--url")
        creds: dict[str, Any] = {"secret": _need(given.secret, "--secret", network)}
    elif network == "feed":
        handle = _need(name, "--name", network)
        creds = {}
    elif network == "mastodon":
        instance = _need(given.instance, "--instance", network)
        if "://" not in instance:
            instance = "https://" + instance
        settings["instance"] = _http_url(instance, "--instance")
        creds = {"token": _need(given.token, "--token", network)}
        handle = name or urlsplit(settings["instance"]).netloc
    elif network == "bluesky":
        bsky_handle = _need(given.handle, "--handle", network).lstrip("@")
        creds = {
            "handle": bsky_handle,
            "app_password": _need(given.app_password, "--app-password", network),
        }
        settings["service"] = _http_url(given.service or "https://bsky.social", "--service")
        handle = name or "@" + bsky_handle
    elif network == "linkedin":
        author = _need(given.author, "--author", network)
        if not author.startswith(("urn:li:person:", "urn:li:organization:")):
            raise UserError(
                "--author: use urn:li:person:ID or urn:li:organization:ID", where="accounts add"
            )
        settings["author"] = author
        creds = _oauth(given, network)
        handle = name or author
    elif network == "facebook":
        settings["page_id"] = _need(given.page_id, "--page-id", network)
        creds = _oauth(given, network)
        handle = name or settings["page_id"]
    elif network == "instagram":
        settings["ig_user_id"] = _need(given.ig_user_id, "--ig-user-id", network)
        creds = _oauth(given, network)
        handle = name or settings["ig_user_id"]
    elif network == "threads":
        if given.user_id:
            settings["user_id"] = given.user_id
        creds = _oauth(given, network)
        handle = _need(name, "--name", network)
    elif network == "reddit":
        sub = _need(given.subreddit, "--subreddit", network).removeprefix("/").removeprefix("r/")
        settings["subreddit"] = sub
        if given.username:
            settings["username"] = given.username.removeprefix("u/")
        creds = _oauth(given, network)
        handle = name or f"r/{sub}"
    elif network == "tumblr":
        settings["blog"] = _need(given.blog, "--blog", network)
        creds = _oauth(given, network)
        handle = name or settings["blog"]
    elif network == "x":
        creds = _oauth(given, network)
        handle = _need(name, "--name", network)
    else:
        creds = _oauth(given, network) if given.token else {}
        handle = _need(name, "--name", network)
    settings.update(given.extra)
    return handle, creds, settings


def _parse_sets(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--set: expected KEY=VALUE, got {pair!r}", where="accounts add")
        lowered = value.strip().lower()
        out[key.strip()] = {"true": True, "false": False}.get(lowered, value.strip())
    return out


def _client(state: CliState, allow_private: bool) -> Any:
    publish = state.settings.publish
    policy = net.NetPolicy(
        allow_private=allow_private or publish.allow_private,
        allow_private_hint=private_hosts_hint("publish", "--allow-private"),
        timeout=publish.http_timeout_seconds,
        connect_timeout=min(10.0, publish.http_timeout_seconds),
    )
    return net.client(policy)


def check_account(account: Account, http: Any) -> tuple[bool, str]:
    """Run the connector's check; refresh the token once on AuthExpired.

    Updates the account's credentials and settings with what the connector learned.
    """
    try:
        cls = connector_class(account.network)
    except UserError as exc:
        return False, str(exc)
    credentials = dict(account.credentials or {})
    connector = cls(dict(credentials), dict(account.settings or {}), http)
    note = ""
    try:
        try:
            handle = connector.check()
        except AuthExpired:
            if not cls.capabilities.token_refresh:
                raise
            fresh = connector.refresh()
            if fresh is None:
                raise
            handle = connector.check()
            note = " (token refreshed)"
            expires_at = fresh.get("expires_at")
            if isinstance(expires_at, int | float):
                account.token_expires_at = datetime.fromtimestamp(expires_at, UTC)
    except (ConnectorError, SociableError) as exc:
        account.status = "failed"
        return False, f"{type(exc).__name__}: {exc}"
    if connector.credentials != credentials:
        account.credentials = dict(connector.credentials)
    if connector.settings != account.settings:
        account.settings = dict(connector.settings)
    account.status = "active"
    if handle and not account.display_name:
        account.display_name = handle
    return True, f"{handle}{note}"


def _find(session: Session, workspace: Workspace, ref: str) -> Account:
    ref = ref.strip().lstrip("#")
    query = select(Account).where(Account.workspace_id == workspace.id)
    if ref.isdigit():
        found = session.scalars(query.where(Account.id == int(ref))).all()
    elif ":" in ref:
        network, handle = ref.split(":", 1)
        found = session.scalars(
            query.where(Account.network == network, Account.handle == handle)
        ).all()
    else:
        found = session.scalars(query.where(Account.handle == ref)).all()
    if len(found) != 1:
        known = ", ".join(
            f"#{a.id} {a.network}:{a.handle}" for a in session.scalars(query.order_by(Account.id))
        )
        raise UserError(
            f"no single account {ref!r} (accounts: {known or 'none'})", where="accounts"
        )
    return found[0]


@app.command("add")
def add(
    ctx: typer.Context,
    network: str = typer.Argument(..., help=f"One of: {', '.join(networks())}."),
    name: str = typer.Option("", "--name", help="How posts name this account (its handle)."),
    token: str = typer.Option(
        "", "--token", envvar="SOCIABLE_ACCOUNT_TOKEN", help="Access token (or env)."
    ),
    refresh_token: str = typer.Option(
        "", "--refresh-token", envvar="SOCIABLE_ACCOUNT_REFRESH_TOKEN", help="OAuth refresh token."
    ),
    client_id: str = typer.Option("", "--client-id", help="OAuth client id (for refresh)."),
    client_secret: str = typer.Option(
        "", "--client-secret", envvar="SOCIABLE_ACCOUNT_CLIENT_SECRET", help="OAuth secret."
    ),
    instance: str = typer.Option("", "--instance", help="Mastodon: the instance URL."),
    handle: str = typer.Option("", "--handle", help="Bluesky: the handle (acme.bsky.social)."),
    app_password: str = typer.Option(
        "", "--app-password", envvar="SOCIABLE_ACCOUNT_APP_PASSWORD", help="Bluesky app password."
    ),
    service: str = typer.Option("", "--service", help="Bluesky: PDS URL (default bsky.social)."),
    url: str = typer.Option("", "--url", help="Webhook: the URL to POST to."),
    secret: str = typer.Option(
        "", "--secret", envvar="SOCIABLE_ACCOUNT_SECRET", help="Webhook: the HMAC secret."
    ),
    page_id: str = typer.Option("", "--page-id", help="Facebook: the Page id."),
    ig_user_id: str = typer.Option("", "--ig-user-id", help="Instagram: professional user id."),
    user_id: str = typer.Option("", "--user-id", help="Threads: the user id (else learned)."),
    author: str = typer.Option("", "--author", help="LinkedIn: urn:li:person:… / organization."),
    subreddit: str = typer.Option("", "--subreddit", help="Reddit: where to post."),
    username: str = typer.Option("", "--username", help="Reddit: the account's username."),
    blog: str = typer.Option("", "--blog", help="Tumblr: the blog (acme.tumblr.com)."),
    media_base_url: str = typer.Option(
        "", "--media-base-url", help="Instagram/Threads: public URL the media files are under."
    ),
    sets: list[str] = typer.Option([], "--set", help="Extra setting KEY=VALUE (repeatable)."),
    check: bool = typer.Option(False, "--check", help="Verify with the network before saving."),
    allow_private: bool = typer.Option(
        False, "--allow-private", help="Let the check reach private/loopback addresses."
    ),
) -> None:
    """Connect an account; credentials are stored encrypted and never printed."""
    network = network.strip().lower()
    if network not in networks():
        raise UserError(f"unknown network {network!r} (known: {', '.join(networks())})")
    given = Given(
        name=name,
        token=token,
        refresh_token=refresh_token,
        client_id=client_id,
        client_secret=client_secret,
        instance=instance,
        handle=handle,
        app_password=app_password,
        service=service,
        url=url,
        secret=secret,
        page_id=page_id,
        ig_user_id=ig_user_id,
        user_id=user_id,
        author=author,
        subreddit=subreddit,
        username=username,
        blog=blog,
        media_base_url=media_base_url,
        extra=_parse_sets(sets),
    )
    account_handle, credentials, settings = build(network, given)
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        taken = session.scalar(
            select(Account.id).where(
                Account.workspace_id == workspace.id,
                Account.network == network,
                Account.handle == account_handle,
            )
        )
        if taken is not None:
            raise UserError(
                f"{network}:{account_handle} is already connected as #{taken} "
                "(remove it first, or give another --name)",
                where="accounts add",
            )
        account = Account(
            workspace_id=workspace.id,
            network=network,
            handle=account_handle,
            credentials=credentials,
            settings=settings,
        )
        if check:
            with _client(state, allow_private) as http:
                ok, message = check_account(account, http)
            if not ok:
                raise UserError(f"{network} check failed, nothing saved: {message}")
        session.add(account)
        try:
            session.flush()
        except IntegrityError:
            raise UserError(
                f"{network}:{account_handle} is already connected (remove it first)",
                where="accounts add",
            ) from None
        say(f"added #{account.id} {network}:{account_handle}")


@app.command("list")
def list_accounts(
    ctx: typer.Context,
    fmt: OutputFormat = typer.Option(OutputFormat.TEXT, "--format", help="text or json."),
) -> None:
    """The workspace's accounts (never their secrets)."""
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        rows = session.execute(
            select(
                Account.id,
                Account.network,
                Account.handle,
                Account.display_name,
                Account.status,
                Account.settings,
                Account.token_expires_at,
            )
            .where(Account.workspace_id == workspace.id)
            .order_by(Account.id)
        ).all()
    if fmt is OutputFormat.JSON:
        emit_json(
            [
                {
                    "id": r.id,
                    "network": r.network,
                    "handle": r.handle,
                    "display_name": r.display_name,
                    "status": r.status,
                    "settings": r.settings,
                    "token_expires_at": r.token_expires_at,
                }
                for r in rows
            ]
        )
        return
    table = Table("id", "network", "handle", "status", "settings")
    for r in rows:
        shown = ", ".join(f"{k}={v}" for k, v in sorted((r.settings or {}).items()))
        table.add_row(*(Text(v) for v in (str(r.id), r.network, r.handle, r.status, shown)))
    console.print(table)


@app.command("check")
def check_cmd(
    ctx: typer.Context,
    account_ref: str | None = typer.Argument(None, help="Account id or network:handle."),
    allow_private: bool = typer.Option(
        False, "--allow-private", help="Let checks reach private/loopback addresses."
    ),
) -> None:
    """Verify each account's credentials with its network; exit 1 if any failed."""
    state = get_state(ctx)
    failed = 0
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        if account_ref:
            accounts = [_find(session, workspace, account_ref)]
        else:
            accounts = list(
                session.scalars(
                    select(Account).where(Account.workspace_id == workspace.id).order_by(Account.id)
                )
            )
        if not accounts:
            say("no accounts yet: add one with `sociable accounts add`")
            return
        with _client(state, allow_private) as http:
            for account in accounts:
                ok, message = check_account(account, http)
                label = f"#{account.id} {account.network}:{account.handle}"
                if ok:
                    say(f"ok      {label}: {message}")
                else:
                    failed += 1
                    say(f"failed  {label}: {message}")
    if failed:
        raise typer.Exit(1)


@app.command("remove")
def remove(
    ctx: typer.Context,
    account_ref: str = typer.Argument(..., help="Account id or network:handle."),
    force: bool = typer.Option(
        False, "--force", help="Remove even with publications still to send."
    ),
) -> None:
    """Disconnect an account and delete its stored credentials."""
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        account = _find(session, workspace, account_ref)
        label = f"#{account.id} {account.network}:{account.handle}"
        pending = session.scalar(
            select(func.count())
            .select_from(Publication)
            .where(
                Publication.account_id == account.id,
                Publication.state.not_in([s.value for s in TERMINAL]),
            )
        )
        if pending and not force:
            raise UserError(
                f"{label} has {pending} publication(s) not yet done: cancel them first "
                "or use --force",
                where="accounts remove",
            )
        session.delete(account)
    say(f"removed {label}")
