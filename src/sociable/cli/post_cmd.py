"""``sociable post``: write a post once, schedule it to several accounts, follow each send."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import select

from sociable.cli.output import OutputFormat, console, emit_json
from sociable.cli.state import get_state
from sociable.clock import system_clock, zone
from sociable.errors import UserError
from sociable.publish import posts as post_ops
from sociable.publish.accounts_ref import AccountIndex
from sociable.publish.spec import read_post_file
from sociable.publish.when import format_local, parse_when
from sociable.store.models.publish import Post, Publication, PubState, Variant
from sociable.workspaces import current_workspace

app = typer.Typer(
    help="Posts: create from Markdown, list, show, edit, approve, cancel, reschedule.",
    no_args_is_help=True,
)

FORMAT = typer.Option(OutputFormat.TEXT, "--format", help="text or json.")


def _summary(post: Post, names: dict[int | None, str], tz_name: str) -> list[str]:
    tz = zone(tz_name)
    lines = []
    for variant in post.variants:
        for pub in variant.publications:
            lines.append(
                f"  {names.get(variant.account_id, '?')}: {pub.state} at "
                f"{format_local(pub.due_at, tz)}"
            )
        if not variant.publications:
            lines.append(f"  {names.get(variant.account_id, '?')}: not scheduled ({post.approval})")
    return lines


@app.command("new")
def new(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Markdown file with YAML front matter."),
    draft: bool = typer.Option(False, "--draft", help="Store as a draft; approve it later."),
    output: OutputFormat = FORMAT,
) -> None:
    """Create a post from FILE.md: one variant and one scheduled publication per account.

    Front matter: accounts, when, media, alt, first_comment, labels, campaign, link,
    evergreen. Everything is checked first; on any error nothing is created.
    """
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        spec = read_post_file(file, workspace.timezone)
        post = post_ops.create_post(
            session,
            workspace,
            spec,
            now=system_clock(),
            draft=draft,
            platform_overrides=state.settings.platforms,
            handles=state.settings.handles,
        )
        _print_post(session, post, workspace.timezone, output, verb="created")


def _print_post(session, post: Post, tz_name: str, output: OutputFormat, verb: str) -> None:  # type: ignore[no-untyped-def]
    if output is OutputFormat.JSON:
        names = post_ops.account_names(session, [v.account_id for v in post.variants])
        emit_json(post_ops.post_as_json(post, tz_name, names))
        return
    names = post_ops.account_names(session, [v.account_id for v in post.variants])
    console.print(f"{verb} post {post.id} ({post.approval})")
    for line in _summary(post, names, tz_name):
        console.print(line)


@app.command("list")
def list_posts(
    ctx: typer.Context,
    state_filter: str | None = typer.Option(None, "--state", help="Only this publication state."),
    account: str | None = typer.Option(None, "--account", help="Only this account."),
    limit: int = typer.Option(200, help="At most this many posts."),
    output: OutputFormat = FORMAT,
) -> None:
    """List posts, newest due first, with each publication's state."""
    if state_filter is not None and state_filter not in {s.value for s in PubState}:
        raise UserError(f"--state: {state_filter!r}; one of {', '.join(s.value for s in PubState)}")
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        stmt = select(Post).where(Post.workspace_id == workspace.id)
        if state_filter or account:
            sub = select(Variant.post_id).join(Publication, Publication.variant_id == Variant.id)
            if state_filter:
                sub = sub.where(Publication.state == state_filter)
            if account:
                acc = AccountIndex.load(session, workspace).resolve(account, "--account")
                sub = sub.where(Variant.account_id == acc.id)
            stmt = stmt.where(Post.id.in_(sub))
        posts = session.scalars(stmt.order_by(Post.id.desc()).limit(max(limit, 1))).all()
        if output is OutputFormat.JSON:
            names = post_ops.account_names(
                session, [v.account_id for p in posts for v in p.variants]
            )
            emit_json([post_ops.post_as_json(p, workspace.timezone, names) for p in posts])
            return
        tz = zone(workspace.timezone)
        ids = [v.account_id for p in posts for v in p.variants]
        names = post_ops.account_names(session, ids)
        table = Table("post", "approval", "account", "state", f"due ({workspace.timezone})", "text")
        for post in posts:
            first_line = (post.source_text.strip().splitlines() or [""])[0][:50]
            for variant in post.variants:
                pubs: list[Publication | None] = list(variant.publications) or [None]
                for pub in pubs:
                    table.add_row(
                        str(post.id),
                        post.approval,
                        names.get(variant.account_id, "?"),
                        pub.state if pub else "-",
                        format_local(pub.due_at, tz) if pub else "-",
                        first_line,
                    )
        console.print(table)


