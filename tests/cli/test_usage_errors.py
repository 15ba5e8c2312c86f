"""Usage errors, walked over the whole command tree: exit 2, one line (or help), no traceback.

The tree comes from the Typer app itself, so a command added later is covered without
touching this file.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from typer._click.core import Command
from typer.core import TyperGroup as Group

from sociable.cli.app import app

BOGUS = "--no-such-option-xyz"


def _walk(command: Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Command]]:
    found = [(path, command)]
    if isinstance(command, Group):
        for name, sub in sorted(command.commands.items()):
            found += _walk(sub, (*path, name))
    return found


TREE = _walk(typer.main.get_command(app))
# Groups that need a subcommand (``calendar`` alone shows the calendar, by design).
GROUPS = [
    path
    for path, command in TREE
    if isinstance(command, Group) and not command.invoke_without_command
]
# Commands that cannot run without an argument or option (and would not prompt for it).
NEEDS_INPUT = [
    path
    for path, command in TREE
    if not isinstance(command, Group)
    and any(p.required and not getattr(p, "prompt", None) for p in command.params)
]


def _ids(paths: list[tuple[str, ...]]) -> list[str]:
    return [" ".join(p) or "sociable" for p in paths]


def _one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert len(lines[0]) < 200, err
    return lines[0]


def test_the_tree_is_the_whole_cli() -> None:
    # A guard on the walk itself: the groups and a nested command the issue names are in it.
    for group in ("report", "post", "link", "db", "users", "accounts", "queue", "track", "media"):
        assert (group,) in GROUPS
    assert ("link", "create") in NEEDS_INPUT and ("audit",) in NEEDS_INPUT
    assert len(TREE) > 40


@pytest.mark.parametrize("path", [p for p, _ in TREE], ids=_ids([p for p, _ in TREE]))
def test_unknown_option_is_one_line_and_exit_2(cli, path: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = cli(*path, BOGUS)
    assert result.code == 2, result.err
    line = _one_line_error(result.err)
    assert BOGUS in line and "--help" in line
    assert "Traceback" not in result.err + result.out


@pytest.mark.parametrize("path", NEEDS_INPUT, ids=_ids(NEEDS_INPUT))
def test_missing_argument_is_one_line_and_exit_2(cli, path: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = cli(*path)
    assert result.code == 2, result.err
    assert "Missing" in _one_line_error(result.err)
    assert "Traceback" not in result.err + result.out


@pytest.mark.parametrize("path", GROUPS, ids=_ids(GROUPS))
def test_group_without_subcommand_shows_help_and_exit_2(cli, path: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = cli(*path)
    assert result.code == 2
    shown = result.out + result.err  # Typer's Rich help goes to stdout, as for --help
    assert "Usage:" in shown and "Commands" in shown
    assert "Traceback" not in shown


def test_unknown_command_is_one_line_and_exit_2(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("link", "nosuch")
    assert result.code == 2
    assert "nosuch" in _one_line_error(result.err)


def test_the_installed_entry_point_too() -> None:
    """The real process: what a newcomer sees typing ``sociable lint --bogus``."""
    proc = subprocess.run(
        [sys.executable, "-m", "sociable.cli.app", "lint", "--bogus"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: No such option: --bogus (see 'sociable lint --help')"
