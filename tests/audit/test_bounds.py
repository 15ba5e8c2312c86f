"""Bounded parsing: deep nesting and huge attribute lists are capped before lexbor sees them,
so any page under the size cap is read in bounded work (and what matters is still found)."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from sociable import html_bounds as bounds
from sociable.audit.crawl import extract_links
from sociable.audit.extract import extract
from sociable.audit.preview import preview
from sociable.html_bounds import MAX_ATTRIBUTES, MAX_DEPTH, bound_markup

URL = "https://example.com/p"
HEAD = (
    "<html><head><title>T</title><meta property=og:title content=Deep>"
    "<meta property=og:image content=/card.png></head><body>"
)


# The tree may be a few levels deeper than the cap: the document node, an implied <html> and
# <body>, the flattened element at the cap, and a void or raw-text child of it.
SLACK = 5


def _tree_depth(html: str) -> int:
    """The deepest element of the tree lexbor builds (iteratively)."""
    root = LexborHTMLParser(html).root
    assert root is not None
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        child = node.child
        while child is not None:
            if child.tag != "-text":
                stack.append((child, depth + 1))
            child = child.next
    return deepest


def test_ordinary_page_is_not_touched() -> None:
    html = HEAD + "<ul>" + "<li><a href=/x>x</a></li>" * 2000 + "</ul>" + "</body></html>"
    out = bound_markup(html)
    assert out.text is html
    assert out.tags_visited == 0  # too few tags to hurt: no scan at all


def test_optional_end_tags_do_not_count_as_nesting() -> None:
    # 5,000 unclosed <li> and <p> (over 10,000 tags: scanned); the scanner knows each one
    # closes its sibling, so nothing is cut.
    html = HEAD + "<ul>" + "<li><a href=/x>x</a>" * 5000 + "</ul>" + "<p>x" * 5000
    out = bound_markup(html)
    assert out.tags_visited > 0
    assert out.text is html and not out.warnings


# 200,000 nested elements took lexbor minutes (quadratic); the cap makes it linear. The
# timeout is a generous backstop for a busy machine, not the assertion.
@pytest.mark.timeout(120)
def test_200000_nested_divs_are_capped_and_the_rest_still_read() -> None:
    n = 200_000
    html = HEAD + "<div>" * n + "<a href=/deep>deep</a>" + "</div>" * n
    html += "<img src=/after.png alt=after></body></html>"
    out = bound_markup(html)
    assert out.depth_capped == n - MAX_DEPTH + 3  # html, body, the divs to the cap; the <a>
    assert out.tags_visited <= 2 * n + 20  # one step per tag: linear work
    assert _tree_depth(out.text) <= MAX_DEPTH + SLACK

    meta = extract(html.encode(), URL)
    assert meta.capped
    assert any("nested deeper than 512" in w for w in meta.warnings)
    assert meta.first("og:title") == "Deep"
    assert "https://example.com/deep" in meta.links_internal  # text and links inside stay
    assert [i.src for i in meta.images] == ["https://example.com/after.png"]
    assert extract_links(html.encode(), URL) == ["https://example.com/deep"]


@pytest.mark.timeout(120)
def test_200000_attributes_keep_the_first_ones() -> None:
    n = 200_000
    attrs = " ".join(f"data-a{i}=1" for i in range(n))
    html = HEAD + f"<img src=/first.png alt=x {attrs} src=/later.png>" + "</body></html>"
    out = bound_markup(html)
    assert out.attributes_capped == n + 3 - MAX_ATTRIBUTES
    node = LexborHTMLParser(out.text).css_first("img")
    assert node is not None and len(node.attributes) == MAX_ATTRIBUTES

    result = preview(html.encode(), URL)
    assert result["cards"]["facebook"]["title"] == "Deep"
    meta = extract(html.encode(), URL)
    assert meta.capped and [i.src for i in meta.images] == ["https://example.com/first.png"]


_TAGS = st.sampled_from(
    ["div", "span", "p", "li", "td", "table", "section", "b", "a", "svg", "path", "template"]
)
_PIECES = st.one_of(
    _TAGS.map(lambda t: f"<{t}>"),
    _TAGS.map(lambda t: f"</{t}>"),
    _TAGS.map(lambda t: f"<{t}/>"),
    st.sampled_from(["<img src=a>", "<br>", "<!-- <div> -->", "<script><div></script>", "x"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_PIECES, st.integers(1, 700)), max_size=6))
def test_any_markup_ends_within_the_depth_cap(runs: list[tuple[str, int]]) -> None:
    html = "".join(piece * count for piece, count in runs)
    saved = bounds.SCAN_FROM_TAGS
    bounds.SCAN_FROM_TAGS = 0  # scan even these small pages (the model is what is tested)
    try:
        out = bound_markup(html)
    finally:
        bounds.SCAN_FROM_TAGS = saved
    assert _tree_depth(out.text) <= MAX_DEPTH + SLACK
    if html.count("<") <= MAX_DEPTH:  # cannot be deeper than the cap: nothing changes
        assert out.text == html


def test_real_pages_are_never_cut(shared_data) -> None:  # type: ignore[no-untyped-def]
    # The caps are far beyond real markup: no page of the shared corpus is changed.
    import base64
    import json

    corpus = shared_data("corpora/link-metadata")
    pages = 0
    for name in ("jacktuck+unfurl.jsonl", "scrapinghub+extruct.jsonl"):
        for line in (corpus / name).open(encoding="utf-8"):
            case = json.loads(line)
            raw = case.get("html")
            if raw is None:
                raw = base64.b64decode(case["html_base64"]).decode("utf-8", "replace")
            saved = bounds.SCAN_FROM_TAGS
            bounds.SCAN_FROM_TAGS = 0  # run the full model on every page
            try:
                out = bound_markup(str(raw))
            finally:
                bounds.SCAN_FROM_TAGS = saved
            assert out.text == raw and not out.warnings, case["id"]
            pages += 1
    assert pages == 88


def test_a_utf16_head_read_again_for_late_tags_is_capped_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A UTF-16 page over 32 KB has its head parsed a second time (to tell which tags come
    late); that parse is given capped markup like the first."""
    from sociable.audit import extract as extract_module

    crowded = "<meta " + " ".join(f"a{i}=1" for i in range(MAX_ATTRIBUTES * 3)) + ">"
    page = (
        "<html><head><meta property=og:title content=Wide>"
        + crowded * 20
        + "</head><body>x</body></html>"
    )
    most: list[int] = []
    real = extract_module.LexborHTMLParser

    def parse(markup: str, *args: object, **kwargs: object) -> object:
        most.append(max(tag.count("=") for tag in markup.split("<")))
        return real(markup, *args, **kwargs)

    monkeypatch.setattr(extract_module, "LexborHTMLParser", parse)
    body = codecs.BOM_UTF16_LE + page.encode("utf-16-le")
    assert len(body) > extract_module.SLACK_LIMIT
    meta = extract(body, URL)
    assert meta.first("og:title") == "Wide"
    assert len(most) == 2  # the page, then its first 32 KB
    assert max(most) <= MAX_ATTRIBUTES
