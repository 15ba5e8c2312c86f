"""Cards per network follow each network's own fallback order and truncation."""

from __future__ import annotations

from sociable.audit.cards import LIMITS, NETWORKS, build_cards, resolved, truncate
from sociable.audit.context import FetchInfo, ImageProbe, OEmbedResult
from sociable.audit.extract import extract

URL = "https://example.com/post"


def cards_for(html: str, fetch: FetchInfo | None = None):  # type: ignore[no-untyped-def]
    meta = extract(html.encode(), URL)
    return meta, build_cards(meta, fetch)


def test_all_nine_networks() -> None:
    _, cards = cards_for("<title>t</title>")
    assert tuple(cards) == NETWORKS


def test_x_prefers_twitter_tags_and_ignores_html_title() -> None:
    _, cards = cards_for(
        "<title>HTML</title><meta property='og:title' content='OG'>"
        "<meta name='twitter:title' content='TW'>"
    )
    assert cards["x"].title == "TW" and cards["x"].source["title"] == "twitter:title"
    assert cards["facebook"].title == "OG"
    _, cards = cards_for("<title>HTML only</title>")
    assert cards["x"].title is None and not cards["x"].shown
    assert cards["facebook"].title == "HTML only"


def test_slack_prefers_twitter_then_og_and_oembed_first() -> None:
    html = "<meta property='og:title' content='OG'><meta name='twitter:title' content='TW'>"
    _, cards = cards_for(html)
    assert cards["slack"].title == "TW"
    assert cards["discord"].title == "OG"
    fetch = FetchInfo(URL, oembed=OEmbedResult("u", True, 200, {"title": "From oEmbed"}))
    _, cards = cards_for(html, fetch)
    assert cards["slack"].title == "From oEmbed" and cards["slack"].card_type == "oembed"


def test_slack_ignores_tags_after_32k() -> None:
    html = (
        "<meta property='og:title' content='Early'><script>/*"
        + "x" * 40_000
        + "*/</script><meta property='og:description' content='Late'>"
    )
    _, cards = cards_for(html)
    assert cards["slack"].description is None
    assert cards["discord"].description == "Late"


def test_mastodon_prefers_jsonld_headline() -> None:
    html = (
        "<meta property='og:title' content='OG'>"
        '<script type="application/ld+json">{"@type":"NewsArticle","headline":"LD",'
        '"publisher":{"name":"Pub"}}</script>'
    )
    _, cards = cards_for(html)
    assert cards["mastodon"].title == "LD"
    assert cards["mastodon"].site_name == "Pub"
    assert cards["facebook"].title == "OG"


def test_mastodon_ignores_cross_host_canonical() -> None:
    _, cards = cards_for("<title>t</title><link rel=canonical href='https://other.org/p'>")
    assert cards["mastodon"].url == URL


def test_truncation_per_network() -> None:
    long = "T" * 120
    _, cards = cards_for(f"<meta property='og:title' content='{long}'>")
    assert cards["x"].display_title == "T" * 69 + "…"
    assert len(cards["facebook"].display_title or "") == LIMITS["facebook"].title
    assert cards["mastodon"].display_title == long
    assert truncate("abc", 3) == "abc" and truncate("abcd", 3) == "ab…"


def test_facebook_layout_from_image_size() -> None:
    html = "<meta property='og:title' content='t'><meta property='og:image' content='/i.png'>"
    small = FetchInfo(
        URL, images={"https://example.com/i.png": ImageProbe("i", 200, width=300, height=300)}
    )
    _, cards = cards_for(html, small)
    assert cards["facebook"].card_type == "small"
    _, cards = cards_for(html)
    assert cards["facebook"].card_type == "large"


