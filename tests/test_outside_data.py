"""The one rule for outside data: skip with where to get it, fail under CI, found by one setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import outside_data


@pytest.fixture
def empty_shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(outside_data.ENV, str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    return tmp_path


def test_missing_data_skips_with_where_to_get_it(empty_shared: Path) -> None:
    with pytest.raises(pytest.skip.Exception) as skipped:
        outside_data.require("conformance/twitter-text")
    message = str(skipped.value)
    assert str(empty_shared) in message and outside_data.ENV in message
    assert "github.com/twitter/twitter-text" in message


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_missing_data_fails_under_ci(
    empty_shared: Path, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        outside_data.require("datasets/instagram_kharwal")


@pytest.mark.parametrize("ci", ["", "0", "false"])
def test_ci_switched_off_still_skips(
    empty_shared: Path, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception):
        outside_data.require("datasets/instagram_kharwal")


def test_the_setting_points_at_the_data(empty_shared: Path) -> None:
    piece = empty_shared / "datasets" / "instagram_kharwal"
    piece.mkdir(parents=True)
    assert outside_data.require("datasets/instagram_kharwal") == piece
