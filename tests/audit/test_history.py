"""Audit runs are saved and compared, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sociable.audit.findings import Finding, PageReport
from sociable.audit.history import RunRecorder, compare, previous_run
from sociable.store.db import Database
from sociable.store.models.audit import AuditFinding, AuditRun


def report(url: str, score: int, *codes: str) -> PageReport:
    findings = [
        Finding(code, f"title {code}", "error", "cards", url, f"msg {code}", f"ev {code}", "fix")
        for code in codes
    ]
    return PageReport(url, score, {"cards": score}, {}, {}, findings)


def save(db: Database, target: str, reports: list[PageReport], score: int) -> int:
    rec = RunRecorder(db, target, "url", {"max_pages": 10})
    for r in reports:
        rec.add(r)
    return rec.finish(score, {"cards": score})


def test_runs_are_saved_with_pages_and_findings(db: Database) -> None:
    run = save(db, "http://e.com/", [report("http://e.com/", 50, "SMO301", "SMO303")], 50)
    with db.session() as s:
        saved = s.get(AuditRun, run)
        assert saved is not None and saved.finished_at is not None
        assert (saved.pages, saved.findings, saved.site_score) == (1, 2, 50)
        assert s.query(AuditFinding).filter_by(run_id=run).count() == 2


def test_compare_lists_new_fixed_and_score_deltas(db: Database) -> None:
    first = save(
        db,
        "http://e.com/",
        [
            report("http://e.com/", 40, "SMO301", "SMO303", "SMO303"),
            report("http://e.com/a", 80, "SMO306"),
            report("http://e.com/gone", 10, "SMO707"),
        ],
        43,
    )
    save(db, "http://other.com/", [report("http://other.com/", 0, "SMO301")], 0)
    second = save(
        db,
        "http://e.com/",
        [
            report("http://e.com/", 90, "SMO303"),
            report("http://e.com/a", 60, "SMO306", "SMO305"),
            report("http://e.com/new", 100),
        ],
        83,
    )
    assert previous_run(db, "http://e.com/", second) == first
    assert previous_run(db, "http://e.com/", first) is None
    diff = compare(db, second, first)
    assert diff.score_delta == 40
    assert diff.categories == {"cards": (43, 83)}
    assert {(c.page, c.code, c.count) for c in diff.new} == {("http://e.com/a", "SMO305", 1)}
    assert {(c.page, c.code, c.count) for c in diff.fixed} == {
        ("http://e.com/", "SMO301", 1),
        ("http://e.com/", "SMO303", 1),
        ("http://e.com/gone", "SMO707", 1),
    }
    assert (diff.new_count, diff.fixed_count) == (1, 3)
    assert diff.pages_changed == [("http://e.com/a", 80, 60), ("http://e.com/", 40, 90)]
    assert (diff.pages_added, diff.pages_removed) == (1, 1)
    assert diff.as_dict()["site_score"] == {"before": 43, "after": 83, "delta": 40}


def test_large_runs_are_written_in_batches(db: Database) -> None:
    reports = [report(f"http://e.com/{i}", i % 100, "SMO301") for i in range(450)]
    run = save(db, "http://e.com/", reports, 50)
    with db.session() as s:
        assert s.query(AuditFinding).filter_by(run_id=run).count() == 450


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from(["SMO301", "SMO303"])), max_size=8),
    st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from(["SMO301", "SMO303"])), max_size=8),
)
def test_new_and_fixed_counts_match_multiset_difference(
    db: Database, before: list[tuple[str, str]], after: list[tuple[str, str]]
) -> None:
    target = f"http://e.com/{uuid.uuid4().hex}"

    def reports(pairs: list[tuple[str, str]]) -> list[PageReport]:
        return [
            report(f"{target}/{page}", 50, *[c for p, c in pairs if p == page]) for page in "abc"
        ]

    first = save(db, target, reports(before), 50)
    second = save(db, target, reports(after), 60)
    diff = compare(db, second, first)
    old, new = Counter(before), Counter(after)
    assert diff.new_count == sum((new - old).values())
    assert diff.fixed_count == sum((old - new).values())
    assert {(c.page.rsplit("/", 1)[1], c.code): c.count for c in diff.new} == dict(new - old)
