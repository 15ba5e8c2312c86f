"""``sociable import`` and ``sociable export``: the calendar as CSV, in and out."""

from __future__ import annotations

from pathlib import Path

import typer

from sociable.cli.output import console, err_console
from sociable.cli.state import get_state
from sociable.clock import system_clock
from sociable.errors import UserError
from sociable.publish.accounts_ref import AccountIndex
from sociable.publish.exporters import DEFAULT_STATES, export_rows, to_csv
from sociable.publish.importers import ImportRejected, ImportReport, import_posts
from sociable.publish.media_source import workspace_media
from sociable.workspaces import current_workspace


def import_csv(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV: our columns with a header, or Hootsuite's."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row; store nothing."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Import the good rows anyway."),
    fmt: str = typer.Option("auto", "--format", help="auto, ours or hootsuite."),
    accounts: str | None = typer.Option(
        None, "--accounts", help="Accounts for a Hootsuite file (comma-separated)."
    ),
    date_order: str = typer.Option(
        "mdy", "--date-order", help="Hootsuite dates: mdy (MM/DD/YYYY) or dmy (DD/MM/YYYY)."
    ),
) -> None:
    """Import posts from CSV in one transaction: any bad row and nothing is imported.

    Columns: scheduled_at, accounts, text, media, alt_text, link, first_comment, labels.
    """
    state = get_state(ctx)
    try:
        with (
            state.database().session() as session,
            err_console.status("checking rows") as status,
        ):
            workspace = current_workspace(session, state.settings)
            report = import_posts(
                session,
                workspace,
                file,
                now=system_clock(),
                fmt=fmt,
                accounts=[a.strip() for a in (accounts or "").split(",") if a.strip()],
                date_order=date_order,
                dry_run=dry_run,
                skip_bad=skip_bad,
                platform_overrides=state.settings.platforms,
                handles=state.settings.handles,
                media=workspace_media(session, workspace.id, state.settings.media_dir),
                on_progress=lambda rows: status.update(f"{rows:,} rows checked"),
            )
    except ImportRejected as exc:  # the transaction has rolled back every row written
        _print_problems(file, exc.report)
        raise
    _print_problems(file, report)
    good, bad = report.good, len(report.bad_rows)
    if dry_run:
        console.print(
            f"dry run ({report.format} format): {good} row(s) would be imported, {bad} bad row(s)"
        )
        if bad and not skip_bad:
            raise UserError(f"{bad} bad row(s); fix them or use --skip-bad", where=str(file))
        return
    console.print(
        f"imported {report.created} post(s), {report.publications} publication(s)"
        + (f"; skipped {bad} bad row(s)" if bad else "")
    )


def _print_problems(file: Path, report: ImportReport) -> None:
    for problem in report.problems:
        err_console.print(f"{file}: {problem}", markup=False, soft_wrap=True)


def export_csv(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Where to write the CSV ('-' for stdout)."),
    all_states: bool = typer.Option(
        False, "--all", help="Every publication, not only those still to send."
    ),
    account: str | None = typer.Option(None, "--account", help="Only this account."),
) -> None:
    """Export scheduled posts in our CSV columns (re-importable)."""
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        ids = None
        if account:
            ids = [AccountIndex.load(session, workspace).resolve(account, "--account").id]
        rows = export_rows(
            session,
            workspace,
            states=None if all_states else DEFAULT_STATES,
            account_ids=ids,
            media_dir=state.settings.media_dir,
        )
    data = to_csv(rows)
    if str(file) == "-":
        typer.echo(data, nl=False)
        return
    try:
        file.write_text(data, encoding="utf-8", newline="")
    except OSError as exc:
        raise UserError(f"cannot write: {exc.strerror}", where=str(file)) from None
    console.print(f"wrote {len(rows)} row(s) to {file}")
