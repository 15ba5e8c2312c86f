"""The root ``sociable`` command: global options, command groups, error handling."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer
from rich.markup import escape
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

import sociable.cli.accounts_cmd as accounts_cmd
import sociable.cli.adapt_cmd as adapt_cmd
import sociable.cli.analytics_cmd as analytics_cmd
import sociable.cli.audit_cmd as audit_cmd
import sociable.cli.calendar_cmd as calendar_cmd
import sociable.cli.demo_cmd as demo_cmd
import sociable.cli.hashtags_cmd as hashtags_cmd
import sociable.cli.import_cmd as import_cmd
import sociable.cli.lint_cmd as lint_cmd
import sociable.cli.media_cmd as media_cmd
import sociable.cli.post_cmd as post_cmd
import sociable.cli.queue_cmd as queue_cmd
import sociable.cli.serve_cmd as serve_cmd
import sociable.cli.status_cmd as status_cmd
import sociable.cli.worker_cmd as worker_cmd
from sociable import __version__
from sociable.cli import (
    db_cmd,
    fix_cmd,
    init_cmd,
    link_cmd,
    preview_cmd,
    report_cmd,
    rules_cmd,
    tour_cmd,
    track_cmd,
    users_cmd,
)
from sociable.cli.output import err_console
from sociable.cli.state import CliState
from sociable.errors import UserError

app = typer.Typer(
    name="sociable",
    help="Sociable: make your site share-ready (SMO), then publish and measure (SMM).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sociable {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", "-c", envvar="SOCIABLE_CONFIG", help="Path to sociable.toml."
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        envvar="SOCIABLE_DATABASE_URL",
        help="SQLAlchemy URL; default: SQLite sociable.db next to the config.",
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what happens."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    state = CliState(config=config, database_url=database_url, debug=debug, verbose=verbose)
    ctx.obj = state
    ctx.call_on_close(state.close)


app.command()(init_cmd.init)
app.command()(rules_cmd.rules)
app.command()(audit_cmd.audit)
app.command()(lint_cmd.lint)
app.command()(adapt_cmd.adapt)
app.command()(tour_cmd.tour)
app.command()(hashtags_cmd.hashtags)
app.add_typer(media_cmd.app, name="media")
app.command()(serve_cmd.serve)
app.command()(demo_cmd.demo)
app.command()(preview_cmd.preview)
app.command()(fix_cmd.fix)
app.command()(fix_cmd.feed)
app.add_typer(db_cmd.app, name="db")
app.add_typer(users_cmd.app, name="users")
app.add_typer(accounts_cmd.app, name="accounts")
app.add_typer(post_cmd.app, name="post")
app.add_typer(calendar_cmd.app, name="calendar")
app.add_typer(queue_cmd.app, name="queue")
app.command()(worker_cmd.worker)
app.command()(status_cmd.status)
app.command("import")(import_cmd.import_csv)
app.command("export")(import_cmd.export_csv)
app.add_typer(link_cmd.app, name="link")
app.add_typer(track_cmd.app, name="track")
app.add_typer(report_cmd.app, name="report")
app.add_typer(analytics_cmd.app, name="analytics")


def _show_click_error(exc: ClickException) -> int:
    """A usage error as one line (or the help a bare group asks for); always exit 2.

    The pinned Typer parses with its own copy of click (``typer._click``), so the exceptions
    to catch are those, not the ``click`` package's.
    """
    if isinstance(exc, NoArgsIsHelpError):
        # Typer's Rich help has already been printed (to stdout, as for ``--help``) while the
        # exception was built; plain click help arrives as the message instead.
        if exc.format_message().strip():
            err_console.print(exc.format_message(), markup=False, highlight=False, soft_wrap=True)
        return 2
    hint = ""
    if isinstance(exc, UsageError) and exc.ctx is not None:
        hint = f" (see '{exc.ctx.command_path} --help')"
    message = " ".join(exc.format_message().split()).rstrip(".")
    err_console.print(f"[bold red]error:[/] {escape(message)}{escape(hint)}", soft_wrap=True)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors are one line and exit 2; ``--debug`` shows the traceback."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        # Without standalone mode click returns (not raises) a command's typer.Exit code.
        code = app(args=args, prog_name="sociable", standalone_mode=False)
    except UserError as exc:
        if debug:
            raise
        err_console.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except ClickException as exc:
        return _show_click_error(exc)
    except typer.Abort:
        err_console.print("aborted")
        return 1
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    return code if isinstance(code, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