def test_resolved_fallback_order() -> None:
    meta = extract(
        b"<title>HT</title><meta name='twitter:description' content='TD'>"
        b'<script type="application/ld+json">{"@type":"Article","headline":"LD",'
        b'"image":{"url":"/ld.png"}}</script><html lang="fr">',
        URL,
    )
    r = resolved(meta)
    assert r["title"] == "LD"
    assert r["description"] == "TD"
    assert r["image"] == "https://example.com/ld.png"
    assert r["url"] == URL
    assert r["site_name"] == "example.com"
    assert r["locale"] == "fr"


def test_pinterest_product() -> None:
    _, cards = cards_for(
        '<script type="application/ld+json">{"@type":"Product","name":"Mug"}</script>'
    )
    assert cards["pinterest"].card_type == "product"
    assert cards["pinterest"].title == "Mug"


def test_a_website_jsonld_block_does_not_beat_the_title_or_description() -> None:
    meta, cards = cards_for(
        "<title>Page title</title><meta name=description content='Page description'>"
        '<script type="application/ld+json">{"@type":"WebSite","name":"Acme",'
        '"description":"All about Acme","url":"https://example.com/"}</script>'
    )
    r = resolved(meta)
    assert (r["title"], r["description"]) == ("Page title", "Page description")
    assert cards["mastodon"].title == "Page title"


def test_jsonld_only_from_the_main_entity() -> None:
    ld = (
        '{"@graph":[{"@type":"WebSite","name":"Acme"},'
        '{"@type":"NewsArticle","headline":"Other story","url":"https://example.com/other"},'
        '{"@type":"NewsArticle","headline":"This story","description":"LD desc",'
        '"mainEntityOfPage":{"@id":"https://example.com/post"}}]}'
    )
    meta, cards = cards_for(f'<title>T</title><script type="application/ld+json">{ld}</script>')
    assert meta.main_entity() is not None
    assert resolved(meta)["title"] == "This story"
    assert cards["mastodon"].title == "This story"
    assert cards["mastodon"].description == "LD desc"
    # Two candidate items and no pointer to the page: neither speaks for it.
    two = ld.replace('"mainEntityOfPage":{"@id":"https://example.com/post"}', '"x":1')
    meta, cards = cards_for(f'<title>T</title><script type="application/ld+json">{two}</script>')
    assert meta.main_entity() is None and cards["mastodon"].title == "T"


def test_first_image_fallback_skips_pixels_hidden_and_fallback_images() -> None:
    meta, cards = cards_for(
        "<title>t</title><body>"
        "<noscript><img src='https://px.example.net/t.gif'></noscript>"
        "<video poster=/p.jpg><img src=/video-fallback.png></video>"
        "<img src=/icon.svg aria-hidden=true>"
        "<span aria-hidden=true><img src=/deco.png></span>"
        "<img src=/pixel.gif width=1 height=1>"
        "<img src=/hidden.png hidden><img src=/none.png style='display: none'>"
        "<img src='data:image/gif;base64,R0lGOD'>"
        "<img src=/counter.php><img src=/tracker.js?x=1>"
        "<img src=/real.jpg alt=Real></body>"
    )
    assert resolved(meta)["image"] == "https://example.com/real.jpg"
    assert cards["pinterest"].image == "https://example.com/real.jpg"
    assert len(meta.images) == 11  # all kept for the alt-text checks
    assert [i.skip is None for i in meta.images].count(True) == 1


def test_domain_site_name_drops_www() -> None:
    meta = extract(b"<meta property=og:title content=t>", "https://www.example.com/a")
    cards = build_cards(meta)
    assert resolved(meta)["site_name"] == "example.com"
    assert cards["facebook"].site_name == "EXAMPLE.COM"
    assert cards["linkedin"].site_name == "example.com"
    assert cards["slack"].site_name == "example.com"


def test_a_noscript_pixel_in_the_head_is_not_the_first_image() -> None:
    # lexbor parses <noscript> with scripting off: in the head the <img> leaves it.
    meta, _ = cards_for(
        "<title>t</title><noscript><img src='https://px.example.net/t.gif'></noscript>"
        "<img src=/real.jpg>"
    )
    assert resolved(meta)["image"] == "https://example.com/real.jpg"
