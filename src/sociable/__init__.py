"""Sociable: social media optimization (SMO) and marketing (SMM), self-hosted."""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("sociable")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__", "preview"]


def __getattr__(name: str) -> Any:
    # Lazy: `import sociable` stays light; the audit stack loads on first use.
    if name == "preview":
        from sociable.audit.preview import preview

        return preview
    raise AttributeError(f"module 'sociable' has no attribute {name!r}")
