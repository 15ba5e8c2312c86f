"""Spreadsheet-safe CSV cells that still round-trip.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a line break is read by Excel,
LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)`` runs on open; OWASP
"CSV injection"). Export prefixes such a cell with ``'``, which spreadsheets show as text;
import removes exactly that prefix, so the file re-imports to the same posts. A cell that
already starts with ``'`` before a trigger gets one more, so the two never mix up.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def _needs_quote(value: str) -> bool:
    return value.lstrip("'").startswith(FORMULA_TRIGGERS)


def escape_cell(value: str) -> str:
    """``value`` as a cell no spreadsheet runs as a formula."""
    return f"'{value}" if _needs_quote(value) else value


def unescape_cell(value: str) -> str:
    """The value ``escape_cell`` was given (other cells are returned as they are)."""
    if value.startswith("'") and _needs_quote(value[1:]):
        return value[1:]
    return value
