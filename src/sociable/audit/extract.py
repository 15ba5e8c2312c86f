"""HTML bytes -> PageMeta. Never raises: bad bytes give warnings, not exceptions.

Text is not rewritten: attribute values and text come entity-decoded from the parser, runs of
HTML whitespace are collapsed to one space, nothing else changes. URLs are resolved against
``<base href>`` (itself resolved against the page URL). For repeated tags every value is kept
in document order and the first one wins (Open Graph's rule).
"""

from __future__ import annotations

import codecs
import json
import re
import time
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from sociable.audit.meta import ImageRef, JsonLdBlock, LinkRef, PageMeta, ShareLink
from sociable.html_bounds import bound_markup

# Pages are parsed up to this many bytes; the rest is ignored with a warning (no social
# crawler reads further, and a 50 MB page must not take the audit down).
MAX_PARSE_BYTES = 5 * 1024 * 1024
SLACK_LIMIT = 32 * 1024
# A backstop for the element pass (the caps in sociable.html_bounds already make it linear): past
# this many seconds the remaining elements are skipped with a warning.
TIME_BUDGET = 5.0
_BUDGET_EVERY = 1024  # elements between clock reads

_WS = re.compile(r"[ \t\n\f\r]+")
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE
)
# Where the head ends: a <meta charset> anywhere before it counts (browsers find a late one
# by re-decoding; the WHATWG prescan alone reads only the first 1024 bytes).
_HEAD_END = re.compile(rb"</head\s*>|<body[\s>]", re.IGNORECASE)
HEAD_SCAN_BYTES = 64 * 1024  # when the page has no </head> nor <body>
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:\-]+)""", re.IGNORECASE)
_LINK_HEADER = re.compile(r"<([^>]*)>\s*((?:;[^,;]*)*)")
_CDATA = re.compile(
    r"^\s*(?:/\*\s*<!\[CDATA\[\s*\*/|//\s*<!\[CDATA\[|<!\[CDATA\[|<!--)|"
    r"(?:/\*\s*\]\]>\s*\*/|//\s*\]\]>|\]\]>|-->)\s*$"
)

# Meta keys whose values are URLs and get resolved.
URL_KEYS = frozenset(
    {
        "og:url",
        "og:image",
        "og:image:url",
        "og:image:secure_url",
        "og:video",
        "og:video:url",
        "og:video:secure_url",
        "og:audio",
        "og:audio:url",
        "og:audio:secure_url",
        "twitter:image",
        "twitter:image:src",
        "twitter:player",
        "twitter:player:stream",
        "itemprop:image",
        "msapplication-tileimage",
    }
)
STRUCTURED_PREFIXES = (
    "og:", "twitter:", "article:", "product:", "music:", "video:", "book:", "profile:",
)  # fmt: skip
FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "json",
    "application/json": "json",
}
OEMBED_TYPES = {"application/json+oembed": "json", "text/xml+oembed": "xml"}
ICON_RELS = {"icon", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon"}
# WHATWG: these labels decode as windows-1252.
_WIN1252 = {"iso-8859-1", "latin1", "latin-1", "ascii", "us-ascii", "iso8859-1", "l1"}


def collapse(text: str | None) -> str | None:
    """Collapse runs of HTML whitespace; strip the ends. Nothing else changes."""
    if text is None:
        return None
    return _WS.sub(" ", text).strip(" \t\n\f\r")


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    if label in _WIN1252:
        return "cp1252"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # A page cannot really be UTF-16 when the declaration is read as ASCII (WHATWG rule).
    return "utf-8" if name.startswith("utf-16") else name


def sniff_encoding(
    html: bytes, headers: Mapping[str, str] | None = None
) -> tuple[str, str, str | None, list[str]]:
    """``(codec, source, declared meta charset, warnings)``: BOM, then HTTP, then meta."""
    warnings: list[str] = []
    declared: str | None = None
    end = _HEAD_END.search(html, 0, MAX_PARSE_BYTES)
    m = _META_CHARSET.search(html, 0, end.start() if end else HEAD_SCAN_BYTES)
    if m:
        declared = m.group(1).decode("ascii", "replace")
    if html.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "bom", declared, warnings
    if html.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "bom", declared, warnings
    content_type = _header(headers, "content-type")
    if content_type:
        hm = _HEADER_CHARSET.search(content_type)
        if hm:
            codec = _codec(hm.group(1))
            if codec:
                return codec, "http", declared, warnings
            warnings.append(f"unknown charset {hm.group(1)!r} in the Content-Type header")
    if declared:
        codec = _codec(declared)
        if codec:
            return codec, "meta", declared, warnings
        warnings.append(f"unknown charset {declared!r} in <meta charset>")
    return "utf-8", "default", declared, warnings


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def detect(html: bytes) -> str | None:
    """The charset a maintained detector (charset-normalizer) finds, or None."""
    from charset_normalizer import from_bytes

    best = from_bytes(html[: HEAD_SCAN_BYTES * 4]).best()
    return _codec(best.encoding) if best is not None else None


def decode(html: bytes, codec: str, warnings: list[str]) -> tuple[str, str]:
    """Decode strictly; on bad bytes say so and fall back (UTF-8 -> the detector's guess ->
    windows-1252)."""
    try:
        return html.decode(codec), codec
    except UnicodeDecodeError:
        pass
    if codec in ("utf-8", "utf-8-sig"):
        guess = detect(html)
        if guess and guess not in ("utf-8", "cp1252", "ascii"):
            try:
                text = html.decode(guess)
            except (UnicodeDecodeError, LookupError):
                pass
            else:
                warnings.append(f"bytes are not valid UTF-8; decoded as {guess} (detected)")
                return text, guess
        try:
            text = html.decode("cp1252")
        except UnicodeDecodeError:
            text = html.decode("utf-8", "replace")
            warnings.append("bytes are not valid UTF-8; undecodable bytes replaced")
            return text, "utf-8"
        warnings.append("bytes are not valid UTF-8; decoded as windows-1252")
        return text, "cp1252"
    warnings.append(f"bytes are not valid {codec}; undecodable bytes replaced")
    return html.decode(codec, "replace"), codec


def looks_binary(html: bytes) -> bool:
    head = html[:1024]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\x00" in head


class _Resolver:
    """Resolves the many relative links of one page; plain paths skip urljoin (slow)."""

    def __init__(self, base: str) -> None:
        self.base = base
        m = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*)([^?#]*)", base)
        self.origin = m.group(1) if m else None
        path = (m.group(2) or "/") if m else "/"
        self.folder = (self.origin or "") + path[: path.rfind("/") + 1]
        self.cache: dict[str, str] = {}

    def __call__(self, href: str) -> str:
        hit = self.cache.get(href)
        if hit is not None:
            return hit
        value = href.strip(" \t\n\f\r")
        if value.startswith(("http://", "https://")) or not value:
            out = value
        elif (
            self.origin
            and "/." not in value
            and not value.startswith(".")
            # urljoin drops an empty query or fragment: leave those to it
            and not value.endswith(("?", "#"))
            and "?#" not in value
            and "//" not in value  # urljoin collapses empty path segments
            and not _URLJOIN_SPECIAL.search(value)
        ):
            if value.startswith("/"):
                out = self.origin + value
            elif _PLAIN_PATH.match(value):
                out = self.folder + value
            else:
                out = resolve(self.base, value) or ""
        else:
            out = resolve(self.base, value) or ""
        self.cache[href] = out
        return out


# urljoin treats ';' as path parameters and strips or drops control characters.
_URLJOIN_SPECIAL = re.compile(r"[;\x00-\x1f\x7f]")
_PLAIN_PATH = re.compile(r"^[A-Za-z0-9_~%@!$&'()*+,;=\-][^:?#]*(?:[?#].*)?$|^[^/:?#]+$")


def resolve(base: str, value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip(" \t\n\f\r")
    if not value or value.startswith(("http://", "https://")):
        return value  # already absolute: urljoin would return it as is
    try:
        return urljoin(base, value)
    except ValueError:
        return value


_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://(?:[^/?#@]*@)?(\[[^\]/?#]*\]|[^:/?#]*)")
# Cheap test before parsing a URL as a share link: most links are not.
_SHARE_HINTS = (
    "sharer",
    "share-offsite",
    "sharearticle",
    "/share?",
    "intent/",
    "/submit",
    "pin/create",
    "wa.me",
    "whatsapp",
    "me/share",
    "mailto:",
    "kytta",
    "mastodonshare",
    "dialog/",
)


def _host(url: str) -> str:
    """The lower-cased host without ``www.`` (a regex: this runs for every link)."""
    m = _HOST.match(url)
    if not m:
        return ""
    host = m.group(1).lower()
    return host[4:] if host.startswith("www.") else host


def _share_hint(low: str) -> bool:
    """``any(h in low for h in _SHARE_HINTS) or low.endswith("/share")``, without a generator.

    This runs for every link of every page; most links contain none of the hints, and six of
    them contain "share", so one substring test rules those six out at once.
    """
    if "share" in low:
        return any(hint in low for hint in _SHARE_HINTS) or low.endswith("/share")
    return (
        "intent/" in low
        or "/submit" in low
        or "pin/create" in low
        or "wa.me" in low
        or "whatsapp" in low
        or "mailto:" in low
        or "kytta" in low
        or "dialog/" in low
    )


def share_network(url: str) -> str | None:
    """Which network a share link targets, or None when it is not a share link."""
    low = url.lower()
    if not _share_hint(low):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme == "mailto":
        q = parts.query.lower()
        return "email" if ("body=" in q or "subject=" in q) else None
    if scheme == "whatsapp":
        return "whatsapp" if parts.netloc.lower() == "send" else None
    if scheme not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    host = host[2:] if host.startswith("m.") else host
    path = parts.path.lower().rstrip("/")
    if host.endswith("facebook.com") and (
        path.startswith("/sharer") or path in ("/share.php", "/dialog/share", "/dialog/feed")
    ):
        return "facebook"
    if host in ("twitter.com", "x.com", "mobile.twitter.com") and path in (
        "/intent/tweet",
        "/intent/post",
        "/share",
    ):
        return "x"
    if host.endswith("linkedin.com") and (
        path.startswith("/sharing/share-offsite") or path in ("/sharearticle", "/cws/share")
    ):
        return "linkedin"
    if host.endswith("reddit.com") and path == "/submit":
        return "reddit"
    if "pinterest." in host and path.startswith("/pin/create"):
        return "pinterest"
    if host == "wa.me" or (host.endswith("whatsapp.com") and path == "/send"):
        return "whatsapp"
    if host in ("t.me", "telegram.me") and path.startswith("/share"):
        return "telegram"
    if host == "bsky.app" and path == "/intent/compose":
        return "bluesky"
    if host in ("mastodonshare.com", "toot.kytta.dev", "s2f.kytta.dev", "share2fedi.kytta.dev"):
        return "mastodon"
    if path == "/share" and "text" in parse_qs(parts.query):
        return "mastodon"
    return None


def _node_text(node: LexborNode) -> str:
    return node.text(deep=True, separator="", strip=False) or ""


def strip_comments(text: str) -> str:
    """Drop //, /* */ and <!-- --> comments and trailing commas outside JSON strings
    (what lenient readers such as extruct accept)."""
    out: list[str] = []
    i, n, in_str = 0, len(text), False
    start = 0
    while i < n:
        ch = text[i]
        if in_str:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_str = False
            i += 1
            continue
        if ch == '"':
            in_str = True
            i += 1
            continue
        if ch == ",":
            j = i + 1
            while j < n and text[j] in " \t\r\n":
                j += 1
            if j < n and text[j] in "}]":  # a trailing comma
                out.append(text[start:i])
                start = i = i + 1
                continue
        end_mark = None
        if text.startswith("//", i):
            end_mark = "\n"
        elif text.startswith("/*", i):
            end_mark = "*/"
        elif text.startswith("<!--", i):
            end_mark = "-->"
        if end_mark is None:
            i += 1
            continue
        out.append(text[start:i])
        end = text.find(end_mark, i + 2)
        i = n if end < 0 else end + len(end_mark)
        start = i
    out.append(text[start:])
    return "".join(out)


def _json_ld(raw: str) -> JsonLdBlock:
    """Strict JSON first; if that fails, the error is kept and a lenient read is tried
    (comments dropped, control characters allowed) so the data is still usable."""
    cleaned = _CDATA.sub("", raw.strip())
    try:
        return JsonLdBlock(raw=raw, data=json.loads(cleaned))
    except json.JSONDecodeError as exc:
        error = f"line {exc.lineno} column {exc.colno}: {exc.msg}"
    except (RecursionError, ValueError) as exc:
        return JsonLdBlock(raw=raw, error=f"cannot parse: {type(exc).__name__}")
    try:
        lenient = strip_comments(strip_comments(raw.strip()))  # 2nd pass: commas before comments
        data = json.loads(_CDATA.sub("", lenient.strip()), strict=False)
    except (RecursionError, ValueError):
        return JsonLdBlock(raw=raw, error=error)
    return JsonLdBlock(raw=raw, data=data, error=error, repaired=True)


def _meta_keys(attrs: Mapping[str, str | None]) -> list[str]:
    keys: list[str] = []
    for attr in ("property", "name"):
        value = attrs.get(attr)
        if value:
            key = value.strip().lower()
            if key and key not in keys:
                keys.append(key)
    if attrs.get("itemprop"):
        keys.append("itemprop:" + (attrs["itemprop"] or "").strip().lower())
    if attrs.get("http-equiv"):
        keys.append("http-equiv:" + (attrs["http-equiv"] or "").strip().lower())
    return keys


def _meta_tag_keys(tree: LexborHTMLParser) -> set[str]:
    keys: set[str] = set()
    for node in tree.css("meta"):
        if node.attributes.get("content") is not None:
            keys.update(_meta_keys(node.attributes))
    return keys


def _link_header(meta: PageMeta, value: str) -> None:
    for target, params in _LINK_HEADER.findall(value):
        rel = re.search(r"""rel\s*=\s*"?([^";]+)"?""", params, re.IGNORECASE)
        if not rel:
            continue
        rels = rel.group(1).lower().split()
        url = resolve(meta.url, target) or ""
        if "webmention" in rels and not meta.webmention:
            meta.webmention = url
        if "canonical" in rels and not meta.canonical:
            meta.canonical = url
            meta.canonical_raw = target


