"""SMO2xx, make tagging and bookmarking easy: share links, the Web Share API."""

from __future__ import annotations

from urllib.parse import unquote_plus

from sociable.audit.rules.base import Outcome, PageContext, check
from sociable.rules import Severity

CAT = "tagging"
SHAREABLE = (
    "facebook",
    "x",
    "linkedin",
    "reddit",
    "pinterest",
    "whatsapp",
    "telegram",
    "email",
    "bluesky",
    "mastodon",
)


@check(
    "SMO201",
    "Page has no share links",
    why="One click to share beats copy-and-paste; pages with share links get shared more.",
    fix="Add share links (plain <a href> to each network's share URL; no tracking scripts "
    "needed). `sociable fix` can add a block.",
    severity=Severity.WARNING,
    category=CAT,
)
def no_share_links(ctx: PageContext) -> Outcome:
    if ctx.meta.share_links or ctx.meta.web_share_api:
        return []
    return [("no share links and no Web Share API button", "share links: 0")]


@check(
    "SMO202",
    "No share link for a configured network",
    why="The workspace publishes on this network, but readers cannot share the page there.",
    fix="Add the network's share link (see `sociable fix`).",
    severity=Severity.INFO,
    category=CAT,
)
def missing_network_share(ctx: PageContext) -> Outcome:
    wanted = [n for n in ctx.networks if n in SHAREABLE]
    if not wanted:
        return None
    present = {s.network for s in ctx.meta.share_links}
    return [
        (f"no share link for {n}", f"share links present: {', '.join(sorted(present)) or 'none'}")
        for n in wanted
        if n not in present
    ]


@check(
    "SMO203",
    "Page does not use the Web Share API",
    why="On phones navigator.share() opens the system share sheet with every app the "
    "reader uses, including networks without share URLs.",
    fix="Add a button that calls navigator.share({title, url}) when it is available.",
    severity=Severity.INFO,
    category=CAT,
)
def no_web_share(ctx: PageContext) -> Outcome:
    if ctx.meta.web_share_api:
        return []
    return [("no navigator.share call in the page", "navigator.share: not found")]


@check(
    "SMO204",
    "Share link does not carry this page's URL",
    why="A share link copied from another page (or a template) shares the wrong URL.",
    fix="Build share links from the page's canonical URL.",
    severity=Severity.WARNING,
    category=CAT,
)
def share_link_wrong_url(ctx: PageContext) -> Outcome:
    if not ctx.meta.share_links:
        return None
    own = {u.rstrip("/") for u in (ctx.meta.url, ctx.meta.canonical, ctx.meta.first("og:url")) if u}
    hits = []
    for link in ctx.meta.share_links:
        decoded = unquote_plus(unquote_plus(link.url))
        if link.network == "pinterest" and "url=" not in decoded:
            continue
        if not any(u in decoded for u in own):
            hits.append((f"{link.network} share link does not contain the page URL", link.url))
    return hits
