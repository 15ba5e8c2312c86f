"""adapt_post: one variant per network that lints clean."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sociable.content.adapt import adapt_post, map_mentions, trim_hashtags
from sociable.content.counting import count_text
from sociable.content.lint import lint_post
from sociable.content.platforms import DEFAULT_PLATFORMS
from sociable.content.post import PostInput
from sociable.content.utm import utm_params
from sociable.rules import Severity

ADAPT_CODES = ("POST101", "POST102", "POST201", "POST202", "POST203", "POST401", "POST402")
ALL_NETWORKS = list(DEFAULT_PLATFORMS)


def assert_lints_clean(variants: dict) -> None:  # type: ignore[type-arg]
    for name, variant in variants.items():
        for part in variant.thread:
            report = lint_post(PostInput(text=part), [name])
            bad = [
                f for f in report.findings
                if f.code in ADAPT_CODES
                # the parts are linted as text: media (POST103, POST108) is not adapt's
                or (f.severity is Severity.ERROR and f.code not in ("POST103", "POST108"))
            ]  # fmt: skip
            assert not bad, (name, part, bad)
            assert report.networks[name].valid, (name, part)


def test_thread_split_at_sentences_with_numbering() -> None:
    text = " ".join(f"This is sentence number {i}, about our spring menu." for i in range(20))
    variants = adapt_post(PostInput(text=text), "x,bluesky,mastodon,threads,linkedin")
    x = variants["x"].thread
    n = len(x)
    assert n > 1 and [p.rsplit(" ", 1)[1] for p in x] == [f"{i}/{n}" for i in range(1, n + 1)]
    for part in x:
        body = part.rsplit(" ", 1)[0]
        assert body.endswith("menu.")  # split between sentences
    assert len(variants["linkedin"].thread) == 1  # 3,000 is enough
    assert_lints_clean(variants)
    joined = " ".join(p.rsplit(" ", 1)[0] for p in x)
    assert joined == text


def test_long_sentence_splits_at_words_and_long_words_at_graphemes() -> None:
    text = "word " * 200 + "字" * 400
    variants = adapt_post(PostInput(text=text), "x,bluesky")
    assert_lints_clean(variants)
    for part in variants["x"].thread[:-1]:
        assert not part.startswith(" ")


def test_non_thread_network_is_shortened() -> None:
    variants = adapt_post(PostInput(text="word " * 600), "pinterest")
    [text] = variants["pinterest"].thread
    assert text.endswith(" …") and count_text(text, DEFAULT_PLATFORMS["pinterest"]).valid


def test_hashtags_trimmed_to_network_norm() -> None:
    post = PostInput(text="Great #coffee today. #Latte #Espresso #Barista #Beans #Roast #Cafe")
    variants = adapt_post(post, "x,instagram,threads,reddit")
    assert variants["x"].hashtags == ["coffee", "Latte"]
    assert variants["threads"].hashtags == ["coffee"]
    assert len(variants["instagram"].hashtags) == 5
    assert variants["reddit"].thread[0] == "Great coffee today."
    assert_lints_clean(variants)


def test_trim_keeps_words_inside_sentences() -> None:
    text, kept, dropped = trim_hashtags("I love #coffee and #tea. #a #b", 1)
    assert text == "I love #coffee and tea." and kept == ["coffee"] and dropped == ["tea", "a", "b"]


def test_dropped_tag_in_the_tag_block_leaves_no_trace() -> None:
    text = "New roast is in. #coffee #specialtycoffee #thirdwave @acme"
    out, kept, dropped = trim_hashtags(text, 2)
    assert kept == ["coffee", "specialtycoffee"]
    assert out == "New roast is in. #coffee #specialtycoffee @acme"
    assert dropped == ["thirdwave"]
    variant = adapt_post(PostInput(text=text), "threads")["threads"]
    assert variant.text == "New roast is in. #coffee @acme"
    assert "specialtycoffee" not in variant.text and "thirdwave" not in variant.text


def test_dropped_tag_before_a_link_leaves_no_trace() -> None:
    out, _, dropped = trim_hashtags("Menu #a #b https://example.com/menu", 1)
    assert out == "Menu #a https://example.com/menu" and dropped == ["b"]


def test_links_get_utm_per_network() -> None:
    post = PostInput(
        text="New menu: https://example.com/menu?x=1#top",
        link="https://example.com/",
        campaign="Spring 2026",
    )
    variants = adapt_post(post, "x,mastodon,instagram")
    x_text = variants["x"].text
    tagged = variants["x"].links["https://example.com/menu?x=1#top"]
    assert tagged in x_text and tagged.endswith("#top")
    params = utm_params(tagged)
    assert params["utm_source"] == "x" and params["utm_medium"] == "social"
    assert (
        params["utm_campaign"] == "spring_2026"
        and params["utm_content"] == "new-menu-https-example-com"
    )
    assert utm_params(variants["mastodon"].link)["utm_source"] == "mastodon"
    assert variants["x"].link in x_text  # the post's link appended
    assert "https://" not in variants["instagram"].text  # not clickable there
    assert "(link in bio)" in variants["instagram"].text
    assert_lints_clean(variants)


def test_bluesky_variant_has_facets() -> None:
    post = PostInput(text="Read https://example.com/a #Coffee", campaign="spring")
    v = adapt_post(post, "bluesky")["bluesky"]
    [facets] = v.facets
    kinds = [f["features"][0]["$type"].rsplit("#", 1)[1] for f in facets]
    assert kinds == ["link", "tag"]
    raw = v.text.encode()
    link = facets[0]["index"]
    assert raw[link["byteStart"] : link["byteEnd"]].decode() == v.links["https://example.com/a"]


def test_mentions_mapped_from_handles() -> None:
    handles = {
        "acme": {
            "x": "@acme_co",
            "bluesky": "acme.com",
            "mastodon": "@acme@mastodon.social",
            "linkedin": "urn:li:organization:42",
            "name": "Acme Inc",
        }
    }
    text = "Thanks @acme and @someone!"
    assert map_mentions(text, "x", handles) == "Thanks @acme_co and @someone!"
    assert map_mentions(text, "bluesky", handles) == "Thanks @acme.com and @someone!"
    assert map_mentions(text, "linkedin", handles) == (
        "Thanks @[Acme Inc](urn:li:organization:42) and @someone!"
    )
    assert map_mentions(text, "threads", handles) == "Thanks Acme Inc and @someone!"
    assert map_mentions("mail me@acme.com", "x", handles) == "mail me@acme.com"


def test_first_comment_and_media_carried() -> None:
    post = PostInput(text="Hello", media=["a.jpg"], alt=["A cat"], first_comment="More: @acme")
    v = adapt_post(post, "instagram", handles={"acme": {"instagram": "acme.ig"}})["instagram"]
    assert v.first_comment == "More: @acme.ig" and v.media == ["a.jpg"] and v.alt == ["A cat"]


words = st.lists(
    st.one_of(
        st.from_regex(r"[A-Za-z]{1,12}", fullmatch=True),
        st.from_regex(r"#[A-Za-z][A-Za-z0-9]{0,10}", fullmatch=True),
        st.sampled_from(["https://example.com/a?b=c", "😀", "字字", "é", "@bob", "Done.", "Why?"]),
        st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=5),
    ),
    max_size=160,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words, st.sampled_from(ALL_NETWORKS))
def test_every_variant_lints_clean(tokens: list[str], network: str) -> None:
    text = " ".join(tokens)
    variants = adapt_post(PostInput(text=text, link="https://example.com/"), [network])
    assert_lints_clean(variants)
