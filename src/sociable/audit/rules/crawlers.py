"""SMO7xx, social crawlers: robots.txt per bot, status, redirects, the first 32 KB, compression.

All but SMO705/SMO709 need a fetch; without one they report "not checked".
"""

from __future__ import annotations

from sociable.audit.context import SOCIAL_BOTS
from sociable.audit.extract import MAX_PARSE_BYTES
from sociable.audit.rules.base import NOT_CHECKED, Outcome, PageContext, check
from sociable.rules import Severity

CAT = "crawlers"


@check(
    "SMO701",
    "robots.txt blocks a social crawler from the page",
    why="A blocked bot cannot read the tags: that network shows a bare link.",
    fix="Allow facebookexternalhit, Facebot, Twitterbot, LinkedInBot, Slackbot and "
    "Discordbot in robots.txt.",
    severity=Severity.ERROR,
    category=CAT,
)
def page_blocked(ctx: PageContext) -> Outcome:
    if ctx.fetch is None or not ctx.fetch.robots:
        return NOT_CHECKED
    blocked = [b for b in SOCIAL_BOTS if ctx.fetch.robots.get(b) is False]
    if not blocked:
        return []
    return [(f"disallowed for {', '.join(blocked)}", f"robots.txt vs {ctx.meta.url}")]


@check(
    "SMO702",
    "robots.txt blocks a social crawler from the card image",
    why="The card is drawn without its image when the bot may not fetch it.",
    fix="Allow the social bots to fetch the image path in robots.txt (of the image's host).",
    severity=Severity.ERROR,
    category=CAT,
)
def image_blocked(ctx: PageContext) -> Outcome:
    image = ctx.meta.first("og:image")
    if not image:
        return None
    probe = ctx.fetch.images.get(image) if ctx.fetch else None
    if probe is None or not probe.robots:
        return NOT_CHECKED
    blocked = [b for b in SOCIAL_BOTS if probe.robots.get(b) is False]
    if not blocked:
        return []
    return [(f"image disallowed for {', '.join(blocked)}", f"og:image: {image}")]


@check(
    "SMO703",
    "Page does not answer 200",
    why="Crawlers show no card for error pages.",
    fix="Serve the page with status 200 (or fix the link that points here).",
    severity=Severity.ERROR,
    category=CAT,
)
def status(ctx: PageContext) -> Outcome:
    if ctx.fetch is None or ctx.fetch.status is None:
        return NOT_CHECKED
    if 200 <= ctx.fetch.status < 300:
        return []
    return [(f"HTTP {ctx.fetch.status}", f"{ctx.fetch.final_url or ctx.fetch.url}")]


@check(
    "SMO704",
    "Page is behind a redirect chain",
    why="Each hop costs the crawler time; some follow only a few hops and give up.",
    fix="Link and share the final URL; collapse chains into a single redirect.",
    severity=Severity.WARNING,
    category=CAT,
)
def redirects(ctx: PageContext) -> Outcome:
    if ctx.fetch is None or ctx.fetch.status is None:
        return NOT_CHECKED
    hops = ctx.fetch.redirects
    if len(hops) < 2:
        return []
    chain = " -> ".join(f"{u} ({s})" for s, u in hops)
    return [(f"{len(hops)} redirects before the page", chain)]


@check(
    "SMO705",
    "Share tags come after the first 32 KB",
    why="Slack reads only the first 32 KB of a page; tags after that are not seen.",
    fix="Move the og:/twitter: meta tags to the top of <head>, before scripts and styles.",
    severity=Severity.WARNING,
    category=CAT,
)
def late_tags(ctx: PageContext) -> Outcome:
    if not ctx.meta.is_html:
        return None
    if not ctx.meta.tags_beyond_32k:
        return []
    return [
        (f"{len(ctx.meta.tags_beyond_32k)} tags after 32 KB", ", ".join(ctx.meta.tags_beyond_32k))
    ]


@check(
    "SMO706",
    "Page is served without compression",
    why="Crawlers have tight time budgets; gzip or brotli makes HTML several times smaller.",
    fix="Enable gzip or brotli for text/html on the server.",
    severity=Severity.INFO,
    category=CAT,
)
def compression(ctx: PageContext) -> Outcome:
    f = ctx.fetch
    if f is None or f.compression_offered is not True:
        return NOT_CHECKED
    if (f.wire_bytes or 0) < 1024:
        return None
    enc = (f.content_encoding or "identity").lower()
    if enc not in ("", "identity"):
        return []
    return [
        (
            "no Content-Encoding although the request offered gzip/br",
            f"{f.wire_bytes} bytes, Content-Encoding: {enc}",
        )
    ]


@check(
    "SMO707",
    "Page could not be fetched",
    why="What the auditor cannot fetch, a social crawler probably cannot either.",
    fix="Check the error: timeouts, size limits, TLS and DNS problems.",
    severity=Severity.ERROR,
    category=CAT,
)
def fetch_error(ctx: PageContext) -> Outcome:
    if ctx.fetch is None:
        return NOT_CHECKED
    if ctx.fetch.error:
        return [(ctx.fetch.error, ctx.fetch.url)]
    return []


@check(
    "SMO708",
    "Page is not HTML",
    why="Crawlers read tags only from HTML; a binary or mislabelled page gets no card.",
    fix="Serve HTML with Content-Type: text/html, or do not link the file as a page.",
    severity=Severity.ERROR,
    category=CAT,
)
def not_html(ctx: PageContext) -> Outcome:
    if ctx.fetch is not None and ctx.fetch.error:
        return None
    ctype = ctx.fetch.header("content-type") if ctx.fetch else None
    base = (ctype or "").split(";")[0].strip().lower()
    if base and "html" not in base:
        return [(f"served as {base}", f"Content-Type: {ctype}")]
    if ctx.meta.is_html:
        return []
    return [("; ".join(ctx.meta.warnings) or "not HTML", ctx.meta.url)]


@check(
    "SMO709",
    "Character encoding is wrong or undeclared",
    why="A crawler that guesses the charset wrong shows mojibake (Ã©) in the card's title "
    "and description.",
    fix='Save the page as UTF-8 and declare it: <meta charset="utf-8"> in the first 1024 '
    "bytes, or charset=utf-8 in the Content-Type header.",
    severity=Severity.WARNING,
    category=CAT,
)
def encoding(ctx: PageContext) -> Outcome:
    m = ctx.meta
    if not m.is_html:
        return None
    if m.encoding_problems:
        return [(p, f"declared: {m.encoding_declared or '(none)'}") for p in m.encoding_problems]
    if m.non_ascii and m.encoding_source == "default":
        return [("non-ASCII text but no charset in the HTTP header or a <meta>", "charset: (none)")]
    return []


@check(
    "SMO710",
    "Page is very large",
    why="Social crawlers stop reading huge pages or time out; the audit reads the first "
    f"{MAX_PARSE_BYTES // (1024 * 1024)} MB too.",
    fix="Keep the HTML small: move inline data, images (data: URIs) and scripts to files.",
    severity=Severity.WARNING,
    category=CAT,
)
def huge(ctx: PageContext) -> Outcome:
    if not ctx.meta.is_html:
        return None
    if ctx.meta.raw_size <= MAX_PARSE_BYTES:
        return []
    return [(f"page is {ctx.meta.raw_size} bytes", f"size: {ctx.meta.raw_size} bytes")]
