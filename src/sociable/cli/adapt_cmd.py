"""``sociable adapt``: one variant per network from one source post."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape

from sociable.cli.lint_cmd import platforms_for, read_input
from sociable.cli.output import OutputFormat, console, emit_json
from sociable.cli.state import get_state
from sociable.content.adapt import Variant, adapt_post
from sociable.content.counting import count_text
from sociable.content.lint import lint_post
from sociable.content.platforms import Platform
from sociable.content.post import PostInput, decode_text, parse_post
from sociable.rules import Severity


def _variant_report(variant: Variant, platform: Platform) -> dict[str, Any]:
    """The variant with each post's count and any lint finding above info."""
    data = variant.as_dict()
    data["counts"] = [count_text(part, platform).as_dict() for part in variant.thread]
    findings = []
    for i, part in enumerate(variant.thread, start=1):
        report = lint_post(
            PostInput(
                text=part,
                media=variant.media if i == 1 else [],
                alt=variant.alt if i == 1 else [],
                first_comment=variant.first_comment if i == 1 else None,
            ),
            [variant.network],
            platforms={platform.name: platform},
        )
        findings += [
            {"post": i, **f.as_dict()} for f in report.findings if f.severity is not Severity.INFO
        ]
    data["findings"] = findings
    return data


def adapt(
    ctx: typer.Context,
    source: str = typer.Argument(..., metavar="FILE|-", help="Post file, or - for stdin."),
    network: list[str] = typer.Option(
        [], "--network", "-n", help="Networks, comma-separated (default: the post's own)."
    ),
    campaign: str | None = typer.Option(None, "--campaign", help="utm_campaign for links."),
    output_format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
    instance: str | None = typer.Option(
        None, "--instance", help="Read Mastodon limits from this instance (https://host)."
    ),
    allow_private: bool = typer.Option(False, "--allow-private", help="For --instance."),
) -> None:
    """Write one variant per network: threads, trimmed hashtags, UTM links, mapped handles.

    Exit code 1 if a variant still has an error finding.
    """
    data, name = read_input(source)
    post = parse_post(decode_text(data, name), name)
    table = platforms_for(ctx, instance, allow_private)
    handles = get_state(ctx).settings.handles
    variants = adapt_post(
        post, ",".join(network) or None, handles=handles, campaign=campaign, platforms=table
    )
    reports = {n: _variant_report(v, table[n]) for n, v in variants.items()}
    failed = any(f["severity"] == "error" for r in reports.values() for f in r["findings"])
    if output_format is OutputFormat.JSON:
        emit_json(reports)
    else:
        for net_name, report in reports.items():
            p = table[net_name]
            posts = report["thread"]
            console.print(f"[bold]── {escape(p.title)}[/] ({len(posts)} post(s))")
            for part, count in zip(posts, report["counts"], strict=True):
                console.print(escape(part), soft_wrap=True, highlight=False)
                console.print(
                    f"[dim]{count['length']}/{count['limit']} {count['unit']}[/]",
                    highlight=False,
                )
            if report["first_comment"]:
                console.print(f"[dim]first comment:[/] {escape(report['first_comment'])}")
            for note in report["notes"]:
                console.print(f"[cyan]note:[/] {escape(note)}", highlight=False)
            for f in report["findings"]:
                console.print(
                    f"[yellow]{f['code']}[/] {f['severity']} post {f['post']}: "
                    f"{escape(f['message'])}",
                    highlight=False,
                )
            console.print()
    if failed:
        raise typer.Exit(1)
