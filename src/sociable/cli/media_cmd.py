"""``sociable media check|fit``: media files against each network's limits, and fixed copies."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from sociable.cli.output import OutputFormat, console, emit_json
from sociable.cli.state import get_state
from sociable.content.media import MediaFinding, check_media, fit_media
from sociable.content.platforms import load_platforms, parse_networks
from sociable.errors import UserError
from sociable.rules import Severity

app = typer.Typer(no_args_is_help=True, help="Check media files per network; write fixed copies.")

_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _networks(values: list[str]) -> list[str]:
    names = parse_networks(values)
    if not names:
        raise UserError("give at least one --network (for example --network instagram,x)")
    return names


def parse_focal(value: str | None) -> tuple[float, float] | None:
    """``"0.3,0.4"`` -> (0.3, 0.4): the point to keep, as fractions of width and height."""
    if value is None:
        return None
    parts = value.split(",")
    try:
        x, y = (float(p) for p in parts)
    except ValueError:
        raise UserError(f"--focal {value!r}: expected X,Y fractions such as 0.5,0.3") from None
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise UserError(f"--focal {value!r}: X and Y must be between 0 and 1")
    return x, y


def _render(path: str, findings: list[MediaFinding]) -> None:
    if not findings:
        console.print(f"{escape(path)}: ok")
        return
    for f in findings:
        style = _STYLE[f.severity]
        console.print(
            f"{escape(path)}: [{style}]{f.code}[/] {f.severity.value:<7} {f.network:<10} "
            f"{escape(f.message)}",
            soft_wrap=True,
        )


@app.command("check")
def check(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="Image or video files."),
    network: list[str] = typer.Option([], "--network", "-n", help="Networks, comma-separated."),
    placement: str = typer.Option("feed", "--placement", "-p", help="feed, story (reel), link."),
    alt: str | None = typer.Option(None, "--alt", help="The alt text you will attach."),
    output_format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Check each file for each network. Exit code 1 when there is an error finding."""
    platforms = load_platforms(get_state(ctx).settings.platforms)
    names = _networks(network)
    results: dict[str, list[MediaFinding]] = {}
    for file in files:
        found: list[MediaFinding] = []
        for name in names:
            found.extend(check_media(file, name, placement=placement, alt=alt, platforms=platforms))
        results[str(file)] = found
    if output_format is OutputFormat.JSON:
        emit_json({path: [f.as_dict() for f in found] for path, found in results.items()})
    else:
        for path, found in results.items():
            _render(path, found)
    if any(f.severity is Severity.ERROR for found in results.values() for f in found):
        raise typer.Exit(1)


@app.command("fit")
def fit(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The image to fit."),
    network: list[str] = typer.Option([], "--network", "-n", help="Networks, comma-separated."),
    placement: str = typer.Option("feed", "--placement", "-p", help="feed, story (reel), link."),
    out: Path = typer.Option(Path("fitted"), "--out", "-o", help="Folder for the copies."),
    focal: str | None = typer.Option(
        None, "--focal", help="Point to keep when cropping, X,Y as fractions (default centre)."
    ),
    output_format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """Write an upright, cropped, resized copy per network that passes the checks."""
    platforms = load_platforms(get_state(ctx).settings.platforms)
    point = parse_focal(focal)
    written: dict[str, dict[str, object]] = {}
    failed = False
    for name in _networks(network):
        target = fit_media(file, name, placement, out, point, platforms=platforms)
        left = [
            f
            for f in check_media(target, name, placement=placement, platforms=platforms)
            if f.severity is Severity.ERROR
        ]
        failed = failed or bool(left)
        written[name] = {"file": str(target), "findings": [f.as_dict() for f in left]}
    if output_format is OutputFormat.JSON:
        emit_json(written)
    else:
        for name, info in written.items():
            console.print(f"{name:<10} {escape(str(info['file']))}", soft_wrap=True)
    if failed:
        raise typer.Exit(1)
