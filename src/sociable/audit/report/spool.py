"""A temporary text buffer that moves to disk when large (for summary-first formats)."""

from __future__ import annotations

import shutil
import tempfile
from typing import TextIO

SPOOL_MEMORY = 4 * 1024 * 1024


def spool() -> tempfile.SpooledTemporaryFile[str]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY, mode="w+", encoding="utf-8")


def drain(buffer: tempfile.SpooledTemporaryFile[str], out: TextIO) -> None:
    buffer.seek(0)
    shutil.copyfileobj(buffer, out)
    buffer.close()