@app.command("show")
def show(ctx: typer.Context, post_id: int, output: OutputFormat = FORMAT) -> None:
    """One post: its text, each variant, each publication with its state and history."""
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        post = post_ops.get_post(session, workspace, post_id)
        if output is OutputFormat.JSON:
            names = post_ops.account_names(session, [v.account_id for v in post.variants])
            data = post_ops.post_as_json(post, workspace.timezone, names)
            events = {
                p.id: [
                    {
                        "at": e.at.isoformat(),
                        "from": e.from_state,
                        "to": e.to_state,
                        "worker": e.worker,
                        "error": e.error,
                    }
                    for e in p.events
                ]
                for p in post_ops.publications_of(post)
            }
            for pub in data["publications"]:
                pub["events"] = events.get(pub["id"], [])
            emit_json(data)
            return
        tz = zone(workspace.timezone)
        names = post_ops.account_names(session, [v.account_id for v in post.variants])
        console.print(f"[bold]post {post.id}[/] ({post.approval})")
        if post.labels:
            console.print(f"labels: {', '.join(post.labels)}")
        if post.campaign:
            console.print(f"campaign: {post.campaign}")
        console.print(post.source_text, markup=False)
        for variant in post.variants:
            console.print(f"\n[bold]{names.get(variant.account_id, '?')}[/]")
            if variant.text != post.source_text:
                console.print(variant.text, markup=False)
            for pub in variant.publications:
                console.print(
                    f"  publication {pub.id}: {pub.state} at {format_local(pub.due_at, tz)}"
                    + (f" — {pub.reason}" if pub.reason else ""),
                    markup=False,
                )
                for event in pub.events:
                    console.print(
                        f"    {format_local(event.at, tz)} {event.from_state or '-'} -> "
                        f"{event.to_state}" + (f" ({event.error})" if event.error else ""),
                        markup=False,
                    )


@app.command("edit")
def edit(
    ctx: typer.Context,
    post_id: int,
    file: Path = typer.Argument(..., help="The post's new Markdown file."),
    output: OutputFormat = FORMAT,
) -> None:
    """Replace a post's text, media, labels (and time) from FILE.md, before it is sent."""
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        post = post_ops.get_post(session, workspace, post_id)
        spec = read_post_file(file, workspace.timezone)
        post_ops.edit_post(
            session,
            workspace,
            post,
            spec,
            now=system_clock(),
            platform_overrides=state.settings.platforms,
            handles=state.settings.handles,
        )
        _print_post(session, post, workspace.timezone, output, verb="edited")


@app.command("approve")
def approve(
    ctx: typer.Context,
    post_id: int,
    when: str | None = typer.Option(None, "--when", help="Time for a draft (ISO 8601)."),
    queue: bool = typer.Option(False, "--queue", help="Put a draft in the next free slots."),
) -> None:
    """Approve a draft and schedule its publications."""
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        post = post_ops.get_post(session, workspace, post_id)
        at = parse_when(when, workspace.timezone, "--when") if when else None
        created = post_ops.approve(session, post, when=at, now=system_clock(), queue=queue)
        console.print(f"approved post {post.id}; {len(created)} publication(s) scheduled")


@app.command("cancel")
def cancel(ctx: typer.Context, post_id: int) -> None:
    """Cancel every publication of a post that has not started sending."""
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        post = post_ops.get_post(session, workspace, post_id)
        count = post_ops.cancel_post(session, post)
        console.print(f"cancelled {count} publication(s) of post {post.id}")


@app.command("reschedule")
def reschedule(
    ctx: typer.Context,
    post_id: int,
    when: str = typer.Argument(..., help="New time: ISO 8601 with offset or zone."),
    account: str | None = typer.Option(None, "--account", help="Only this account's send."),
) -> None:
    """Move a post's unsent publications to a new time."""
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        post = post_ops.get_post(session, workspace, post_id)
        at = parse_when(when, workspace.timezone, "WHEN")
        acc = (
            AccountIndex.load(session, workspace).resolve(account, "--account") if account else None
        )
        moved = post_ops.reschedule_post(session, post, at, now=system_clock(), account=acc)
        tz = zone(workspace.timezone)
        console.print(
            f"moved {len(moved)} publication(s) of post {post.id} to {format_local(at, tz)}"
        )
