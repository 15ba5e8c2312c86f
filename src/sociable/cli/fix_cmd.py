"""``sociable fix DIR`` (add missing share tags, a share block, the feed link) and
``sociable feed DIR`` (build RSS/Atom from a static blog)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from sociable.cli.output import err_console
from sociable.cli.state import get_state
from sociable.errors import UserError


class FeedFormat(StrEnum):
    RSS = "rss"
    ATOM = "atom"


def fix(
    ctx: typer.Context,
    directory: Path = typer.Argument(..., help="A folder of static HTML (or one file)."),
    base_url: str = typer.Option(..., "--base-url", help="The public URL the folder is served at."),
    write: bool = typer.Option(False, "--write", help="Write the changes (default: show a diff)."),
    network: list[str] = typer.Option(
        [], "--network", "-n", help="Networks for share links (default: the workspace's)."
    ),
) -> None:
    """Add missing og:/twitter: tags, a share-links block and the feed link. Never removes."""
    from sociable.audit.fix import plan_fixes, write_fix

    state = get_state(ctx)
    networks = [n.lower() for n in network] or list(state.settings.workspace.networks)
    changed = 0
    for item in plan_fixes(directory, base_url, networks):
        if not item.changed:
            continue
        changed += 1
        if write:
            try:
                write_fix(item)
            except OSError as exc:
                raise UserError(f"cannot write: {exc.strerror}", where=str(item.path)) from None
            err_console.print(f"fixed {item.path}: {', '.join(item.added)}", markup=False)
        else:
            sys.stdout.write(item.diff(directory))
    verb = "changed" if write else "would change"
    err_console.print(f"{changed} file(s) {verb}")


def feed(
    directory: Path = typer.Argument(..., help="A folder of static HTML."),
    base_url: str = typer.Option(..., "--base-url", help="The public URL the folder is served at."),
    output_format: FeedFormat = typer.Option(FeedFormat.RSS, "--format"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here (default stdout)."),
    title: str | None = typer.Option(None, "--title", help="Feed title (default: the site name)."),
) -> None:
    """Build an RSS or Atom feed from the dated pages of a static blog."""
    from sociable.audit.feeds import build_feed

    data = build_feed(directory, base_url, output_format.value, title=title)
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise UserError(f"cannot write: {exc.strerror}", where=str(output)) from None
    err_console.print(f"wrote {output}", markup=False)
