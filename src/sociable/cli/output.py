"""Rendering helpers shared by commands: one Rich console, JSON to stdout."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Any

from rich.console import Console

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def emit_json(data: Any) -> None:
    """Write ``data`` as JSON on stdout (not through Rich, so nothing is wrapped)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
