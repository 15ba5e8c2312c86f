"""PageMeta: everything the extractor read from one HTML page, before any judgement."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class JsonLdBlock:
    """One ``<script type="application/ld+json">``; a parse error is kept, not thrown."""

    raw: str
    data: Any = None
    error: str | None = None
    # True when strict JSON failed (error says why) but a lenient read recovered ``data``.
    repaired: bool = False

    @property
    def items(self) -> list[dict[str, Any]]:
        """Top-level objects, with ``@graph`` members flattened in."""
        out: list[dict[str, Any]] = []
        stack: list[Any] = [self.data]
        while stack:
            node = stack.pop(0)
            if isinstance(node, list):
                stack[0:0] = node
            elif isinstance(node, dict):
                graph = node.get("@graph")
                if isinstance(graph, list):
                    stack[0:0] = graph
                if "@type" in node or "@graph" not in node:
                    out.append(node)
        return out


@dataclass(slots=True)
class LinkRef:
    """A ``<link>`` of interest (feed, oEmbed, icon, hreflang)."""

    url: str
    type: str | None = None
    title: str | None = None
    extra: str | None = None  # hreflang for alternates, sizes for icons, rel for icons


@dataclass(slots=True)
class ShareLink:
    network: str
    url: str


@dataclass(slots=True)
class ImageRef:
    src: str
    alt: str | None  # None = no alt attribute; "" = decorative (present but empty)
    width: str | None = None
    height: str | None = None
    # Why no network would take this image as a page's picture (tracking pixel, hidden,
    # inside <noscript>/<video>, data: URL, not an image file); None = a candidate.
    skip: str | None = None


@dataclass(slots=True)
class PageMeta:
    url: str
    base_url: str
    encoding: str = "utf-8"
    encoding_source: str = "default"  # bom, http, meta, default
    encoding_declared: str | None = None  # the meta charset as written, even if wrong
    # Unknown charset labels, bytes that do not decode as declared.
    encoding_problems: list[str] = field(default_factory=list)
    non_ascii: bool = False  # any byte >= 0x80 (then the charset matters)
    is_html: bool = True
    raw_size: int = 0
    lang: str | None = None
    title: str | None = None  # <title>
    # Every meta tag: key (property / name / itemprop:x / http-equiv:x, lower-cased) -> values
    # in document order. The first value wins; all are kept.
    tags: dict[str, list[str]] = field(default_factory=dict)
    # og:/twitter:/article:... tags in document order (structured properties need it).
    sequence: list[tuple[str, str]] = field(default_factory=list)
    canonical: str | None = None
    canonical_raw: str | None = None
    hreflang: list[LinkRef] = field(default_factory=list)
    icons: list[LinkRef] = field(default_factory=list)
    theme_color: str | None = None
    image_src: str | None = None  # <link rel="image_src">, an old HTML image hint
    jsonld: list[JsonLdBlock] = field(default_factory=list)
    feeds: list[LinkRef] = field(default_factory=list)
    oembed: list[LinkRef] = field(default_factory=list)
    rel_me: list[str] = field(default_factory=list)
    same_as: list[str] = field(default_factory=list)
    webmention: str | None = None
    share_links: list[ShareLink] = field(default_factory=list)
    web_share_api: bool = False
    images: list[ImageRef] = field(default_factory=list)
    links_internal: list[str] = field(default_factory=list)
    links_external: list[str] = field(default_factory=list)
    times: list[str] = field(default_factory=list)  # <time datetime> values
    # og:/twitter: keys that only appear after the first 32 KB (Slack reads no further).
    tags_beyond_32k: list[str] = field(default_factory=list)
    # URL-valued meta keys whose value was written relative (crawlers expect absolute URLs).
    relative_url_keys: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # True when the page hit a parsing cap (nesting depth, attributes, time budget): the
    # warnings say which; what lies beyond the cap was not read.
    capped: bool = False

    def first(self, key: str) -> str | None:
        """The first non-empty value of a meta key (Open Graph: the first wins)."""
        for value in self.tags.get(key.lower(), ()):
            if value:
                return value
        return None

    def structured(self, *roots: str) -> list[dict[str, Any]]:
        """Open Graph structured properties in document order: each root tag (og:image)
        starts an item, ``og:image:width`` and friends describe the latest one."""
        base = roots[0]
        items: list[dict[str, Any]] = []
        for key, value in self.sequence:
            # og:image:url is og:image again: a new item unless it repeats the current URL.
            alias = key == base + ":url" and (
                not items or items[-1].get("url") not in (None, value)
            )
            if key in roots or alias:
                items.append({"url": value})
            elif key.startswith(base + ":"):
                if not items:
                    items.append({})
                prop = key[len(base) + 1 :]
                if prop == "tag":  # repeated by design (og:video:tag)
                    items[-1].setdefault("tags", []).append(value)
                else:
                    items[-1].setdefault(prop, value)
        return items

    def all(self, key: str) -> list[str]:
        return list(self.tags.get(key.lower(), ()))

    def jsonld_items(self) -> list[dict[str, Any]]:
        return [item for block in self.jsonld for item in block.items]

    def jsonld_of_type(self, *types: str) -> list[dict[str, Any]]:
        wanted = set(types)
        out = []
        for item in self.jsonld_items():
            t = item.get("@type")
            names = t if isinstance(t, list) else [t]
            if any(isinstance(n, str) and n in wanted for n in names):
                out.append(item)
        return out

    def main_entity(self) -> dict[str, Any] | None:
        """The JSON-LD item the page is about, or None: the item the page's ``mainEntity``
        or ``mainEntityOfPage`` points to, else the one whose ``url``/``@id`` is the page,
        else the only item that is not about the site (WebSite, Organization, breadcrumbs).
        A ``WebSite`` block naming the site never speaks for the page."""
        items = [i for i in self.jsonld_items() if not _about_site(i)]
        pages = {_same(u) for u in (self.url, self.canonical, self.first("og:url")) if u}
        for item in items:
            target = item.get("mainEntityOfPage")
            if target is True or _same(_ref(target)) in pages:
                return item
        for item in self.jsonld_items():  # a WebPage block naming its main entity
            inner = item.get("mainEntity")
            if isinstance(inner, dict) and not _about_site(inner):
                return inner
        for item in items:
            if _same(_ref(item.get("url"))) in pages or _same(_ref(item.get("@id"))) in pages:
                return item
        return items[0] if len(items) == 1 else None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_SITE_TYPES = frozenset(
    {"WebSite", "Organization", "Corporation", "Brand", "BreadcrumbList", "SiteNavigationElement",
     "SearchAction", "ImageObject", "Person", "LocalBusiness"}
)  # fmt: skip


def _about_site(item: dict[str, Any]) -> bool:
    t = item.get("@type")
    names = t if isinstance(t, list) else [t]
    return any(isinstance(n, str) and n in _SITE_TYPES for n in names)


def _ref(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url")
    return value if isinstance(value, str) else None


def _same(url: str | None) -> str | None:
    """A URL compared loosely: no fragment, no trailing slash, scheme-less."""
    if not url:
        return None
    url = url.split("#", 1)[0].rstrip("/")
    return url.split("://", 1)[-1]
