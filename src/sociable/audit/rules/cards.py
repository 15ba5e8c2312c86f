"""SMO3xx, card completeness: Open Graph and X tags, the image and its limits, lengths."""

from __future__ import annotations

from dataclasses import dataclass

from sociable.audit.cards import LIMITS
from sociable.audit.context import ImageProbe
from sociable.audit.rules.base import NOT_CHECKED, Outcome, PageContext, check
from sociable.rules import Severity

CAT = "cards"
TWITTER_CARDS = ("summary", "summary_large_image", "app", "player")
ALLOWED_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


@dataclass(frozen=True, slots=True)
class ImageLimits:
    min_w: int
    min_h: int
    max_w: int | None
    max_h: int | None
    max_bytes: int
    rec_w: int | None = None
    rec_h: int | None = None


MB = 1024 * 1024
IMAGE_LIMITS: dict[str, ImageLimits] = {
    "facebook": ImageLimits(200, 200, None, None, 8 * MB, 1200, 630),
    "x:summary_large_image": ImageLimits(300, 157, 4096, 4096, 5 * MB),
    "x:summary": ImageLimits(144, 144, 4096, 4096, 5 * MB),
    "linkedin": ImageLimits(200, 200, None, None, 5 * MB, 1200, 627),
}
IMAGE_NETWORKS = ("facebook", "x", "linkedin")


def _quoted(value: str | None, width: int = 60) -> str:
    value = " ".join((value or "").split())
    return f"“{value[:width]}…”" if len(value) > width else f"“{value}”"


def _required(ctx: PageContext, key: str, consequence: str) -> Outcome:
    """Nothing when ``key`` is there, else one hit whose message says what happens without it.

    The rule's title already says the tag is missing: the message adds this page's facts.
    """
    if ctx.meta.first(key):
        return []
    return [(consequence, f'<meta property="{key}">: (missing)')]


@check(
    "SMO301",
    "og:title is missing",
    why="The title is the headline of every card; without it networks guess from <title>, "
    "and X shows no card at all.",
    fix='Add <meta property="og:title" content="..."> with the page\'s headline.',
    severity=Severity.ERROR,
    category=CAT,
)
def og_title(ctx: PageContext) -> Outcome:
    title = ctx.meta.title
    return _required(
        ctx,
        "og:title",
        f"networks fall back to the <title> {_quoted(title)}; X shows no card"
        if title and title.strip()
        else "no <title> either: networks show the bare address",
    )


@check(
    "SMO302",
    "og:type is missing",
    why="og:type is one of the four required Open Graph properties; it tells networks "
    "whether the page is an article, a product or a website.",
    fix='Add <meta property="og:type" content="article"> (or "website").',
    severity=Severity.WARNING,
    category=CAT,
)
def og_type(ctx: PageContext) -> Outcome:
    return _required(ctx, "og:type", "networks treat the page as a plain website")


@check(
    "SMO303",
    "og:image is missing",
    why="Cards with an image get far more clicks; without og:image most networks show a bare link.",
    fix='Add <meta property="og:image" content="https://.../card.png"> (1200×630 PNG/JPEG).',
    severity=Severity.ERROR,
    category=CAT,
)
def og_image(ctx: PageContext) -> Outcome:
    if ctx.meta.first("og:image") or ctx.meta.first("og:image:url"):
        return []
    other = ctx.meta.first("twitter:image") or ctx.meta.image_src
    return _required(
        ctx,
        "og:image",
        f"only X's twitter:image or <link rel=image_src> ({other}); Facebook and LinkedIn "
        "show the link without a picture"
        if other
        else "no picture for any network's card, which shows a bare link",
    )


@check(
    "SMO304",
    "og:url is missing",
    why="og:url is the permanent address networks attach shares and likes to.",
    fix='Add <meta property="og:url" content="https://..."> equal to the canonical URL.',
    severity=Severity.WARNING,
    category=CAT,
)
def og_url(ctx: PageContext) -> Outcome:
    where = ctx.meta.canonical or ctx.meta.url
    return _required(
        ctx, "og:url", f"likes and shares are counted per address shared, not on {where}"
    )


