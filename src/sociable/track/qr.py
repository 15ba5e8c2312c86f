"""QR codes for short links (PNG for print, SVG for the web), drawn by segno."""

from __future__ import annotations

from pathlib import Path

import segno

from sociable.errors import UserError


def write_qr(data: str, path: Path, *, kind: str, scale: int = 8) -> Path:
    """Write ``data`` as a QR code; ``kind`` is ``png`` or ``svg``. Medium error correction
    survives a printed code being scuffed without making it much denser."""
    if kind not in ("png", "svg"):
        raise UserError(f"QR format {kind!r}: use png or svg", where="qr")
    if not 1 <= scale <= 100:
        raise UserError("scale must be between 1 and 100", where="qr")
    qr = segno.make(data, error="m", micro=False)
    try:
        qr.save(str(path), kind=kind, scale=scale, border=4)
    except OSError as exc:
        raise UserError(f"cannot write: {exc.strerror}", where=str(path)) from None
    return path
