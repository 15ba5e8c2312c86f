"""Errors a person can act on.

A :class:`UserError` is bad input: the CLI prints its message on one line and exits 2.
Anything else is a bug and shows a traceback with ``--debug``.
"""

from __future__ import annotations


class SociableError(Exception):
    """Base for every error Sociable raises on purpose."""


class UserError(SociableError):
    """Bad input from the person: a file, a field, a flag. Exit code 2."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class ConfigError(UserError):
    """sociable.toml or an environment variable is wrong."""


class DatabaseError(UserError):
    """The database URL is wrong or the database cannot be reached."""