@check(
    "SMO305",
    "og:description is missing",
    why="Facebook, Slack, Discord and Mastodon draw the description under the title.",
    fix='Add <meta property="og:description" content="..."> (one or two sentences).',
    severity=Severity.WARNING,
    category=CAT,
)
def og_description(ctx: PageContext) -> Outcome:
    meta = ctx.meta.first("description")
    return _required(
        ctx,
        "og:description",
        f"networks fall back to the meta description {_quoted(meta)}"
        if meta
        else "no meta description either: cards show the title alone",
    )


@check(
    "SMO306",
    "twitter:card is missing",
    why="X documents twitter:card as required; without it the large image card is not used.",
    fix='Add <meta name="twitter:card" content="summary_large_image">.',
    severity=Severity.WARNING,
    category=CAT,
)
def twitter_card(ctx: PageContext) -> Outcome:
    if ctx.meta.first("twitter:card"):
        return []
    return [
        (
            "X shows at most a small summary card, never the large image",
            '<meta name="twitter:card">: (missing)',
        )
    ]


@check(
    "SMO307",
    "twitter:card has an unknown value",
    why="X ignores a card type it does not know and shows no card.",
    fix="Use summary, summary_large_image, app or player.",
    severity=Severity.ERROR,
    category=CAT,
)
def twitter_card_value(ctx: PageContext) -> Outcome:
    value = ctx.meta.first("twitter:card")
    if not value:
        return None
    if value in TWITTER_CARDS:
        return []
    return [(f"twitter:card {value!r} is not a card type", f"twitter:card: {value}")]


@check(
    "SMO308",
    "Card image has no alt text",
    why="Screen-reader users hear nothing for the card image; X, Facebook and Mastodon pass "
    "og:image:alt / twitter:image:alt on.",
    fix='Add <meta property="og:image:alt" content="what the image shows">.',
    severity=Severity.WARNING,
    category=CAT,
)
def image_alt(ctx: PageContext) -> Outcome:
    if not ctx.resolved.get("image") or not ctx.meta.first("og:image"):
        return None
    if ctx.meta.first("og:image:alt") or ctx.meta.first("twitter:image:alt"):
        return []
    return [("no og:image:alt or twitter:image:alt", f"og:image: {ctx.meta.first('og:image')}")]


@check(
    "SMO309",
    "Card URL is relative",
    why="Open Graph requires absolute URLs; some crawlers do not resolve relative ones and "
    "show no image.",
    fix="Write og:image, og:url and twitter:image as full https:// URLs.",
    severity=Severity.ERROR,
    category=CAT,
)
def relative_urls(ctx: PageContext) -> Outcome:
    keys = [k for k in ctx.meta.relative_url_keys if k.startswith(("og:", "twitter:"))]
    return [(f"{k} is written as a relative URL", f"{k}: {ctx.meta.first(k)}") for k in keys]


def _networks(ctx: PageContext, pool: tuple[str, ...]) -> list[str]:
    if ctx.networks:
        return [n for n in pool if n in ctx.networks]
    return list(pool)


def _too_long(ctx: PageContext, field: str) -> Outcome:
    hits = []
    for name, card in ctx.cards.items():
        if ctx.networks and name not in ctx.networks:
            continue
        limits = LIMITS[name]
        limit = limits.title if field == "title" else limits.description
        if field == "description" and not limits.shows_description:
            continue
        value = card.title if field == "title" else card.description
        if limit and value and len(value) > limit:
            hits.append(f"{name} ({limit}, {limits.basis})")
    if not hits:
        return []
    value = ctx.resolved.get(field) or ""
    return [(f"{field} is {len(value)} characters; cut on " + ", ".join(hits), value)]


@check(
    "SMO310",
    "Title is cut on some networks",
    why="A cut title loses its end, often the part that makes people click.",
    fix="Keep og:title under 60-70 characters, or set a shorter twitter:title.",
    severity=Severity.INFO,
    category=CAT,
)
def title_length(ctx: PageContext) -> Outcome:
    return _too_long(ctx, "title")


