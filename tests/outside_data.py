"""Third-party test suites and datasets, kept outside the repo and found through one setting.

``SOCIABLE_SHARED_DIR`` names the folder (default: ``../shared`` beside the clone). When a
piece is missing its tests are skipped with where to get it; with ``CI`` set they fail
instead, so a CI run never silently loses them. Only the tests that ask for this data (the
``shared_data`` fixture in conftest.py) depend on it; every other test needs nothing outside
the repo.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV = "SOCIABLE_SHARED_DIR"
DEFAULT = Path(__file__).resolve().parents[1].parent / "shared"

# Each piece a test reads, and where it comes from (the folder's SOURCE.md says the same).
SOURCES = {
    "conformance/twitter-text": (
        "https://github.com/twitter/twitter-text at 30e2430d90cff3b46393ea54caf511441983c260: "
        "the files of conformance/, plus config/v1.json, v2.json, v3.json saved as "
        "config-v1.json, config-v2.json, config-v3.json"
    ),
    "corpora/link-metadata": (
        "the test pages of https://github.com/jacktuck/unfurl at a1b5a97f (test/**) and "
        "https://github.com/scrapinghub/extruct at a31daaad (tests/samples/**), exported one "
        "case a line to jacktuck+unfurl.jsonl and scrapinghub+extruct.jsonl (see its SOURCE.md)"
    ),
    "datasets/instagram_kharwal": (
        "https://github.com/amankharwal/Website-data at 6c3f3ebde421a9d5a57105d47fbd259605faf545: "
        "'Instagram data.csv' saved as Instagram_data.csv"
    ),
}


def root() -> Path:
    value = os.environ.get(ENV, "").strip()
    return Path(value).expanduser() if value else DEFAULT


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require(piece: str) -> Path:
    """The folder of ``piece`` (a key of SOURCES), or skip the test (fail it under CI)."""
    path = root() / piece
    if path.is_dir():
        return path
    message = f"{piece} not found in {root()} (set {ENV}); get it from {SOURCES[piece]}"
    if in_ci():
        pytest.fail(f"CI is set, so outside data must be present: {message}", pytrace=False)
    pytest.skip(message)
