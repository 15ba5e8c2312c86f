"""SMO6xx, encourage the mashup: JSON-LD that parses and carries the required properties."""

from __future__ import annotations

from typing import Any

from sociable.audit.rules.base import Outcome, PageContext, check
from sociable.audit.rules.util import ARTICLE_TYPES
from sociable.rules import Severity

CAT = "mashup"


@check(
    "SMO601",
    "Page has no structured data",
    why="JSON-LD lets search engines, Pinterest and aggregators reuse the content "
    "(rich results, rich pins).",
    fix='Add a <script type="application/ld+json"> with the page\'s schema.org type.',
    severity=Severity.INFO,
    category=CAT,
)
def no_jsonld(ctx: PageContext) -> Outcome:
    if ctx.meta.jsonld:
        return []
    return [("no JSON-LD block", "application/ld+json: (missing)")]


@check(
    "SMO602",
    "JSON-LD does not parse",
    why="Consumers drop a block that is not valid JSON, with everything in it.",
    fix="Fix the JSON (quotes, commas, no comments); validate it with a JSON linter.",
    severity=Severity.ERROR,
    category=CAT,
)
def invalid_jsonld(ctx: PageContext) -> Outcome:
    if not ctx.meta.jsonld:
        return None
    return [
        (f"JSON-LD block {i + 1}: {b.error}", b.raw[:120])
        for i, b in enumerate(ctx.meta.jsonld)
        if b.error
    ]


@check(
    "SMO603",
    "JSON-LD has no schema.org @context",
    why="Without @context the properties have no agreed meaning and are ignored.",
    fix='Add "@context": "https://schema.org".',
    severity=Severity.WARNING,
    category=CAT,
)
def no_context(ctx: PageContext) -> Outcome:
    blocks = [b for b in ctx.meta.jsonld if b.error is None]
    if not blocks:
        return None
    hits = []
    for i, b in enumerate(blocks):
        roots = b.data if isinstance(b.data, list) else [b.data]
        for root in roots:
            if isinstance(root, dict) and "schema.org" not in str(root.get("@context", "")):
                hits.append((f"JSON-LD block {i + 1} has no schema.org @context", b.raw[:120]))
                break
    return hits


def _missing(item: dict[str, Any], required: tuple[str, ...]) -> list[str]:
    return [k for k in required if item.get(k) in (None, "", [], {})]


def _required(ctx: PageContext, types: tuple[str, ...], required: tuple[str, ...]) -> Outcome:
    items = ctx.meta.jsonld_of_type(*types)
    if not items:
        return None
    hits = []
    for item in items:
        missing = _missing(item, required)
        if missing:
            hits.append(
                (f"{item.get('@type')} lacks {', '.join(missing)}", f"@type: {item.get('@type')}")
            )
    return hits


@check(
    "SMO604",
    "Article structured data is incomplete",
    why="headline, image, datePublished and author are what search and aggregators show.",
    fix="Add headline, image, datePublished and author to the Article JSON-LD.",
    severity=Severity.WARNING,
    category=CAT,
)
def article(ctx: PageContext) -> Outcome:
    return _required(ctx, ARTICLE_TYPES, ("headline", "image", "datePublished", "author"))


@check(
    "SMO605",
    "Organization structured data is incomplete",
    why="name, url and logo build the brand's knowledge panel.",
    fix="Add name, url and logo (and sameAs profiles) to the Organization JSON-LD.",
    severity=Severity.WARNING,
    category=CAT,
)
def organization(ctx: PageContext) -> Outcome:
    return _required(ctx, ("Organization", "Corporation", "LocalBusiness"), ("name", "url", "logo"))


@check(
    "SMO606",
    "Product structured data is incomplete",
    why="Product rich results and Pinterest product pins need a name and one of offers, "
    "review or aggregateRating.",
    fix="Add name and offers (price, priceCurrency) to the Product JSON-LD.",
    severity=Severity.WARNING,
    category=CAT,
)
def product(ctx: PageContext) -> Outcome:
    items = ctx.meta.jsonld_of_type("Product")
    if not items:
        return None
    hits = []
    for item in items:
        missing = _missing(item, ("name",))
        if not any(item.get(k) for k in ("offers", "review", "aggregateRating")):
            missing.append("offers/review/aggregateRating")
        if missing:
            hits.append((f"Product lacks {', '.join(missing)}", f"name: {item.get('name')}"))
    return hits


@check(
    "SMO607",
    "BreadcrumbList is incomplete",
    why="Each breadcrumb needs a position and a name (and an item URL except the last).",
    fix="Give every ListItem position, name and item.",
    severity=Severity.WARNING,
    category=CAT,
)
def breadcrumbs(ctx: PageContext) -> Outcome:
    lists = ctx.meta.jsonld_of_type("BreadcrumbList")
    if not lists:
        return None
    hits = []
    for bl in lists:
        elements = bl.get("itemListElement")
        if not isinstance(elements, list) or not elements:
            hits.append(("BreadcrumbList has no itemListElement", "itemListElement: (missing)"))
            continue
        for n, el in enumerate(elements):
            if not isinstance(el, dict):
                hits.append((f"breadcrumb {n + 1} is not an object", str(el)[:80]))
                continue
            item = el.get("item")
            name = el.get("name") or (item.get("name") if isinstance(item, dict) else None)
            missing = [] if el.get("position") is not None else ["position"]
            if not name:
                missing.append("name")
            if item in (None, "") and n < len(elements) - 1:
                missing.append("item")
            if missing:
                hits.append((f"breadcrumb {n + 1} lacks {', '.join(missing)}", str(el)[:120]))
    return hits
