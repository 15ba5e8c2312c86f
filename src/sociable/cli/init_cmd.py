"""``sociable init``: a commented config, a secret key and a migrated database."""

from __future__ import annotations

from pathlib import Path

import typer

from sociable.cli.output import console
from sociable.cli.state import get_state
from sociable.clock import zone
from sociable.config import CONFIG_FILENAME, KEY_FILENAME
from sociable.store import migrate
from sociable.store.secrets import write_key_file
from sociable.workspaces import ensure_workspace

TEMPLATE = """\
# Sociable configuration. Environment variables override it:
# SOCIABLE_DATABASE_URL, SOCIABLE_SECRET_KEY, SOCIABLE_WORKSPACE__TIMEZONE ...

# Where data lives. Default: a SQLite file sociable.db next to this file.
# For many workers on many machines use PostgreSQL:
# database_url = "postgresql+psycopg://user@127.0.0.1:5432/sociable"

# The key that encrypts network credentials at rest. Default: the file {key_file}
# next to this one (created by `sociable init`, mode 0600). Keep it out of version control.
# secret_key_file = "{key_file}"

[workspace]
# The brand this workspace runs.
name = {name}
# IANA time zone used for the calendar and posting slots (e.g. "Europe/Paris").
timezone = {timezone}
# The website whose pages are shared; the audit and the short links start here.
{site_line}
# The networks in use: x, bluesky, mastodon, threads, linkedin, facebook, instagram,
# tiktok, youtube, pinterest, reddit, tumblr.
networks = [{networks}]

[audit]
# Defaults for `sociable audit`; command-line flags win.
# select = ["SMO"]
# ignore = []
# fail_under = 80
max_pages = 500

[track]
# Public base of the short links served by `sociable track serve` / `sociable serve`.
base_url = "http://127.0.0.1:8000/l"

[web]
# Proxies whose X-Forwarded-For/-Proto `sociable serve` believes (add your TLS proxy's address).
trusted_proxies = ["127.0.0.1", "::1"]

# Override a network's published limits when they change, e.g.:
# [platforms.instagram]
# max_hashtags = 5

# Your handles per network, used when a post mentions a brand:
# [handles.acme]
# x = "@acme"
# bluesky = "@acme.com"
"""


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_config(name: str, timezone: str, site_url: str | None, networks: list[str]) -> str:
    return TEMPLATE.format(
        key_file=KEY_FILENAME,
        name=_toml_str(name),
        timezone=_toml_str(timezone),
        site_line=f"site_url = {_toml_str(site_url)}"
        if site_url
        else '# site_url = "https://example.com"',
        networks=", ".join(_toml_str(n) for n in networks),
    )


def init(
    ctx: typer.Context,
    directory: Path = typer.Argument(Path("."), help="Folder for sociable.toml and the data."),
    name: str = typer.Option("My brand", help="Workspace name."),
    timezone: str = typer.Option("UTC", help="IANA time zone, e.g. Europe/Paris."),
    site_url: str | None = typer.Option(None, help="The website's base URL."),
    networks: str = typer.Option("x,bluesky,mastodon,linkedin", help="Comma-separated."),
) -> None:
    """Create a workspace: sociable.toml, a secret key file and the database.

    Running it again keeps an existing config and key, and only brings the database up to date.
    """
    zone(timezone)
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / CONFIG_FILENAME
    if config_path.exists():
        console.print(f"kept existing {config_path}")
    else:
        nets = [n.strip().lower() for n in networks.split(",") if n.strip()]
        config_path.write_text(render_config(name, timezone, site_url, nets), encoding="utf-8")
        console.print(f"wrote {config_path}")

    state = get_state(ctx)
    state.config = config_path
    state._settings = None
    settings = state.settings
    if settings.secret_key is None:
        if write_key_file(settings.key_path):
            console.print(f"wrote secret key {settings.key_path} (mode 0600)")
        else:
            console.print(f"kept existing secret key {settings.key_path}")
    db = state.database(migrate_check=False)
    migrate.upgrade(db, default_currency=settings.money.currency)
    with db.session() as session:
        workspace, created = ensure_workspace(session, settings)
        verb = "created" if created else "found"
        console.print(f"{verb} workspace {workspace.name!r} ({workspace.timezone})")
    console.print(f"database ready: {db.url}")
