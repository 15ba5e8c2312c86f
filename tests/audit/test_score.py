"""Scores: per category, per page, and the streaming site total."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sociable.audit.findings import PageReport
from sociable.audit.score import SiteScore, category_scores, page_score


def test_category_scores_weigh_by_severity() -> None:
    cats = category_scores(
        [("cards", "error", False), ("cards", "warning", True), ("travel", "info", True)]
    )
    assert cats == {"cards": round(100 * 2 / 7), "travel": 100}
    assert page_score(cats) == round((29 + 100) / 2)
    assert page_score({}) == 100


reports = st.lists(
    st.tuples(
        st.integers(0, 100),
        st.dictionaries(st.sampled_from(["cards", "travel", "mashup"]), st.integers(0, 100)),
    ),
    max_size=60,
)


@given(reports, st.integers(1, 5))
def test_streaming_site_score_equals_batch(
    rows: list[tuple[int, dict[str, int]]], keep: int
) -> None:
    site = SiteScore(worst_kept=keep)
    for i, (score, cats) in enumerate(rows):
        site.add(PageReport(f"u{i}", score, cats, {}, {}))
    assert site.pages == len(rows)
    if rows:
        assert site.score == round(sum(s for s, _ in rows) / len(rows))
        for cat in {c for _, cs in rows for c in cs}:
            values = [cs[cat] for _, cs in rows if cat in cs]
            assert site.categories[cat] == round(sum(values) / len(values))
    worst = site.worst_pages()
    assert len(worst) == min(keep, len(rows))
    assert [w["score"] for w in worst] == sorted(s for s, _ in rows)[: len(worst)]
