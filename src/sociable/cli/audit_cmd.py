"""``sociable audit TARGET``: a live site, a folder of static HTML, or one HTML file.

Reports stream from the crawler (or the folder reader) through the writer, the site score and
the history recorder one page at a time, so a 100k-page site never sits in memory. Defaults
come from ``[audit]`` in sociable.toml; flags win.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
)

from sociable.audit.crawl import CrawlOptions, normalise_url
from sociable.audit.findings import PageReport
from sociable.audit.history import Comparison, RunRecorder, compare, previous_run
from sociable.audit.report import write_report
from sociable.audit.score import SiteScore
from sociable.cli.output import emit_json, err_console
from sociable.cli.state import CliState, get_state
from sociable.config import private_hosts_hint
from sociable.errors import DatabaseError, UserError
from sociable.net import FetchError, NetPolicy, check_host
from sociable.rules import RuleFilter, split_codes
from sociable.store.db import Database, open_database
from sociable.store.migrate import is_current

ALLOW_PRIVATE = private_hosts_hint("audit", "--allow-private")


class AuditFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    HTML = "html"
    SARIF = "sarif"
    JUNIT = "junit"
    CSV = "csv"


def _is_url(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


def _check_start(url: str, allow_private: bool) -> str:
    """The normalised start URL; refused or unresolvable hosts are a one-line error."""
    try:
        start = normalise_url(url)
    except ValueError as exc:
        raise UserError(f"not a URL to audit: {exc}") from None
    parts = urlsplit(start)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        policy = NetPolicy(allow_private=allow_private, allow_private_hint=ALLOW_PRIVATE)
        check_host(parts.hostname or "", port, policy)
    except FetchError as exc:
        raise UserError(str(exc)) from None
    except (OSError, UnicodeError) as exc:  # IDNA or socket trouble
        raise UserError(f"cannot resolve {parts.hostname}: {exc}") from None
    return start


def _history_db(state: CliState, wanted: bool | None, needed: bool) -> Database | None:
    """The database to save the run in, when one is configured (or asked for).

    History holds no secrets, so unlike other commands this needs no credentials key.
    """
    settings = state.settings
    configured = settings.config_path is not None or settings.database_url is not None
    if wanted is False or not (configured or needed or wanted):
        return None
    try:
        db = open_database(settings.resolved_database_url)
        if not is_current(db):
            db.dispose()
            raise DatabaseError(f"database {db.url} is not up to date: run `sociable db upgrade`")
    except DatabaseError as exc:
        if needed or wanted:
            raise
        err_console.print(f"[yellow]note:[/] run not saved: {exc}", soft_wrap=True)
        return None
    return db


def _recorded(reports: Iterable[PageReport], recorder: RunRecorder | None) -> Iterator[PageReport]:
    for report in reports:
        if recorder is not None:
            recorder.add(report)
        yield report


def _progress_iter(
    reports: Iterable[PageReport], progress: Progress | None, task: TaskID | None
) -> Iterator[PageReport]:
    for report in reports:
        if progress is not None and task is not None:
            progress.advance(task)
        yield report


def _print_comparison(diff: Comparison, out: TextIO) -> None:
    lines = [f"Compared with run {diff.previous_id} ({diff.previous_at:%Y-%m-%d %H:%M} UTC):"]
    delta = diff.score_delta
    if delta is not None:
        sign = "+" if delta > 0 else ""
        lines.append(f"  site score {diff.previous_score} -> {diff.site_score} ({sign}{delta})")
    for cat, (before, after) in diff.categories.items():
        if before != after:
            lines.append(f"  {cat}: {before if before is not None else '-'} -> {after}")
    lines.append(f"  {diff.new_count} new findings, {diff.fixed_count} fixed")
    for change in diff.new:
        lines.append(f"  + {change.code} {change.page}: {change.message}")
    for change in diff.fixed:
        lines.append(f"  - {change.code} {change.page}: {change.message}")
    for url, before, after in diff.pages_changed:
        lines.append(f"  page {url}: {before} -> {after}")
    if diff.pages_added or diff.pages_removed:
        lines.append(f"  {diff.pages_added} pages new, {diff.pages_removed} pages gone")
    out.write("\n".join(lines) + "\n")


def audit(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="A site URL to crawl, a folder of HTML, or a file."),
    base_url: str | None = typer.Option(
        None, "--base-url", help="The URL the folder is served at (maps files to URLs)."
    ),
    output_format: AuditFormat = typer.Option(AuditFormat.TEXT, "--format", "-f"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report here."),
    fail_under: int | None = typer.Option(
        None, "--fail-under", min=0, max=100, help="Exit 1 when the site score is below N."
    ),
    select: list[str] | None = typer.Option(None, "--select", help="Rule codes or prefixes."),
    ignore: list[str] | None = typer.Option(None, "--ignore", help="Rule codes or prefixes."),
    max_pages: int | None = typer.Option(None, "--max-pages", min=1),
    concurrency: int | None = typer.Option(None, "--concurrency", min=1, max=256),
    rate_limit: float | None = typer.Option(
        None, "--rate-limit", min=0, help="Requests per second to the site (0: no limit)."
    ),
    timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="Seconds per request."),
    allow_private: bool | None = typer.Option(
        None, "--allow-private/--no-allow-private", help="Allow loopback and private hosts."
    ),
    compare_with: str | None = typer.Option(
        None, "--compare", help="'last' (or a run id): show what got better or worse."
    ),
    save: bool | None = typer.Option(
        None, "--save/--no-save", help="Save the run (default: when a database is configured)."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar."),
) -> None:
    """Audit share-readiness (SMO): cards per network, findings with fixes, scores."""
    state = get_state(ctx)
    settings = state.settings.audit
    rule_filter = RuleFilter(
        split_codes(select) or settings.select, split_codes(ignore) or settings.ignore
    )
    fail_under = fail_under if fail_under is not None else settings.fail_under
    private = allow_private if allow_private is not None else settings.allow_private
    if compare_with is not None and compare_with != "last" and not compare_with.isdigit():
        raise UserError(f"--compare takes 'last' or a run id, got {compare_with!r}")
    networks = state.settings.workspace.networks

    if _is_url(target):
        kind = "url"
        key = _check_start(target, private)
        crawl = CrawlOptions(
            max_pages=max_pages or settings.max_pages,
            concurrency=concurrency or settings.concurrency,
            rate_limit=rate_limit if rate_limit is not None else settings.rate_limit,
            timeout=timeout,
            allow_private=private,
            allow_private_hint=ALLOW_PRIVATE,
        )
    else:
        path = Path(target)
        if not path.exists():
            raise UserError(f"{target}: no such file or folder (or give an http(s) URL)")
        kind = "file" if path.is_file() else "folder"
        key = str(path.resolve())
        base_url = base_url or state.settings.workspace.site_url
        if not base_url:
            raise UserError(
                f"{target}: --base-url is needed to map files to URLs "
                "(or set site_url under [workspace] in sociable.toml)"
            )

    db = _history_db(state, save, needed=compare_with is not None)
    if db is not None:
        ctx.call_on_close(db.dispose)
    recorder = None
    if db is not None:
        recorder = RunRecorder(
            db,
            key,
            kind,
            {
                "format": output_format.value,
                "select": rule_filter.select,
                "ignore": rule_filter.ignore,
                "max_pages": max_pages or settings.max_pages,
            },
        )

    bar: Progress | None = None
    task: TaskID | None = None
    show = progress and err_console.is_terminal
    if show:
        bar = Progress(
            SpinnerColumn(),
            TextColumn("[bold]auditing[/] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err_console,
            transient=True,
        )
        task = bar.add_task(target, total=None)

    reports: Iterable[PageReport]
    if kind == "url":
        from sociable.audit.run import AuditOptions, iter_site

        def on_progress(done: int, scheduled: int) -> None:
            if bar is not None and task is not None:
                bar.update(task, completed=done, total=scheduled)

        options = AuditOptions(crawl=crawl, rule_filter=rule_filter, networks=networks)
        reports = iter_site(key, options, on_progress=on_progress if show else None)
    else:
        from sociable.audit.files import audit_files

        assert base_url is not None
        reports = _progress_iter(
            audit_files(target, base_url, rule_filter=rule_filter, networks=networks), bar, task
        )

    site = SiteScore()
    to_file = output is not None
    with contextlib.ExitStack() as stack:
        if bar is not None:
            stack.enter_context(bar)
        if output is not None:
            try:
                out: TextIO = stack.enter_context(output.open("w", encoding="utf-8"))
            except OSError as exc:
                raise UserError(f"{output}: cannot write: {exc.strerror}") from None
        else:
            out = sys.stdout
        write_report(output_format.value, _recorded(reports, recorder), out, site)
        out.flush()

    if to_file:
        err_console.print(
            f"site score {site.score} over {site.pages} pages; report written to {output}"
        )
    if recorder is not None and db is not None:
        run_id = recorder.finish(site.score, site.categories)
        if compare_with is not None:
            previous = (
                previous_run(db, key, run_id) if compare_with == "last" else int(compare_with)
            )
            if previous is None:
                err_console.print(f"no earlier run of {key} to compare with (this is run {run_id})")
            else:
                try:
                    diff = compare(db, run_id, previous)
                except ValueError as exc:
                    raise UserError(str(exc)) from None
                machine = output_format is not AuditFormat.TEXT and not to_file
                if machine:
                    _print_comparison(diff, sys.stderr)
                elif output_format is AuditFormat.JSON:
                    emit_json(diff.as_dict())
                else:
                    _print_comparison(diff, sys.stdout)

    if fail_under is not None and site.score < fail_under:
        err_console.print(f"site score {site.score} is below --fail-under {fail_under}")
        raise typer.Exit(1)