@check(
    "SMO311",
    "Description is cut on some networks",
    why="A cut description ends mid-sentence.",
    fix="Keep og:description under 200 characters.",
    severity=Severity.INFO,
    category=CAT,
)
def description_length(ctx: PageContext) -> Outcome:
    return _too_long(ctx, "description")


@check(
    "SMO312",
    "Conflicting repeated og:title or og:description",
    why="When a tag repeats, Facebook takes the first and other crawlers may take the last: "
    "the cards differ between networks.",
    fix="Keep one og:title and one og:description.",
    severity=Severity.INFO,
    category=CAT,
)
def conflicting(ctx: PageContext) -> Outcome:
    hits = []
    for key in ("og:title", "og:description"):
        values = [v for v in ctx.meta.all(key) if v]
        if len(set(values)) > 1:
            hits.append(
                (f"{key} appears {len(values)} times with different values", " | ".join(values[:3]))
            )
    return hits


def _probe(ctx: PageContext) -> ImageProbe | None:
    image = ctx.meta.first("og:image") or ctx.resolved.get("image")
    if not image or ctx.fetch is None:
        return None
    return ctx.fetch.images.get(image)


def _image_applies(ctx: PageContext) -> Outcome | ImageProbe:
    """The usable probe, or the outcome to return (not applicable / not checked)."""
    image = ctx.meta.first("og:image") or ctx.resolved.get("image")
    if not image:
        return None
    probe = _probe(ctx)
    if probe is None:
        return NOT_CHECKED
    if probe.error or (probe.status or 0) >= 400:
        return None
    return probe


@check(
    "SMO313",
    "Card image cannot be fetched",
    why="The network's crawler fails the same way and shows a card without an image.",
    fix="Serve the og:image with status 200 from a public URL.",
    severity=Severity.ERROR,
    category=CAT,
)
def image_unreachable(ctx: PageContext) -> Outcome:
    image = ctx.meta.first("og:image") or ctx.resolved.get("image")
    if not image:
        return None
    probe = _probe(ctx)
    if probe is None:
        return NOT_CHECKED
    if probe.error:
        return [(f"image fetch failed: {probe.error}", f"og:image: {image}")]
    if (probe.status or 0) >= 400:
        return [(f"image answers HTTP {probe.status}", f"og:image: {image}")]
    return []


@check(
    "SMO314",
    "Card image is not an allowed type",
    why="Networks accept JPEG, PNG, GIF and WebP; SVG, HTML error pages and other types "
    "give no image.",
    fix="Serve the card image as PNG or JPEG with the right Content-Type.",
    severity=Severity.ERROR,
    category=CAT,
)
def image_type(ctx: PageContext) -> Outcome:
    probe = _image_applies(ctx)
    if not isinstance(probe, ImageProbe):
        return probe
    ctype = (probe.content_type or "").split(";")[0].strip().lower()
    if not ctype:
        return NOT_CHECKED
    if ctype in ALLOWED_TYPES:
        return []
    return [(f"image is {ctype}", f"og:image: {probe.url} ({ctype})")]


def _limits_for(ctx: PageContext) -> list[tuple[str, ImageLimits]]:
    out = []
    for n in _networks(ctx, IMAGE_NETWORKS):
        if n == "x":
            kind = ctx.cards["x"].card_type if "x" in ctx.cards else None
            key = "x:summary_large_image" if kind == "summary_large_image" else "x:summary"
            out.append((key, IMAGE_LIMITS[key]))
        else:
            out.append((n, IMAGE_LIMITS[n]))
    return out


