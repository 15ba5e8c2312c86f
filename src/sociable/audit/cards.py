"""What each network's link preview shows, following that network's own fallback order.

Every card records where each value came from (``source``), so a report can say "X took the
title from og:title because twitter:title is missing". Truncation limits carry their basis:
``documented`` (the network says so) or ``observed`` (measured by others, may change); where
neither exists no truncation is applied. docs/previews.md explains where networks differ from
generic extractors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sociable.audit.context import FetchInfo
from sociable.audit.meta import PageMeta

NETWORKS: tuple[str, ...] = (
    "facebook",
    "x",
    "linkedin",
    "slack",
    "discord",
    "mastodon",
    "bluesky",
    "whatsapp",
    "pinterest",
)


@dataclass(frozen=True, slots=True)
class Limits:
    title: int | None
    description: int | None
    basis: str  # documented / observed / none
    shows_description: bool = True


LIMITS: dict[str, Limits] = {
    "facebook": Limits(88, 200, "observed"),
    # X Cards markup docs: title max 70 characters, description max 200. Since 2023 the
    # timeline shows only the image with the domain; the description is not drawn.
    "x": Limits(70, 200, "documented", shows_description=False),
    # LinkedIn's feed shows the title and the domain only.
    "linkedin": Limits(70, None, "observed", shows_description=False),
    "slack": Limits(None, 300, "observed"),
    "discord": Limits(256, 350, "observed"),
    "mastodon": Limits(None, None, "none"),
    "bluesky": Limits(None, None, "none"),
    "whatsapp": Limits(None, None, "none"),
    # Pinterest Pin title 100, description 500 (platform-specs.md).
    "pinterest": Limits(100, 500, "documented"),
}


@dataclass(slots=True)
class Card:
    network: str
    title: str | None = None
    description: str | None = None
    image: str | None = None
    image_alt: str | None = None
    site_name: str | None = None
    url: str | None = None
    card_type: str | None = None
    shown: bool = True
    display_title: str | None = None
    display_description: str | None = None
    source: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "shown": self.shown,
            "card_type": self.card_type,
            "title": self.display_title,
            "description": self.display_description,
            "image": self.image,
            "image_alt": self.image_alt,
            "site_name": self.site_name,
            "url": self.url,
            "full_title": self.title,
            "full_description": self.description,
            "source": self.source,
            "notes": self.notes,
            **({"extra": self.extra} if self.extra else {}),
        }


def truncate(text: str | None, limit: int | None) -> str | None:
    if text is None or limit is None or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


Getter = Callable[[], "str | None"]


class _Picker:
    """Looks values up in a fixed order and remembers which source won."""

    def __init__(self, meta: PageMeta, skip: frozenset[str] = frozenset()) -> None:
        self.meta = meta
        self.skip = skip

    def tag(self, key: str) -> tuple[str, Getter]:
        return key, lambda: None if key in self.skip else self.meta.first(key)

    def pick(self, card: Card, name: str, *options: tuple[str, Getter]) -> str | None:
        for label, getter in options:
            value = getter()
            if value:
                card.source[name] = label
                return value
        return None


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _site_host(url: str) -> str | None:
    """The domain a network shows when the page names no site: without ``www.``."""
    host = _host(url)
    return (host[4:] if host.startswith("www.") else host) or None


def _jsonld_value(meta: PageMeta, types: Sequence[str] | None, key: str) -> str | None:
    """``key`` of the page's main JSON-LD entity (of one of ``types`` when given): other
    items (a WebSite block naming the site, an Organization) say nothing about the page."""
    main = meta.main_entity()
    items = [main] if main is not None else []
    if types and main is not None:
        t = main.get("@type")
        if not any(isinstance(n, str) and n in types for n in (t if isinstance(t, list) else [t])):
            items = []
    for item in items:
        value = item.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, dict):
            value = value.get("url") if key in ("image", "logo") else value.get("name")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _first_img(meta: PageMeta) -> str | None:
    """The first <img> a person sees: not a pixel, hidden, data: URL or no-script fallback."""
    return next((i.src for i in meta.images if i.skip is None), None)


def resolved(meta: PageMeta) -> dict[str, str | None]:
    """The best generic value of each field: og, then twitter, then JSON-LD, then HTML."""
    p = _Picker(meta)
    card = Card("resolved")
    return {
        "title": p.pick(
            card,
            "title",
            p.tag("og:title"),
            p.tag("twitter:title"),
            ("json-ld headline", lambda: _jsonld_value(meta, None, "headline")),
            ("json-ld name", lambda: _jsonld_value(meta, None, "name")),
            ("<title>", lambda: meta.title),
        ),
        "description": p.pick(
            card,
            "description",
            p.tag("og:description"),
            p.tag("twitter:description"),
            ("json-ld description", lambda: _jsonld_value(meta, None, "description")),
            p.tag("description"),
        ),
        "image": p.pick(
            card,
            "image",
            p.tag("og:image"),
            p.tag("og:image:url"),
            p.tag("og:image:secure_url"),
            p.tag("twitter:image"),
            p.tag("twitter:image:src"),
            ("json-ld image", lambda: _abs(meta, _jsonld_value(meta, None, "image"))),
            ('<link rel="image_src">', lambda: meta.image_src),
            ("first <img>", lambda: _first_img(meta)),
        ),
        "url": p.pick(
            card,
            "url",
            p.tag("og:url"),
            ("canonical", lambda: meta.canonical),
            ("page", lambda: meta.url),
        ),
        "site_name": p.pick(
            card,
            "site_name",
            p.tag("og:site_name"),
            ("json-ld publisher", lambda: _jsonld_value(meta, None, "publisher")),
            p.tag("application-name"),
            ("host", lambda: _site_host(meta.url)),
        ),
        "type": p.pick(
            card,
            "type",
            p.tag("og:type"),
            ("json-ld @type", lambda: _og_type_from_jsonld(meta)),
        )
        or "website",
        "locale": p.pick(card, "locale", p.tag("og:locale"), ("html lang", lambda: meta.lang)),
    }


# schema.org types that map onto an Open Graph type; others (Organization...) say nothing
# about the page itself.
_LD_TO_OG = {
    "Article": "article",
    "NewsArticle": "article",
    "BlogPosting": "article",
    "TechArticle": "article",
    "Product": "product",
    "Book": "book",
    "VideoObject": "video.other",
    "MusicRecording": "music.song",
    "ProfilePage": "profile",
}


def _og_type_from_jsonld(meta: PageMeta) -> str | None:
    for item in meta.jsonld_items():
        types = item.get("@type")
        for t in types if isinstance(types, list) else [types]:
            if isinstance(t, str) and t in _LD_TO_OG:
                return _LD_TO_OG[t]
    return None


def _abs(meta: PageMeta, value: str | None) -> str | None:
    from sociable.audit.extract import resolve

    return resolve(meta.base_url, value) if value else None


def _finish(card: Card, meta: PageMeta) -> Card:
    limits = LIMITS[card.network]
    card.display_title = truncate(card.title, limits.title)
    card.display_description = (
        truncate(card.description, limits.description) if limits.shows_description else None
    )
    if not limits.shows_description and card.description:
        card.notes.append(f"{card.network} does not draw the description in its feed")
    if card.url is None:
        card.url = meta.first("og:url") or meta.canonical or meta.url
    if not card.title:
        card.shown = False
        card.notes.append("no title: the network shows a bare link")
    return card


def facebook(meta: PageMeta, fetch: FetchInfo | None = None) -> Card:
    p, c = _Picker(meta), Card("facebook")
    c.title = p.pick(c, "title", p.tag("og:title"), ("<title>", lambda: meta.title))
    c.description = p.pick(c, "description", p.tag("og:description"), p.tag("description"))
    c.image = p.pick(c, "image", p.tag("og:image"), p.tag("og:image:url"))
    c.image_alt = meta.first("og:image:alt")
    c.site_name = (_site_host(meta.first("og:url") or meta.url) or "").upper() or None
    c.source["site_name"] = "domain (Facebook shows the domain, not og:site_name)"
    c.card_type = _fb_layout(c.image, fetch)
    if not c.image:
        c.notes.append("no og:image: Facebook may pick an image from the page, or none")
    return _finish(c, meta)


def _fb_layout(image: str | None, fetch: FetchInfo | None) -> str:
    if not image:
        return "small"
    probe = fetch.images.get(image) if fetch else None
    if probe and probe.width and probe.height:
        return "large" if probe.width >= 600 and probe.height >= 315 else "small"
    return "large"


def x(meta: PageMeta, fetch: FetchInfo | None = None) -> Card:
    p, c = _Picker(meta), Card("x")
    c.card_type = meta.first("twitter:card")
    c.title = p.pick(c, "title", p.tag("twitter:title"), p.tag("og:title"))
    c.description = p.pick(c, "description", p.tag("twitter:description"), p.tag("og:description"))
    c.image = p.pick(
        c, "image", p.tag("twitter:image"), p.tag("twitter:image:src"), p.tag("og:image")
    )
    c.image_alt = meta.first("twitter:image:alt") or meta.first("og:image:alt")
    c.site_name = meta.first("twitter:site") or _site_host(meta.url)
    if not c.card_type:
        if c.title:
            c.card_type = "summary"
            c.notes.append(
                "no twitter:card: X documents it as required; with Open Graph only, "
                "expect at most a small summary card"
            )
        else:
            c.shown = False
    if c.title is None:
        c.notes.append("X does not fall back to <title> or meta description")
    return _finish(c, meta)


def linkedin(meta: PageMeta, fetch: FetchInfo | None = None) -> Card:
    p, c = _Picker(meta), Card("linkedin")
    c.title = p.pick(c, "title", p.tag("og:title"), ("<title>", lambda: meta.title))
    c.description = p.pick(c, "description", p.tag("og:description"), p.tag("description"))
    c.image = p.pick(c, "image", p.tag("og:image"))
    c.site_name = _site_host(meta.url)
    c.card_type = "article" if c.image else "link"
    return _finish(c, meta)


def slack(meta: PageMeta, fetch: FetchInfo | None = None) -> Card:
    # Slack reads only the first 32 KB: tags after that do not exist for it.
    p, c = _Picker(meta, frozenset(meta.tags_beyond_32k)), Card("slack")
    oembed = fetch.oembed.data if fetch and fetch.oembed and fetch.oembed.ok else {}

    def oe(key: str) -> tuple[str, Getter]:
        return f"oembed {key}", lambda: _str(oembed.get(key))

    c.title = p.pick(
        c,
        "title",
        oe("title"),
        p.tag("twitter:title"),
        p.tag("og:title"),
        ("<title>", lambda: meta.title),
    )
    c.description = p.pick(
        c,
        "description",
        p.tag("twitter:description"),
        p.tag("og:description"),
        p.tag("description"),
    )
    c.image = p.pick(c, "image", oe("thumbnail_url"), p.tag("twitter:image"), p.tag("og:image"))
    c.site_name = p.pick(
        c,
        "site_name",
        oe("provider_name"),
        p.tag("og:site_name"),
        ("host", lambda: _site_host(meta.url)),
    )
    for i in (1, 2):
        label, data = meta.first(f"twitter:label{i}"), meta.first(f"twitter:data{i}")
        if label and data:
            c.extra[label] = data
    c.card_type = "oembed" if oembed else "unfurl"
    if meta.tags_beyond_32k:
        c.notes.append("ignored (after the first 32 KB): " + ", ".join(meta.tags_beyond_32k))
    return _finish(c, meta)


def _str(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def discord(meta: PageMeta, fetch: FetchInfo | None = None) -> Card:
    p, c = _Picker(meta), Card("discord")
    c.title = p.pick(
        c, "title", p.tag("og:title"), p.tag("twitter:title"), ("<title>", lambda: meta.title)
    )
    c.description = p.pick(
        c,
        "description",
        p.tag("og:description"),
        p.tag("twitter:description"),
        p.tag("description"),
    )
    c.image = p.pick(c, "image", p.tag("og:image"), p.tag("twitter:image"))
    c.site_name = meta.first("og:site_name")
    c.card_type = (
        "large_image" if meta.first("twitter:card") == "summary_large_image" else "thumbnail"
    )
    color = css_color(meta.theme_color)
    if color:
        c.extra["color"] = color
    return _finish(c, meta)


#: What a page's ``theme-color`` may be to reach a report's CSS: a hex colour, a named one, or
#: rgb()/hsl() with numbers only. Anything else (``red;background:url(...)``) is dropped.
_CSS_COLOR = re.compile(
    r"#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})|[a-z]{3,20}"
    r"|(?:rgba?|hsla?)\(\s*[0-9.]+(?:%|deg)?(?:\s*[,/ ]\s*[0-9.]+%?){2,3}\s*\)",
    re.IGNORECASE,
)


def css_color(value: object) -> str | None:
    """``value`` when it is a plain CSS colour, else None (it lands in a style attribute)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if len(text) <= 64 and _CSS_COLOR.fullmatch(text) else None


