"""SMO4xx, reward inbound links: permalinks, rel=me / sameAs, webmention."""

from __future__ import annotations

from urllib.parse import urlsplit

from sociable.audit.rules.base import Outcome, PageContext, check
from sociable.rules import Severity

CAT = "inbound"


@check(
    "SMO401",
    "og:url and canonical disagree",
    why="Networks key likes and shares on og:url; search engines on the canonical. When they "
    "differ, the counts are split between two URLs.",
    fix="Make og:url equal to the canonical URL.",
    severity=Severity.WARNING,
    category=CAT,
)
def og_url_vs_canonical(ctx: PageContext) -> Outcome:
    og_url, canonical = ctx.meta.first("og:url"), ctx.meta.canonical
    if not og_url or not canonical:
        return None
    if og_url.rstrip("/") == canonical.rstrip("/"):
        return []
    return [("og:url is not the canonical URL", f"og:url: {og_url} / canonical: {canonical}")]


@check(
    "SMO402",
    "Home page does not link the brand's profiles",
    why="rel=me links and JSON-LD sameAs tie the site to its social profiles: verified "
    "links on Mastodon, knowledge panels in search.",
    fix='Add <a rel="me" href="..."> to each profile, or sameAs in the Organization JSON-LD.',
    severity=Severity.INFO,
    category=CAT,
)
def no_profiles(ctx: PageContext) -> Outcome:
    path = urlsplit(ctx.meta.url).path if "://" in ctx.meta.url else ctx.meta.url
    home = path in ("", "/", "/index.html", "/index.htm")
    if not home and not ctx.meta.jsonld_of_type("Organization", "Person"):
        return None
    if ctx.meta.rel_me or ctx.meta.same_as:
        return []
    return [("no rel=me links and no sameAs", "rel=me: 0, sameAs: 0")]


@check(
    "SMO403",
    "No webmention endpoint",
    why="Webmention lets other sites tell you they linked to you, so you can show and "
    "answer the conversation.",
    fix='Advertise an endpoint: <link rel="webmention" href="..."> or a Link header.',
    severity=Severity.INFO,
    category=CAT,
)
def no_webmention(ctx: PageContext) -> Outcome:
    if ctx.meta.webmention:
        return []
    return [
        (
            "neither a <link rel=webmention> nor a Link header: sites that link here cannot say so",
            "rel=webmention: (missing)",
        )
    ]
