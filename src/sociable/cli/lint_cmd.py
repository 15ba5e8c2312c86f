"""``sociable lint``: check a post for each network (length left, cut point, findings)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from sociable.cli.output import OutputFormat, console, emit_json
from sociable.cli.state import get_state
from sociable.content.counting import nfc
from sociable.content.lint import LintReport, lint_post
from sociable.content.media import fit_media
from sociable.content.platforms import Platform, fetch_mastodon_instance, load_platforms
from sociable.content.post import (
    MAX_POST_BYTES,
    PostInput,
    decode_text,
    iter_jsonl,
    parse_post,
)
from sociable.errors import UserError
from sociable.net import NetPolicy
from sociable.rules import RuleFilter, Severity, split_codes

FLAG = "--allow-private"  # lint and adapt have the flag only (no config setting)

BATCH_MAX_BYTES = 256 * 1024 * 1024


def read_input(source: str | None, cap: int = MAX_POST_BYTES) -> tuple[bytes, str]:
    """Bytes of FILE, or of standard input for ``-``; the name to use in messages."""
    if source in (None, "-"):
        if source is None and sys.stdin.isatty():
            raise UserError("give a post FILE, - for standard input, or --text")
        data = sys.stdin.buffer.read(cap + 1)
        name = "<stdin>"
    else:
        path = Path(source)
        try:
            if path.stat().st_size > cap:
                raise UserError(f"larger than {cap} bytes", where=source)
            data = path.read_bytes()
        except OSError as exc:
            raise UserError(f"cannot read: {exc.strerror}", where=source) from None
        name = source
    if len(data) > cap:
        raise UserError(f"larger than {cap} bytes", where=name)
    return data, name


def platforms_for(
    ctx: typer.Context, instance: str | None, allow_private: bool
) -> dict[str, Platform]:
    """The network records with sociable.toml overrides and, if asked, a Mastodon instance's."""
    table = load_platforms(get_state(ctx).settings.platforms)
    if instance:
        table["mastodon"] = fetch_mastodon_instance(
            instance, policy=NetPolicy(allow_private=allow_private, allow_private_hint=FLAG)
        )
    return table


def _sev_style(sev: Severity) -> str:
    return {"error": "bold red", "warning": "yellow", "info": "cyan"}[sev.value]


def render_text(report: LintReport, text: str, prefix: str = "") -> None:
    # cut points are offsets into the NFC text; unpaired surrogates cannot be printed
    text = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in nfc(text))
    for name, c in report.networks.items():
        state = "[green]ok[/]" if c.valid else "[bold red]too long[/]"
        line = (
            f"{prefix}{name:<10} {c.length:>6}/{c.limit:<6} {c.unit:<13} "
            f"{c.remaining:>6} left  {state}"
        )
        if c.max_bytes is not None:
            line += f"  ({c.size_bytes}/{c.max_bytes} bytes)"
        console.print(line, soft_wrap=True, markup=True)
        if c.cut_at is not None:
            kept = text[max(0, c.cut_at - 30) : c.cut_at].replace("\n", "⏎")
            dropped = text[c.cut_at : c.cut_at + 20].replace("\n", "⏎")
            console.print(
                f"{prefix}{'':<10} cut at character {c.cut_at}: "
                f"…{escape(kept)}[reverse]{escape(dropped)}[/]…",
                soft_wrap=True,
                highlight=False,
            )
    for f in report.findings:
        console.print(
            f"{prefix}[{_sev_style(f.severity)}]{f.code}[/] {f.severity.value:<7} "
            f"{escape(f'[{f.network}]')} {escape(f.message)}",
            soft_wrap=True,
            highlight=False,
        )
    errors = sum(1 for f in report.findings if f.severity is Severity.ERROR)
    console.print(f"{prefix}{len(report.findings)} finding(s), {errors} error(s)", highlight=False)