class _Page:
    """State of one extraction pass."""

    __slots__ = ("hidden_imgs", "host", "meta", "noscript_srcs", "resolve_link", "seen")

    def __init__(self, meta: PageMeta, host: str, resolve_link: _Resolver) -> None:
        self.meta, self.host, self.resolve_link = meta, host, resolve_link
        self.seen: set[str] = set()
        self.hidden_imgs: set[int] = set()
        self.noscript_srcs: set[str] = set()


# Images no one sees as the page's picture: fallbacks for no-script and old browsers, and
# images inside hidden or aria-hidden containers (one query; lexbor runs it in C).
_HIDDEN_IMGS = (
    "noscript img, video img, audio img, object img, template img, "
    "[aria-hidden=true] img, [hidden] img"
)
_NOT_IMAGE_FILES = (
    ".js",
    ".css",
    ".html",
    ".htm",
    ".php",
    ".asp",
    ".aspx",
    ".json",
    ".txt",
    ".pdf",
    ".xml",
)
# <noscript> in the head is parsed (scripting off) so that an <img> in it leaves it: find
# such images in the markup itself.
_NOSCRIPT = re.compile(r"<noscript\b.*?</noscript\s*>", re.IGNORECASE | re.DOTALL)
_IMG_SRC = re.compile(r"""<img\b[^>]*?\ssrc\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _tiny(value: str | None) -> bool:
    digits = (value or "").strip().removesuffix("px")
    return digits.isdigit() and int(digits) <= 1


def _image_skip(attrs: Mapping[str, str | None], src: str) -> str | None:
    """Why this <img> cannot be a page's picture, or None."""
    if src.lower().startswith("data:"):
        return "data: URL"
    if (attrs.get("aria-hidden") or "").strip().lower() == "true":
        return "aria-hidden"
    if "hidden" in attrs or _HIDDEN_STYLE.search(attrs.get("style") or ""):
        return "hidden"
    if _tiny(attrs.get("width")) or _tiny(attrs.get("height")):
        return "1x1 or smaller (a tracking pixel)"
    path = src.split("?", 1)[0].split("#", 1)[0].lower()
    if path.endswith(_NOT_IMAGE_FILES):
        return "not an image file"
    return None


def _on_meta(page: _Page, node: LexborNode) -> None:
    attrs = node.attributes
    content = attrs.get("content")
    if content is None:
        return
    meta = page.meta
    for key in _meta_keys(attrs):
        value = collapse(content) or ""
        if key in URL_KEYS and value:
            if not _ABSOLUTE.match(value) and key not in meta.relative_url_keys:
                meta.relative_url_keys.append(key)
            value = resolve(meta.base_url, value) or ""
        meta.tags.setdefault(key, []).append(value)
        if key.startswith(STRUCTURED_PREFIXES):
            meta.sequence.append((key, value))


def _on_link(page: _Page, node: LexborNode) -> None:
    attrs = node.attributes
    href = attrs.get("href")
    if href is None or not attrs.get("rel"):
        return
    meta = page.meta
    rels = (attrs.get("rel") or "").lower().split()
    target = resolve(meta.base_url, href) or ""
    ltype = (attrs.get("type") or "").split(";")[0].strip().lower() or None
    ltitle = collapse(attrs.get("title"))
    if "canonical" in rels and meta.canonical is None:
        meta.canonical, meta.canonical_raw = target, href.strip()
    if "alternate" in rels:
        if attrs.get("hreflang"):
            meta.hreflang.append(LinkRef(target, ltype, ltitle, attrs.get("hreflang")))
        if ltype in FEED_TYPES:
            meta.feeds.append(LinkRef(target, FEED_TYPES[ltype], ltitle))
        if ltype in OEMBED_TYPES:
            meta.oembed.append(LinkRef(target, OEMBED_TYPES[ltype], ltitle))
    if ICON_RELS & set(rels):
        meta.icons.append(LinkRef(target, ltype, ltitle, attrs.get("sizes") or " ".join(rels)))
    if "me" in rels:
        meta.rel_me.append(target)
    if "webmention" in rels and meta.webmention is None:
        meta.webmention = target
    if "image_src" in rels and meta.image_src is None:
        meta.image_src = target


def _on_script(page: _Page, node: LexborNode) -> None:
    stype = (node.attributes.get("type") or "").split(";")[0].strip().lower()
    if stype == "application/ld+json":
        page.meta.jsonld.append(_json_ld(_node_text(node)))


def _on_anchor(page: _Page, node: LexborNode) -> None:
    attrs = node.attributes
    href = (attrs.get("href") or "").strip()
    if not href or href.startswith("#"):
        return
    meta = page.meta
    target = page.resolve_link(href)
    if "rel" in attrs:
        rels = (attrs.get("rel") or "").lower().split()
        if "me" in rels:
            meta.rel_me.append(target)
        if "webmention" in rels and meta.webmention is None:
            meta.webmention = target
    network = share_network(target)
    if network:
        meta.share_links.append(ShareLink(network, target))
        return
    if not target.startswith(("http://", "https://")):
        scheme = target.split(":", 1)[0].lower()
        if scheme not in ("http", "https"):
            return
    target = target.split("#", 1)[0]
    if target in page.seen:
        return
    page.seen.add(target)
    if _host(target) == page.host:
        meta.links_internal.append(target)
    else:
        meta.links_external.append(target)


def _on_img(page: _Page, node: LexborNode) -> None:
    attrs = node.attributes
    src = attrs.get("src") or attrs.get("data-src")
    if not src and attrs.get("srcset"):
        src = (attrs.get("srcset") or "").strip().split(" ")[0]
    if not src:
        return
    alt = attrs.get("alt")
    hidden = (page.hidden_imgs and node.mem_id in page.hidden_imgs) or (
        page.noscript_srcs and src.strip() in page.noscript_srcs
    )
    skip = (
        "inside <noscript>, <video> or a hidden element"
        if hidden
        else _image_skip(attrs, src.strip())
    )
    page.meta.images.append(
        ImageRef(
            resolve(page.meta.base_url, src) or src,
            collapse(alt) if alt is not None else None,
            attrs.get("width"),
            attrs.get("height"),
            skip,
        )
    )


def _on_time(page: _Page, node: LexborNode) -> None:
    stamp = collapse(node.attributes.get("datetime"))
    if stamp:
        page.meta.times.append(stamp)


_HANDLERS: dict[str, Callable[[_Page, LexborNode], None]] = {
    "meta": _on_meta,
    "link": _on_link,
    "script": _on_script,
    "a": _on_anchor,
    "area": _on_anchor,
    "img": _on_img,
    "time": _on_time,
}
_ELEMENTS = "meta, link, script, a[href], area[href], img, time[datetime]"


def extract(html: bytes, url: str, headers: Mapping[str, str] | None = None) -> PageMeta:
    """Read everything the audit needs from one page. Never raises on any input bytes."""
    url = url if isinstance(url, str) else ""
    try:
        return _extract(html, url, headers)
    except Exception as exc:  # the extractor must not take a crawl down
        meta = PageMeta(url=url, base_url=url, raw_size=len(html))
        meta.warnings.append(f"extraction failed: {type(exc).__name__}: {exc}")
        return meta


def _extract(html: bytes, url: str, headers: Mapping[str, str] | None) -> PageMeta:
    meta = PageMeta(url=url, base_url=url, raw_size=len(html))
    if not isinstance(html, bytes | bytearray | memoryview):
        raise TypeError("html must be bytes")
    html = bytes(html)
    if looks_binary(html):
        meta.is_html = False
        meta.warnings.append("binary content (NUL bytes), not an HTML page")
        return meta
    codec, source, declared, problems = sniff_encoding(html, headers)
    meta.encoding_source, meta.encoding_declared = source, declared
    body = html
    if len(html) > MAX_PARSE_BYTES:
        body = html[:MAX_PARSE_BYTES]
        meta.warnings.append(
            f"page is {len(html)} bytes; only the first {MAX_PARSE_BYTES} were read"
        )
    text, used = decode(body, codec, problems)
    meta.encoding_problems = problems
    meta.warnings.extend(problems)
    meta.non_ascii = not body.isascii()
    meta.encoding = "utf-8" if used == "utf-8-sig" else used
    bounded = bound_markup(text)
    meta.warnings.extend(bounded.warnings)
    meta.capped = bool(bounded.depth_capped or bounded.attributes_capped)
    tree = LexborHTMLParser(bounded.text)

    root = tree.css_first("html")
    if root is not None:
        meta.lang = collapse(root.attributes.get("lang")) or None
    base = tree.css_first("base[href]")
    if base is not None:
        meta.base_url = resolve(url, base.attributes.get("href")) or url
    b = meta.base_url
    title = tree.css_first("title")
    if title is not None:
        meta.title = collapse(_node_text(title))

    # One pass over the elements of interest (a css query per tag walks the tree each time).
    page = _Page(meta, _host(url), _Resolver(b))
    if "<img" in text or "<IMG" in text:
        page.hidden_imgs = {n.mem_id for n in tree.css(_HIDDEN_IMGS)}
        if "<noscript" in text or "<NOSCRIPT" in text:
            page.noscript_srcs = {
                src for block in _NOSCRIPT.findall(text) for src in _IMG_SRC.findall(block)
            }
    deadline = time.monotonic() + TIME_BUDGET
    for i, node in enumerate(tree.css(_ELEMENTS)):
        if i % _BUDGET_EVERY == _BUDGET_EVERY - 1 and time.monotonic() > deadline:
            meta.capped = True
            meta.warnings.append(
                f"reading the page took over {TIME_BUDGET:g} s: elements after the first "
                f"{i} of interest were skipped"
            )
            break
        handler = _HANDLERS.get(node.tag or "")
        if handler is not None:
            handler(page, node)
    meta.theme_color = meta.first("theme-color")
    for item in meta.jsonld_items():
        same = item.get("sameAs")
        for profile in same if isinstance(same, list) else [same]:
            if isinstance(profile, str) and profile.strip():
                meta.same_as.append(resolve(b, profile) or profile)
    meta.web_share_api = "navigator.share" in text

    link_header = _header(headers, "link")
    if link_header:
        _link_header(meta, link_header)

    if len(html) > SLACK_LIMIT:
        meta.tags_beyond_32k = _late_tags(meta, html[:SLACK_LIMIT], used)
    return meta


def _late_tags(meta: PageMeta, head: bytes, codec: str) -> list[str]:
    """og:/twitter: keys not present in the first 32 KB. For ASCII-compatible encodings a
    byte search (the key followed by a quote, space or >) avoids parsing the head again."""
    keys = [k for k in meta.tags if k.startswith(("og:", "twitter:"))]
    if codec.startswith("utf-16"):
        early = _meta_tag_keys(LexborHTMLParser(bound_markup(head.decode(codec, "replace")).text))
        return sorted(k for k in keys if k not in early)
    low = head.lower()
    late = []
    for key in keys:
        k = key.encode("ascii", "replace")
        if not any(k + end in low for end in (b'"', b"'", b" ", b">")):
            late.append(key)
    return sorted(late)