_MASTODON_LD = ("NewsArticle", "WebPage")


def mastodon(meta: PageMeta, fetch: FetchInfo | None = None) -> Card:
    # Mastodon (LinkDetailsExtractor) prefers JSON-LD NewsArticle/WebPage over Open Graph,
    # and reads og:* from either property= or name= (our tags hold both).
    p, c = _Picker(meta), Card("mastodon")
    oembed = fetch.oembed.data if fetch and fetch.oembed and fetch.oembed.ok else {}
    c.title = p.pick(
        c,
        "title",
        ("oembed title", lambda: _str(oembed.get("title"))),
        ("json-ld headline", lambda: _jsonld_value(meta, _MASTODON_LD, "headline")),
        p.tag("og:title"),
        ("<title>", lambda: meta.title),
    )
    c.description = p.pick(
        c,
        "description",
        ("json-ld description", lambda: _jsonld_value(meta, _MASTODON_LD, "description")),
        p.tag("og:description"),
        p.tag("description"),
    )
    c.image = p.pick(c, "image", p.tag("og:image"))
    c.image_alt = meta.first("og:image:alt")
    c.site_name = p.pick(
        c,
        "site_name",
        ("json-ld publisher", lambda: _jsonld_value(meta, _MASTODON_LD, "publisher")),
        p.tag("og:site_name"),
    )
    c.card_type = "video" if meta.first("twitter:player") else "link"
    creator = meta.first("fediverse:creator")
    if creator:
        c.extra["author"] = creator
    canonical = meta.canonical or meta.first("og:url")
    c.url = canonical if canonical and _host(canonical) == _host(meta.url) else meta.url
    return _finish(c, meta)


