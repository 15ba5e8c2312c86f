"""twitter-text's conformance suite, loaded from outside the repo at test time (never copied).

Where it is: tests/outside_data.py (``SOCIABLE_SHARED_DIR``, default ``../shared``). Without it
every test here is skipped (failed under CI); tests/content/test_counting.py and
test_entities.py cover the same ground on our own cases.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from sociable.content import twitter as tt
from tests import outside_data

PIECE = "conformance/twitter-text"


@pytest.fixture(scope="module")
def suite(shared_data: Callable[[str], Path]) -> Path:
    return shared_data(PIECE)


# Every test here needs the suite: it skips (or fails under CI) through the one fixture.
pytestmark = pytest.mark.usefixtures("suite")


def _cases(name: str, section: str) -> list[Any]:
    path = outside_data.root() / PIECE / name
    if not path.exists():  # collection must not crash; the ``suite`` fixture reports it
        return [pytest.param(None, id="missing-suite")]
    tests = yaml.safe_load(path.read_text(encoding="utf-8"))["tests"][section]
    return [pytest.param(c, id=f"{section}-{i}") for i, c in enumerate(tests)]


def test_suite_is_there(suite: Path) -> None:
    assert (suite / "validate.yml").is_file()


def _config(suite: Path, version: int) -> tt.TwitterConfig:
    data = json.loads((suite / f"config-v{version}.json").read_text())
    return tt.config_from_json(data)


def test_built_in_configs_match_the_suite(suite: Path) -> None:
    for version, config in tt.CONFIGS.items():
        loaded = _config(suite, version)
        assert loaded.max_weighted_length == config.max_weighted_length
        assert loaded.scale == config.scale and loaded.default_weight == config.default_weight
        assert loaded.transformed_url_length == config.transformed_url_length
        assert loaded.emoji_parsing == config.emoji_parsing
        assert [tuple(r) for r in loaded.ranges] == [tuple(r) for r in config.ranges]


WEIGHTED = {
    "WeightedTweetsCounterTest": 2,
    "WeightedTweetsWithDiscountedEmojiCounterTest": 3,
    "UnicodeDirectionalMarkerCounterTest": 3,
}


@pytest.mark.parametrize("section", list(WEIGHTED))
def test_weighted_sections(suite: Path, section: str) -> None:
    config = _config(suite, WEIGHTED[section])
    tests = yaml.safe_load((suite / "validate.yml").read_text())
    failures = []
    for case in tests["tests"][section]:
        got = tt.parse_tweet(case["text"], config).as_dict()
        if got != case["expected"]:
            failures.append((case["description"], got, case["expected"]))
    assert not failures, failures


@pytest.mark.parametrize("case", _cases("validate.yml", "tweets"))
def test_valid_tweets_v1(case: dict) -> None:
    assert tt.parse_tweet(case["text"], tt.CONFIG_V1).valid == case["expected"], case["description"]


@pytest.mark.parametrize("case", _cases("validate.yml", "hashtags"))
def test_valid_hashtags(case: dict) -> None:
    assert tt.is_valid_hashtag(case["text"]) == case["expected"], case["description"]


@pytest.mark.parametrize("case", _cases("validate.yml", "usernames"))
def test_valid_usernames(case: dict) -> None:
    assert tt.is_valid_username(case["text"]) == case["expected"], case["description"]


@pytest.mark.parametrize("case", _cases("validate.yml", "lists"))
def test_valid_lists(case: dict) -> None:
    assert tt.is_valid_list(case["text"]) == case["expected"], case["description"]


def _texts(ents: list[tt.Entity]) -> list[str]:
    return [e.text for e in ents]


@pytest.mark.parametrize("case", _cases("extract.yml", "mentions"))
def test_extract_mentions(case: dict) -> None:
    assert _texts(tt.extract_mentions(case["text"])) == case["expected"], case["description"]


@pytest.mark.parametrize("case", _cases("extract.yml", "mentions_with_indices"))
def test_extract_mentions_with_indices(case: dict) -> None:
    got = [
        {"screen_name": e.text, "indices": list(e.indices)}
        for e in tt.extract_mentions(case["text"])
    ]
    assert got == case["expected"], case["description"]


@pytest.mark.parametrize("case", _cases("extract.yml", "mentions_or_lists_with_indices"))
def test_extract_mentions_or_lists(case: dict) -> None:
    got = [
        {"screen_name": e.text, "list_slug": e.list_slug, "indices": list(e.indices)}
        for e in tt.extract_mentions_or_lists(case["text"])
    ]
    assert got == case["expected"], case["description"]


@pytest.mark.parametrize("case", _cases("extract.yml", "replies"))
def test_extract_replies(case: dict) -> None:
    assert tt.extract_reply(case["text"]) == case["expected"], case["description"]


@pytest.mark.parametrize(
    "case",
    _cases("extract.yml", "urls")
    + _cases("extract.yml", "urls_with_directional_markers")
    + _cases("extract.yml", "tco_urls_with_params"),
)
def test_extract_urls(case: dict) -> None:
    got = tt.extract_urls(case["text"])
    expected = case["expected"]
    if expected and isinstance(expected[0], dict):
        assert [{"url": e.text, "indices": list(e.indices)} for e in got] == expected
    else:
        assert _texts(got) == expected, case["description"]


@pytest.mark.parametrize("case", _cases("extract.yml", "urls_with_indices"))
def test_extract_urls_with_indices(case: dict) -> None:
    got = [{"url": e.text, "indices": list(e.indices)} for e in tt.extract_urls(case["text"])]
    assert got == case["expected"], case["description"]


@pytest.mark.parametrize(
    "case", _cases("extract.yml", "hashtags") + _cases("extract.yml", "hashtags_from_astral")
)
def test_extract_hashtags(case: dict) -> None:
    assert _texts(tt.extract_hashtags(case["text"])) == case["expected"], case["description"]


@pytest.mark.parametrize("case", _cases("extract.yml", "hashtags_with_indices"))
def test_extract_hashtags_with_indices(case: dict) -> None:
    got = [
        {"hashtag": e.text, "indices": list(e.indices)} for e in tt.extract_hashtags(case["text"])
    ]
    assert got == case["expected"], case["description"]


@pytest.mark.parametrize("case", _cases("extract.yml", "cashtags"))
def test_extract_cashtags(case: dict) -> None:
    assert _texts(tt.extract_cashtags(case["text"])) == case["expected"], case["description"]


@pytest.mark.parametrize("case", _cases("extract.yml", "cashtags_with_indices"))
def test_extract_cashtags_with_indices(case: dict) -> None:
    got = [
        {"cashtag": e.text, "indices": list(e.indices)} for e in tt.extract_cashtags(case["text"])
    ]
    assert got == case["expected"], case["description"]


def test_every_extract_section_is_covered(suite: Path) -> None:
    tests = yaml.safe_load((suite / "extract.yml").read_text())
    covered = {
        "mentions", "mentions_with_indices", "mentions_or_lists_with_indices", "replies",
        "urls", "urls_with_indices", "urls_with_directional_markers", "tco_urls_with_params",
        "hashtags", "hashtags_from_astral", "hashtags_with_indices", "cashtags",
        "cashtags_with_indices",
    }  # fmt: skip
    assert set(tests["tests"]) <= covered


@pytest.mark.parametrize("section", ["country", "generic"])
def test_tlds(suite: Path, section: str) -> None:
    tests = yaml.safe_load((suite / "tlds.yml").read_text())
    bad = [
        c["text"]
        for c in tests["tests"][section]
        if _texts(tt.extract_urls(c["text"])) != c["expected"]
    ]
    assert not bad, bad[:10]