def lint(
    ctx: typer.Context,
    source: str | None = typer.Argument(
        None, metavar="[FILE|-]", help="Post file (Markdown + YAML front matter), or - for stdin."
    ),
    network: list[str] = typer.Option(
        [], "--network", "-n", help="Networks, comma-separated: x,bluesky,mastodon,..."
    ),
    text: str | None = typer.Option(None, "--text", "-t", help="Lint this text instead of a file."),
    media: list[str] = typer.Option([], "--media", "-m", help="Attached media file (repeat)."),
    alt: list[str] = typer.Option([], "--alt", help="Alt text, one per --media, in order."),
    link: str | None = typer.Option(None, "--link", help="The post's link."),
    output_format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
    batch: bool = typer.Option(False, "--batch", help="Input is JSON Lines, one post per line."),
    fetch: bool = typer.Option(
        False, "--fetch", help="Fetch the linked page and check its preview."
    ),
    allow_private: bool = typer.Option(
        False, "--allow-private", help="Let --fetch/--instance reach private addresses."
    ),
    instance: str | None = typer.Option(
        None, "--instance", help="Read Mastodon limits from this instance (https://host)."
    ),
    fix: Path | None = typer.Option(
        None,
        "--fix",
        help="Write a fitted copy of each attached image per network into this folder.",
    ),
    select: list[str] = typer.Option([], "--select", help="Only these codes/prefixes."),
    ignore: list[str] = typer.Option([], "--ignore", help="Skip these codes/prefixes."),
) -> None:
    """Check a post for each network: what is left, where it would be cut, and findings.

    Exit code 1 when there is an error finding (for CI), 2 for bad input.
    """
    rule_filter = RuleFilter(split_codes(select), split_codes(ignore))
    table = platforms_for(ctx, instance, allow_private)
    policy = NetPolicy(allow_private=allow_private, allow_private_hint=FLAG)
    networks = ",".join(network) or None
    if batch:
        if text is not None:
            raise UserError("--batch reads JSON Lines from FILE or stdin, not --text")
        data, name = read_input(source, BATCH_MAX_BYTES)
        posts = list(iter_jsonl(data, name))  # every line checked before any output
        failed = False
        for number, post in posts:
            if media:
                post.media, post.alt = list(media), list(alt)
            report = lint_post(
                post, networks, platforms=table, fetch=fetch, rule_filter=rule_filter,
                policy=policy,
            )  # fmt: skip
            failed = failed or report.has_errors
            if output_format is OutputFormat.JSON:
                line = {"line": number, **report.as_dict()}
                sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            else:
                console.print(f"[bold]line {number}[/]")
                render_text(report, post.text, prefix="  ")
        if failed:
            raise typer.Exit(1)
        return
    if text is not None:
        if source is not None:
            raise UserError("give FILE or --text, not both")
        post = PostInput(text=text)
    else:
        data, name = read_input(source)
        post = parse_post(decode_text(data, name), name)
    if media:
        post.media = list(media)
    if alt:
        post.alt = list(alt)
    if len(post.alt) > len(post.media):
        raise UserError(f"{len(post.alt)} --alt texts for {len(post.media)} --media files")
    if link:
        post.link = link
    report = lint_post(
        post, networks, platforms=table, fetch=fetch, rule_filter=rule_filter, policy=policy
    )
    fixed = fit_attached(post, report, fix, table) if fix is not None else []
    if output_format is OutputFormat.JSON:
        emit_json({**report.as_dict(), **({"fixed": fixed} if fix is not None else {})})
    else:
        render_text(report, post.text)
        for item in fixed:
            console.print(f"fitted {item['media']} for {item['network']}: {item['path']}")
    if report.has_errors:
        raise typer.Exit(1)


def fit_attached(
    post: PostInput, report: LintReport, out_dir: Path, table: Any
) -> list[dict[str, str]]:
    """A copy of the attached images that passes the media checks of each network that
    had a media finding (POST3xx); the originals are never changed."""
    flagged = {f.network for f in report.findings if f.code.startswith("POST3")}
    networks = (
        list(report.networks) if "*" in flagged else [n for n in report.networks if n in flagged]
    )
    fixed = []
    for network in networks:
        for media in post.media:
            try:
                path = fit_media(Path(media), network, "feed", out_dir / network, platforms=table)
            except UserError as exc:
                raise UserError(f"--fix {media} for {network}: {exc}") from None
            fixed.append({"network": network, "media": media, "path": str(path)})
    return fixed
