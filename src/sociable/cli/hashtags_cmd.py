"""``sociable hashtags FILE --network instagram``: ranked hashtag suggestions for a post."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from sociable.cli.output import OutputFormat, console, emit_json, err_console
from sociable.cli.state import get_state
from sociable.content.hashtags import HashtagReport, suggest
from sociable.content.history import History, read_history
from sociable.content.platforms import load_platforms
from sociable.content.post import MAX_POST_BYTES, PostInput, decode_text, parse_post
from sociable.errors import UserError

SHOW_ROW_ERRORS = 20


def read_post(file: str) -> PostInput:
    """The post from a file or ``-`` (stdin): Markdown, optional YAML front matter."""
    where = "<stdin>" if file == "-" else file
    try:
        if file == "-":
            raw = sys.stdin.buffer.read(MAX_POST_BYTES + 1)
        else:
            with Path(file).open("rb") as fh:
                raw = fh.read(MAX_POST_BYTES + 1)
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror or exc}", where=where) from None
    return parse_post(decode_text(raw, where), where)


def hashtags(
    ctx: typer.Context,
    file: str = typer.Argument(..., help="The post: a text or Markdown file, or - for stdin."),
    network: str | None = typer.Option(
        None, "--network", "-n", help="The network (default: the post's first, or instagram)."
    ),
    top: int | None = typer.Option(
        None, "--top", min=1, max=100, help="How many to show (default: the network's cap)."
    ),
    history: Path | None = typer.Option(
        None, "--history", help="CSV of past posts: text, hashtags, date, likes, ..."
    ),
    output_format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Suggest hashtags from the post's words and from how past posts with them performed."""
    settings = get_state(ctx).settings
    platforms = load_platforms(settings.platforms)
    post = read_post(file)
    text = post.text
    network = network or (post.networks[0] if post.networks else "instagram")
    past: History | None = read_history(history) if history is not None else None
    report = suggest(
        text,
        past,
        network=network,
        top=top,
        banned=settings.hashtags.banned,
        overused=settings.hashtags.overused,
        platforms=platforms,
    )
    if output_format is OutputFormat.JSON:
        data = report.as_dict()
        if past is not None:
            data["history"] = {
                "file": past.source,
                "posts": len(past.posts),
                "rejected": [
                    {"row": e.row, "column": e.column, "message": e.message} for e in past.errors
                ],
            }
        emit_json(data)
        return
    if past is not None:
        _report_rows(past)
    _render(report)


def _report_rows(past: History) -> None:
    if not past.errors:
        return
    err_console.print(
        f"[yellow]warning:[/] {past.source}: {len(past.errors)} row problem(s); those rows were "
        f"left out, {len(past.posts)} posts kept",
        soft_wrap=True,
    )
    for error in past.errors[:SHOW_ROW_ERRORS]:
        err_console.print(f"  {past.source}: {error}", soft_wrap=True, markup=False)
    if len(past.errors) > SHOW_ROW_ERRORS:
        err_console.print(f"  ... and {len(past.errors) - SHOW_ROW_ERRORS} more")


def _render(report: HashtagReport) -> None:
    if not report.suggestions:
        console.print("no hashtag candidates: the post has no content words and no history")
    else:
        table = Table("#", "hashtag", "score", "lift", "posts", "from", "flags")
        for i, s in enumerate(report.suggestions, 1):
            table.add_row(
                str(i),
                s.hashtag,
                f"{s.score:.3f}",
                "-" if s.lift is None else f"{s.lift:.2f}",
                str(s.posts),
                "+".join(s.sources),
                ", ".join(s.flags),
            )
        console.print(table)
        paste = [s.hashtag for s in report.suggestions if "over cap" not in s.flags]
        console.print(" ".join(paste), markup=False, soft_wrap=True)
    if report.baseline is not None:
        console.print(
            f"lift = a tag's {report.metric} against the account's baseline "
            f"({report.baseline:.4g}), shrunk for rarely used tags",
            soft_wrap=True,
        )
    for note in report.notes:
        console.print(f"note: {note}", markup=False, soft_wrap=True)
