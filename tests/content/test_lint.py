"""lint_post: counts per network and findings with stable codes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import respx
from PIL import Image
from selectolax import lexbor

from sociable.content import lint
from sociable.content.lint import lint_post
from sociable.content.platforms import load_platforms
from sociable.content.post import PostInput
from sociable.errors import UserError
from sociable.html_bounds import MAX_DEPTH
from sociable.net import NetPolicy
from sociable.rules import RuleFilter, all_rules


def codes(text: str, networks: str = "x", **kw) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    report = lint_post(PostInput(text=text, **kw), networks)
    out: dict[str, set[str]] = {}
    for f in report.findings:
        out.setdefault(f.code, set()).add(f.network)
    return out


def test_rules_are_registered() -> None:
    post_codes = {r.code for r in all_rules("post")}
    for code in ("POST101", "POST201", "POST403", "POST501", "POST601", "POST107"):
        assert code in post_codes


def test_counts_and_cut_point() -> None:
    report = lint_post(PostInput(text="a" * 290 + " Reply?"), "x,mastodon")
    x = report.networks["x"]
    assert (x.length, x.limit, x.remaining, x.valid, x.cut_at) == (297, 280, -17, False, 280)
    assert report.networks["mastodon"].valid
    assert report.has_errors
    [finding] = [f for f in report.findings if f.code == "POST101"]
    assert finding.network == "x" and "17 over" in finding.message
    data = report.as_dict()
    assert set(data) == {"networks", "findings"}
    assert {"length", "limit", "remaining", "valid"} <= set(data["networks"]["x"])
    assert set(data["findings"][0]) == {"code", "network", "severity", "message"}


def test_bluesky_byte_limit() -> None:
    found = codes("👨‍👩‍👧‍👦" * 200 + " Join us?", "bluesky")
    assert found["POST102"] == {"bluesky"}


def test_empty_post() -> None:
    assert "POST103" in codes("   ", "x")
    assert "POST103" not in codes("", "x", media=["https://cdn.example/a.jpg"], alt=["A cat"])


def test_hashtag_rules() -> None:
    text = "Read our guide #a1 #b2 #c3 #d4 #e5 #f6 #a1 #2024 #socialmediamarketing"
    found = codes(text, "x,instagram,reddit,threads")
    assert found["POST201"] == {"instagram", "threads"}
    assert found["POST202"] == {"x"}
    assert found["POST203"] == {"reddit"}
    assert "POST206" in found and "POST207" in found and "POST504" in found
    assert "POST504" not in codes("Read #SocialMediaMarketing now", "x")


def test_mention_rules() -> None:
    found = codes("Read this, thanks @alice@example.social and @bob", "x,mastodon,bluesky")
    assert found["POST204"] == {"x", "bluesky"}
    many = " ".join(f"@user{i}" for i in range(25))
    assert codes(f"Read {many}", "instagram")["POST205"] == {"instagram"}


def test_link_rules() -> None:
    links = " ".join(f"https://example.com/{i}" for i in range(6))
    found = codes(f"Read {links}", "threads,instagram")
    assert found["POST402"] == {"threads"} and found["POST401"] == {"instagram"}
    assert "POST403" in found
    partial = codes("Read https://example.com/?utm_source=Newsletter", "x")
    assert "POST404" in partial and "POST403" not in partial
    tagged = "Read https://example.com/?utm_source=x&utm_medium=social&utm_campaign=spring"
    assert not {"POST403", "POST404"} & set(codes(tagged, "x"))
    assert "POST405" in codes("Read", "x", link="javascript:alert(1)")


def test_accessibility_rules() -> None:
    assert "POST502" in codes("BIG SALE TODAY ONLY, SHOP NOW!")
    assert "POST502" not in codes("Big sale at NASA HQ, shop now!")
    assert "POST503" in codes("🎉🎉 🔥")
    assert "POST506" in codes("Read this 🎉🎉🎉")
    assert "POST505" in codes("Read \u202eevil\u202c text")
    assert "POST505" not in codes("Read 👨‍👩‍👧 family")
    assert "POST501" in codes("Read", "x", media=["https://cdn.example/a.jpg"])
    assert "POST501" not in codes("Read", "threads", media=["https://cdn.example/a.jpg"])


def test_quality_rules() -> None:
    assert "POST601" in codes("We have news.")
    assert "POST601" not in codes("We have news. Sign up today")
    assert "POST601" not in codes("Do you like it?")
    past = PostInput(text="Read", scheduled_at=datetime(2020, 1, 1, tzinfo=UTC))
    report = lint_post(past, "x", now=datetime(2026, 1, 1, tzinfo=UTC))
    assert "POST604" in {f.code for f in report.findings}


def test_bad_characters() -> None:
    assert "POST105" in codes("Read \ufffe this")
    assert "POST105" in codes("Read \ud800 this")


def test_select_and_ignore() -> None:
    post = PostInput(text="BIG NEWS FOR EVERYONE TODAY #a #b #c")
    report = lint_post(post, "x", rule_filter=RuleFilter(["POST5"], []))
    assert {f.code for f in report.findings} == {"POST502"}
    report = lint_post(post, "x", rule_filter=RuleFilter([], ["POST5", "POST6"]))
    assert "POST502" not in {f.code for f in report.findings}


def test_overrides_are_used() -> None:
    table = load_platforms({"x": {"text_limit": 10}})
    report = lint_post(PostInput(text="Read this now"), "x", platforms=table)
    assert report.networks["x"].limit == 10 and report.has_errors


def test_networks_from_post_and_errors() -> None:
    report = lint_post(PostInput(text="Read", networks=["bluesky"]))
    assert list(report.networks) == ["bluesky"]
    with pytest.raises(UserError, match="no network"):
        lint_post(PostInput(text="Read"))
    with pytest.raises(UserError, match="unknown network"):
        lint_post(PostInput(text="Read"), "myspace")


def test_media_findings_from_media_checks(tmp_path: Path) -> None:
    img = tmp_path / "wide.png"
    Image.new("RGB", (3000, 300), "red").save(img)
    report = lint_post(PostInput(text="Read", media=[str(img)]), "instagram")
    found = {f.code for f in report.findings}
    assert any(code.startswith("POST3") for code in found)
    five = [str(img)] * 5
    assert "POST107" in {
        f.code for f in lint_post(PostInput(text="Read", media=five), "x").findings
    }


GOOD_PAGE = """<!doctype html><html lang="en"><head><title>Spring menu</title>
<link rel="canonical" href="https://shop.example/good">
<meta name="description" content="Our spring menu, with new coffees.">
<meta property="og:title" content="Spring menu">
<meta property="og:description" content="Our spring menu, with new coffees.">
<meta property="og:type" content="article"><meta property="og:url" content="https://shop.example/good">
<meta property="og:image" content="https://shop.example/i.png">
<meta property="og:image:alt" content="A cup of coffee">
<meta property="og:image:width" content="1200"><meta property="og:image:height" content="630">
<meta name="twitter:card" content="summary_large_image">
</head><body><a href="/">Home</a></body></html>"""


@respx.mock
def test_fetch_checks_the_linked_page() -> None:
    respx.get("https://shop.example/bare").mock(
        return_value=httpx.Response(200, html="<html><title>x</title></html>")
    )
    respx.get("https://shop.example/good").mock(
        return_value=httpx.Response(
            200,
            html=GOOD_PAGE,
        )
    )
    respx.get("https://shop.example/gone").mock(return_value=httpx.Response(404))
    policy = NetPolicy(allow_private=True)

    def run(url: str) -> set[str]:
        post = PostInput(text="Read more", link=url)
        return {f.code for f in lint_post(post, "x", fetch=True, policy=policy).findings}

    assert "POST602" in run("https://shop.example/bare")
    assert not {"POST602", "POST603"} & run("https://shop.example/good")
    assert "POST603" in run("https://shop.example/gone")


def test_fetch_refuses_private_addresses_by_default() -> None:
    post = PostInput(text="Read more", link="http://127.0.0.1:9/")
    found = {f.code: f.message for f in lint_post(post, "x", fetch=True).findings}
    assert "POST603" in found and "refused" in found["POST603"]


def test_networks_that_need_media_refuse_a_text_only_post() -> None:
    table = load_platforms()
    needs = {name for name, p in table.items() if p.min_media}
    assert {"instagram", "tiktok", "youtube", "pinterest"} <= needs
    found = codes("New menu today, come and see?", ",".join(sorted(table)))
    assert found["POST108"] == needs
    report = lint_post(PostInput(text="Spring menu, come and see?"), "instagram")
    [finding] = [f for f in report.findings if f.code == "POST108"]
    assert finding.severity.value == "error" and "image or video" in finding.message
    with_media = codes("Come and see?", "instagram", media=["https://cdn.example/a.jpg"])
    assert "POST108" not in with_media
    assert "POST108" not in codes("", "instagram")  # empty: POST103 says it already


def _div_depth(markup: str) -> int:
    """How deep the <div>s in ``markup`` nest (a scan of the tags, no parser)."""
    depth = deepest = 0
    for tag in re.finditer(r"<(/?)div\b", markup):
        depth += -1 if tag.group(1) else 1
        deepest = max(deepest, depth)
    return deepest


# Unbounded, lexbor takes minutes on this page (quadratic in the nesting); the timeout is a
# backstop for a busy machine, not the assertion: the assertion is on what lexbor is given.
@pytest.mark.timeout(120)
def test_fallback_preview_parses_200000_nested_divs_in_bounded_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    n = 200_000
    html = (
        "<html><head><meta property=og:title content=Deep>"
        "<meta property=og:image content=/card.png></head><body>"
        + "<div>" * n
        + "deep"
        + "</div>" * n
        + "</body></html>"
    )
    given: list[int] = []
    real = lexbor.LexborHTMLParser

    def parse(markup: str, *args: object, **kwargs: object) -> object:
        given.append(_div_depth(markup))
        assert given[-1] <= MAX_DEPTH, f"lexbor was given {given[-1]} nested elements"
        return real(markup, *args, **kwargs)

    monkeypatch.setattr(lexbor, "LexborHTMLParser", parse)
    result = lint._basic_preview(html, "https://acme.example/deep")
    assert given, "the fallback did not parse the page"
    assert result == {"share_ready": True, "problems": []}  # the head's tags are still read
