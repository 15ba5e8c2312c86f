"""Hashtag ranking: keywords from the text, votes from similar past posts, performance lift."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sociable.content.hashtags import (
    HistoryIndex,
    Weights,
    as_tag,
    keyword_candidates,
    rank_tags,
    suggest,
    tag_stats,
)
from sociable.content.history import PastPost
from sociable.content.platforms import load_platforms


def post(i: int, text: str, tags: str, likes: int = 10, impressions: int = 1000) -> PastPost:
    return PastPost(
        row=i + 2,
        text=text,
        tags=tuple(tags.split()),
        when=datetime(2024, 1, 1) + timedelta(days=i),
        likes=likes,
        comments=0,
        shares=0,
        saves=0,
        impressions=impressions,
    )


def bakery_history() -> list[PastPost]:
    out = []
    for i in range(12):
        out.append(post(2 * i, "Fresh sourdough bread from our oven this morning", "bread bakery"))
        out.append(post(2 * i + 1, "Espresso and latte art at the coffee bar", "coffee bakery"))
    return out


def test_as_tag() -> None:
    assert as_tag("Data Science") == "datascience"
    assert as_tag("rock'n'roll!") == "rocknroll"
    assert as_tag("...") == ""


def test_keyword_candidates_come_from_the_text() -> None:
    found = dict(
        keyword_candidates("Machine learning projects in Python for machine learning fans")
    )
    assert "machinelearning" in found
    assert all(0 < w <= 1 for w in found.values())
    assert keyword_candidates("") == [] and keyword_candidates("!!! 123 ...") == []


def test_similar_posts_vote_for_their_tags() -> None:
    history = bakery_history()
    ranked = [s.tag for s in rank_tags("A new sourdough bread recipe", history)]
    assert ranked.index("bread") < ranked.index("coffee")
    ranked = [s.tag for s in rank_tags("Latte art at our coffee bar", history)]
    assert ranked.index("coffee") < ranked.index("bread")


def test_tag_stats_shrink_rare_tags_towards_the_baseline() -> None:
    history = [post(i, "x", "common", likes=10) for i in range(40)]
    history.append(post(40, "x", "common lucky", likes=500))  # one viral post
    history += [post(41 + i, "x", "common steady", likes=30) for i in range(30)]
    stats, baseline = tag_stats(history, shrink=10.0)
    assert baseline == pytest.approx(sum(p.engagement_rate or 0 for p in history) / len(history))
    raw_lucky = stats["lucky"].mean_rate / baseline
    assert raw_lucky > 15 and stats["lucky"].lift < raw_lucky / 5
    # 30 posts: three quarters of the weight is the tag's own record.
    raw_steady = 0.03 / baseline
    assert stats["steady"].lift == pytest.approx(0.75 * raw_steady + 0.25)
    assert stats["steady"].lift > 1.1
    assert stats["common"].lift == pytest.approx(1.0)


def test_performance_reorders_equally_relevant_tags() -> None:
    history = [post(i, "same words", "good bad", likes=10) for i in range(10)]
    history += [post(10 + i, "same words", "good", likes=40) for i in range(20)]
    history += [post(30 + i, "same words", "bad", likes=1) for i in range(20)]
    ranked = rank_tags("same words", history, weights=Weights(keyword=0.0))
    by_tag = {s.tag: s for s in ranked}
    assert by_tag["good"].lift > 1 > by_tag["bad"].lift
    assert by_tag["good"].score > by_tag["bad"].score
    flat = {s.tag: s for s in rank_tags("same words", history, weights=Weights(performance=0))}
    assert flat["good"].score == pytest.approx(flat["good"].relevance)


def test_engagement_counts_without_impressions() -> None:
    history = [post(i, "words", "a", likes=5, impressions=0) for i in range(5)]
    report = suggest("words", history, network="instagram")
    assert report.metric == "engagements per post"


def test_suggest_caps_flags_and_bans() -> None:
    history = bakery_history()
    report = suggest(
        "Sourdough bread and coffee this morning #bakery",
        history,
        network="instagram",
        top=7,
        banned=["#Coffee"],
        overused=["bakery"],
    )
    assert report.cap == 5
    tags = [s.tag for s in report.suggestions]
    assert "coffee" not in tags and len(tags) <= 7
    assert [s.tag for s in report.flagged] == ["coffee"] and report.flagged[0].flags == ["banned"]
    bakery = next(s for s in report.suggestions if s.tag == "bakery")
    assert "overused" in bakery.flags and "in post" in bakery.flags
    over = [s for s in report.suggestions if "over cap" in s.flags]
    assert len(tags) <= 5 or [s.tag for s in over] == tags[5:]
    assert any("at most 5" in n for n in report.notes)


def test_top_defaults_to_the_network_cap_from_config() -> None:
    platforms = load_platforms({"instagram": {"max_hashtags": 3}})
    report = suggest(
        "bread coffee sourdough latte morning oven", bakery_history(), platforms=platforms
    )
    assert report.cap == 3 and len(report.suggestions) == 3


def test_without_history_it_says_so() -> None:
    report = suggest("Our new vegan chocolate cake recipe", network="x")
    assert report.suggestions and all(s.sources == ["text"] for s in report.suggestions)
    assert any("no history" in n for n in report.notes)


def test_history_index_recency_half_life() -> None:
    posts = [post(i, "w", "t") for i in range(11)]
    index = HistoryIndex(posts, half_life=10)
    assert index.recency[-1] == 1.0 and index.recency[0] == pytest.approx(0.5)


def test_huge_text_is_bounded() -> None:
    text = "bread " * 200_000  # 1.2 MB
    report = suggest(text, bakery_history(), network="instagram")
    assert report.suggestions[0].tag in {"bread", "bakery"}


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_a_ranked_list(text: str) -> None:
    report = suggest(text, bakery_history(), network="mastodon", top=5)
    scores = [s.score for s in report.suggestions]
    assert scores == sorted(scores, reverse=True)
    assert len(report.suggestions) <= 5
    assert all(s.tag and "#" not in s.tag for s in report.suggestions)