def bluesky(meta: PageMeta, fetch: FetchInfo | None = None) -> Card:
    p, c = _Picker(meta), Card("bluesky")
    c.title = p.pick(c, "title", p.tag("og:title"), ("<title>", lambda: meta.title))
    c.description = p.pick(c, "description", p.tag("og:description"), p.tag("description"))
    c.image = p.pick(c, "image", p.tag("og:image"))
    c.site_name = _site_host(meta.url)
    c.card_type = "external"
    c.notes.append("the posting client builds the card when the post is written")
    return _finish(c, meta)


def whatsapp(meta: PageMeta, fetch: FetchInfo | None = None) -> Card:
    p, c = _Picker(meta), Card("whatsapp")
    c.title = p.pick(c, "title", p.tag("og:title"), ("<title>", lambda: meta.title))
    c.description = p.pick(c, "description", p.tag("og:description"), p.tag("description"))
    c.image = p.pick(c, "image", p.tag("og:image"))
    c.site_name = _site_host(meta.url)
    c.card_type = "link"
    return _finish(c, meta)


def pinterest(meta: PageMeta, fetch: FetchInfo | None = None) -> Card:
    p, c = _Picker(meta), Card("pinterest")
    c.title = p.pick(
        c,
        "title",
        p.tag("og:title"),
        ("json-ld name", lambda: _jsonld_value(meta, ("Product", "Recipe", "Article"), "name")),
        ("<title>", lambda: meta.title),
    )
    c.description = p.pick(c, "description", p.tag("og:description"), p.tag("description"))
    c.image = p.pick(c, "image", p.tag("og:image"), ("first <img>", lambda: _first_img(meta)))
    c.image_alt = meta.first("og:image:alt")
    c.site_name = meta.first("og:site_name") or _site_host(meta.url)
    if meta.jsonld_of_type("Product"):
        c.card_type = "product"
    elif meta.jsonld_of_type("Recipe"):
        c.card_type = "recipe"
    elif meta.jsonld_of_type("Article", "NewsArticle", "BlogPosting"):
        c.card_type = "article"
    else:
        c.card_type = "pin"
    return _finish(c, meta)


BUILDERS: dict[str, Callable[[PageMeta, FetchInfo | None], Card]] = {
    "facebook": facebook,
    "x": x,
    "linkedin": linkedin,
    "slack": slack,
    "discord": discord,
    "mastodon": mastodon,
    "bluesky": bluesky,
    "whatsapp": whatsapp,
    "pinterest": pinterest,
}


def build_cards(
    meta: PageMeta, fetch: FetchInfo | None = None, networks: Sequence[str] = ()
) -> dict[str, Card]:
    """Cards for ``networks`` (all nine when empty)."""
    wanted = [n for n in (networks or NETWORKS) if n in BUILDERS]
    return {n: BUILDERS[n](meta, fetch) for n in wanted}
