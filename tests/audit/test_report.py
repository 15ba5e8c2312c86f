"""Report writers: every format parses, streams, and says the same thing."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from xml.etree import ElementTree

import pytest

from sociable.audit.engine import audit_page
from sociable.audit.findings import PageReport
from sociable.audit.report import FORMATS, write_report
from sociable.audit.score import SiteScore
from sociable.errors import UserError

GOOD = (
    b"<html lang=en><head><title>T</title><meta property='og:title' content='Good &lt;b&gt;'>"
    b"<meta property='og:image' content='https://example.com/c.png'></head></html>"
)


def pages() -> list[PageReport]:
    return [
        audit_page(GOOD, "https://example.com/a"),
        audit_page(
            b"<meta property=og:title content='=1+2'><meta property=og:title content=b>",
            "https://example.com/b",
        ),
        audit_page(b"\x00\x01binary", "https://example.com/c.bin"),
    ]


def render(fmt: str, reports: list[PageReport]) -> tuple[str, SiteScore]:
    out = io.StringIO()
    site = write_report(fmt, iter(reports), out)
    return out.getvalue(), site


def test_json_shape() -> None:
    text, site = render("json", pages())
    data = json.loads(text)
    assert data["site"]["score"] == site.score
    assert set(data["site"]["categories"]) == set(site.categories)
    assert [p["url"] for p in data["pages"]] == [
        "https://example.com/a",
        "https://example.com/b",
        "https://example.com/c.bin",
    ]
    page = data["pages"][1]
    assert {"url", "score", "resolved", "cards", "findings"} <= set(page)
    assert set(page["findings"][0]) == {
        "code", "title", "severity", "category", "message", "evidence", "fix"
    }  # fmt: skip
    assert data["pages"][2]["error"] == "not an HTML page"


def test_json_with_no_pages() -> None:
    data = json.loads(render("json", [])[0])
    assert data == {"site": data["site"], "pages": []}
    assert data["site"]["pages"] == 0


def test_sarif_results_match_findings() -> None:
    reports = pages()
    data = json.loads(render("sarif", reports)[0])
    run = data["runs"][0]
    assert data["version"] == "2.1.0"
    ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert len(run["results"]) == sum(len(r.findings) for r in reports)
    for result in run["results"]:
        assert result["ruleId"] in ids
        assert result["level"] in ("error", "warning", "note")
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]


def test_junit_counts() -> None:
    root = ElementTree.fromstring(render("junit", pages())[0])
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "3"
    assert suite.get("errors") == "1"
    assert int(suite.get("failures") or 0) == len(suite.findall("testcase/failure"))


def test_csv_rows_and_formula_escaping() -> None:
    reports = pages()
    rows = list(csv.DictReader(io.StringIO(render("csv", reports)[0])))
    assert len(rows) == sum(max(1, len(r.findings)) for r in reports)
    assert all((r["evidence"] or " ")[0] not in "=+-@" for r in rows)
    assert "'=1+2 | b" in [r["evidence"] for r in rows]


def test_html_is_self_contained_and_escaped() -> None:
    text = render("html", pages())[0]
    assert text.startswith("<!doctype html>")
    assert "<script" not in text and "stylesheet" not in text
    assert "Good &lt;b&gt;" in text and "<b>Good" not in text
    for name in ("Facebook", "X", "LinkedIn", "Slack", "Discord", "Mastodon", "Bluesky"):
        assert f">{name} · " in text
    assert "Fix: " in text


def test_text_lists_findings_and_site_score() -> None:
    text, site = render("text", pages())
    assert "SMO303" in text and f"site score {site.score}/100 over 3 page(s)" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_writers_consume_a_generator_once(fmt: str) -> None:
    consumed = []

    def gen() -> Iterator[PageReport]:
        for r in pages():
            consumed.append(r.url)
            yield r

    out = io.StringIO()
    site = write_report(fmt, gen(), out)
    assert site.pages == 3 and len(consumed) == 3


def test_unknown_format_is_user_error() -> None:
    with pytest.raises(UserError, match="unknown report format"):
        write_report("pdf", [], io.StringIO())


BARE = b"<!doctype html><html><head></head><body><p>Hello</p></body></html>"


def test_html_counts_pages_with_error_findings_and_titles_each_rule() -> None:
    bare = audit_page(BARE, "https://example.com/bare")
    errors = [f for f in bare.findings if f.severity == "error"]
    assert len(errors) >= 2
    text, site = render("html", [bare, audit_page(GOOD, "https://example.com/a")])
    assert site.error_pages == 0  # both pages were read
    good = audit_page(GOOD, "https://example.com/a")
    assert not [f for f in good.findings if f.severity == "error"]
    assert "2 page(s), 1 with error findings." in text
    assert "0 with errors" not in text
    for f in bare.findings:  # each row of "Findings by rule" names the rule
        assert f"<td><code>{f.code}</code> {html.escape(f.title)}</td>" in text


def test_html_unreadable_pages_are_counted_apart() -> None:
    text, _ = render("html", pages())
    assert "could not be checked" in text


def test_every_card_header_names_its_card_type() -> None:
    text, _ = render("html", [audit_page(BARE, "https://example.com/bare")])
    assert not re.search(r" · </div>", text)
    assert ">X · no card</div>" in text


def test_finding_messages_do_not_repeat_their_rule_titles() -> None:
    for page in (BARE, b"<html><head><title>Spring menu</title></head></html>"):
        for f in audit_page(page, "https://example.com/p").findings:
            assert f.message.casefold() != f.title.casefold(), f
            assert not f.message.casefold().startswith(f.title.casefold()), f