@check(
    "SMO315",
    "Card image is too small",
    why="Below a network's minimum the image is dropped or shown as a tiny thumbnail "
    "(Facebook 200×200, X large card 300×157).",
    fix="Use a 1200×630 image.",
    severity=Severity.ERROR,
    category=CAT,
)
def image_too_small(ctx: PageContext) -> Outcome:
    probe = _image_applies(ctx)
    if not isinstance(probe, ImageProbe):
        return probe
    if not probe.width or not probe.height:
        return NOT_CHECKED
    bad = [
        f"{name} needs {lim.min_w}×{lim.min_h}"
        for name, lim in _limits_for(ctx)
        if probe.width < lim.min_w or probe.height < lim.min_h
    ]
    if not bad:
        return []
    return [(f"image is {probe.width}×{probe.height}; " + ", ".join(bad), probe.url)]


@check(
    "SMO316",
    "Card image file is too large",
    why="Facebook refuses images over 8 MB, X and LinkedIn over 5 MB.",
    fix="Compress the image (a 1200×630 JPEG is usually under 300 KB).",
    severity=Severity.ERROR,
    category=CAT,
)
def image_too_heavy(ctx: PageContext) -> Outcome:
    probe = _image_applies(ctx)
    if not isinstance(probe, ImageProbe):
        return probe
    if probe.size_bytes is None:
        return NOT_CHECKED
    bad = [
        f"{name} allows {lim.max_bytes // MB} MB"
        for name, lim in _limits_for(ctx)
        if probe.size_bytes > lim.max_bytes
    ]
    if not bad:
        return []
    return [(f"image is {probe.size_bytes} bytes; " + ", ".join(bad), probe.url)]


@check(
    "SMO317",
    "Card image is larger than a network allows",
    why="X does not show images over 4096×4096.",
    fix="Resize the image to 1200×630.",
    severity=Severity.WARNING,
    category=CAT,
)
def image_too_big(ctx: PageContext) -> Outcome:
    probe = _image_applies(ctx)
    if not isinstance(probe, ImageProbe):
        return probe
    if not probe.width or not probe.height:
        return NOT_CHECKED
    bad = [
        f"{name} allows {lim.max_w}×{lim.max_h}"
        for name, lim in _limits_for(ctx)
        if lim.max_w and lim.max_h and (probe.width > lim.max_w or probe.height > lim.max_h)
    ]
    if not bad:
        return []
    return [(f"image is {probe.width}×{probe.height}; " + ", ".join(bad), probe.url)]


@check(
    "SMO318",
    "Card image is below the recommended size or not 1.91:1",
    why="Facebook and LinkedIn recommend 1200×630 (1.91:1); other shapes are cropped.",
    fix="Make the card image 1200×630.",
    severity=Severity.INFO,
    category=CAT,
)
def image_shape(ctx: PageContext) -> Outcome:
    probe = _image_applies(ctx)
    if not isinstance(probe, ImageProbe):
        return probe
    if not probe.width or not probe.height:
        return NOT_CHECKED
    hits = []
    for name, lim in _limits_for(ctx):
        if lim.rec_w is None or lim.rec_h is None:
            continue
        if probe.width < lim.rec_w or probe.height < lim.rec_h:
            hits.append(f"{name} recommends {lim.rec_w}×{lim.rec_h}")
    ratio = probe.width / probe.height
    if abs(ratio - 1.91) / 1.91 > 0.1:
        hits.append(f"ratio {ratio:.2f}:1, not 1.91:1")
    if not hits:
        return []
    return [(f"image is {probe.width}×{probe.height}; " + "; ".join(hits), probe.url)]


@check(
    "SMO319",
    "og:image has no declared width and height",
    why="Facebook renders the image on the very first share only when og:image:width and "
    "og:image:height are given; otherwise the first share may have no image.",
    fix='Add <meta property="og:image:width" content="1200"> and og:image:height.',
    severity=Severity.INFO,
    category=CAT,
)
def image_dims_declared(ctx: PageContext) -> Outcome:
    if not ctx.meta.first("og:image"):
        return None
    if ctx.meta.first("og:image:width") and ctx.meta.first("og:image:height"):
        return []
    return [("og:image:width / og:image:height missing", f"og:image: {ctx.meta.first('og:image')}")]
