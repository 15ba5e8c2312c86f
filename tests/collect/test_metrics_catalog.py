"""The metrics catalog: the packaged file is valid, and a broken one names file and field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sociable.collect import metrics
from sociable.collect.metrics import CatalogError, load, requestable


def test_packaged_catalog_loads_every_network_with_sources() -> None:
    cat = load()
    assert {
        *("x", "bluesky", "mastodon", "linkedin", "instagram", "facebook"),
        *("threads", "reddit", "tumblr"),
    } <= set(cat.networks())
    for m in cat.metrics:
        assert m.source.startswith("https://"), m
        assert m.meaning and m.api_version
    # the Mastodon names the connector reads are the documented Status/Account fields
    assert {m.name for m in cat.of("mastodon", "post")} >= {
        "replies_count",
        "reblogs_count",
        "favourites_count",
    }


def test_a_deprecated_metric_is_no_longer_requested() -> None:
    before = requestable("instagram", "post", date(2025, 4, 20))
    after = requestable("instagram", "post", date(2025, 4, 21))
    assert "impressions" in before and "impressions" not in after
    assert "views" in after
    assert requestable("facebook", "account", date(2025, 11, 15), "insights") == []


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "metrics.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
[net]
api_version = "v1"
source = "https://example.org/docs"
checked = "2026-12-04"
metrics = [ { name = "likes", scope = "post", meaning = "likes" } ]
"""


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('scope = "post"', 'scope = "page"', "metrics[0].scope"),
        ('checked = "2026-12-04"', 'checked = "soon"', "[net].checked"),
        ('source = "https://example.org/docs"', 'source = "ftp://x"', "[net].source"),
        ('meaning = "likes"', 'meaning = ""', "metrics[0].meaning"),
        ('meaning = "likes"', 'meaning = "x", deprecated_on = "2025-13-01"', "deprecated_on"),
        ('meaning = "likes"', 'meaning = "x", colour = "red"', "colour"),
        (" } ]", ' }, { name = "likes", scope = "post", meaning = "again" } ]', "listed twice"),
        ('meaning = "likes"', 'meaning = "x", measure = "hearts"', "metrics[0].measure"),
    ],
)
def test_a_bad_field_is_named(tmp_path: Path, old: str, new: str, field: str) -> None:
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(CatalogError) as info:
        load(path)
    assert str(path) in str(info.value) and field in str(info.value)


def test_the_good_sample_loads_with_its_defaults(tmp_path: Path) -> None:
    cat = load(_write(tmp_path, GOOD))
    (m,) = cat.metrics
    assert (m.network, m.api_version, m.source, m.deprecated_on) == (
        "net",
        "v1",
        "https://example.org/docs",
        None,
    )


def test_unreadable_toml_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"metrics\.toml"):
        load(_write(tmp_path, "[net\n"))
    assert metrics.DATA.is_file()


def test_every_network_metric_a_report_can_use_maps_to_a_measure() -> None:
    """Reports read measures: each post and account count the connectors read must map to
    one, or the catalog must say it is not for reports (no measure)."""
    from sociable.analytics.measures import ACCOUNT_MEASURES, MEASURES

    cat = load()
    for m in cat.metrics:
        assert m.measure is None or m.measure in MEASURES, m
        if m.scope == "account" and m.measure is not None and m.live_on(date(2026, 12, 4)):
            assert m.measure in ACCOUNT_MEASURES or m.via == "insights", m
    assert metrics.measure_of("mastodon", "favourites_count") == "likes"
    assert metrics.measure_of("x", "retweet_count") == "shares"
    assert metrics.measure_of("any", "reach") == "reach"  # an import's canonical name
    assert metrics.measure_of("any", "hearts") is None
