"""Check a post for each network before it goes anywhere: ``lint_post``.

The composer, the importer, the publisher and ``sociable lint`` all call :func:`lint_post`.
It counts the text per network (what is left, where it would be cut), then runs the POST
checks registered in :mod:`sociable.content.lint_rules` and, for local media files, the
media checks of :mod:`sociable.content.media` (POST3xx).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import regex

from sociable.content import entities, lint_rules, twitter
from sociable.content.adapt import Variant
from sociable.content.counting import NetworkCount, count_text, nfc
from sociable.content.finding import PostFinding
from sociable.content.platforms import Platform, load_platforms, parse_networks
from sociable.content.post import PostInput
from sociable.content.utm import is_http_url
from sociable.errors import UserError
from sociable.html_bounds import bound_markup
from sociable.rules import RuleFilter, Severity, get_rule

__all__ = [
    "LintFinding",
    "LintReport",
    "NetworkCount",
    "PostInput",
    "lint_post",
    "lint_variant",
]

ALL = "*"  # the network of a finding that holds for every network

_ = lint_rules  # registers POST1xx-6xx


LintFinding = PostFinding


@dataclass
class LintReport:
    networks: dict[str, NetworkCount] = field(default_factory=dict)
    findings: list[LintFinding] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "networks": {name: c.as_dict() for name, c in self.networks.items()},
            "findings": [f.as_dict() for f in self.findings],
        }


class _Collector:
    def __init__(self, rule_filter: RuleFilter | None) -> None:
        self.filter = rule_filter
        self.items: list[LintFinding] = []
        self._seen: set[tuple[str, str, str]] = set()

    def add(self, code: str, network: str, message: str) -> None:
        if self.filter is not None and not self.filter.enabled(code):
            return
        message = _SURROGATE.sub("\ufffd", message)  # printable and JSON-safe
        key = (code, network, message)
        if key in self._seen:
            return
        self._seen.add(key)
        self.items.append(LintFinding(code, network, get_rule(code).severity, message))

    def extend(self, findings: Iterable[Any]) -> None:
        for f in findings:
            if self.filter is not None and not self.filter.enabled(f.code):
                continue
            sev = f.severity if isinstance(f.severity, Severity) else Severity(str(f.severity))
            self.items.append(LintFinding(f.code, f.network, sev, f.message))


def _snippet(text: str, at: int, width: int = 24) -> str:
    before = text[max(0, at - width) : at].replace("\n", " ")
    return f"…{before}" if at > width else before


# -- text checks ------------------------------------------------------------------------------

_SURROGATE = regex.compile(r"\p{Cs}", regex.VERSION0)
_BAD_CHARS = regex.compile(r"[\uFFFE\uFEFF\uFFFF\p{Cs}]", regex.VERSION0)
_BIDI = regex.compile(r"[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\u200B\u2060]")
_CASED = regex.compile(r"\p{Lu}|\p{Ll}", regex.VERSION0)
_NUMERIC_TAG = regex.compile(r"(?:^|(?<=[\s(]))[#＃](\d+)(?![\w])", regex.VERSION0)
_CTA = regex.compile(
    r"\b(?:learn|read|shop|buy|order|sign\s?up|join|register|download|try|get|discover|"
    r"watch|listen|book|reserve|reply|comment|share|follow|visit|click|tap|subscribe|"
    r"call|contact|apply|donate|vote|rsvp|tell us|let us know|check out|see|find out|"
    r"start|claim|save|grab|dm|message us|link in bio)\b",
    regex.IGNORECASE | regex.VERSION0,
)
_MARKUP = regex.compile(r"https?://\S+|[#＃@＠][\w.@-]+", regex.VERSION0)
EMOJI_RUN = 3


def _check_characters(text: str, out: _Collector) -> None:
    bad = _BAD_CHARS.findall(text)
    if bad:
        names = ", ".join(sorted({f"U+{ord(c):04X}" for c in bad}))
        out.add("POST105", ALL, f"text contains {len(bad)} character(s) networks reject: {names}")
    hidden = _BIDI.findall(text)
    joiners = [m.start() for m in regex.finditer(r"[\u200c\u200d]", text)]
    spans = [(m.start(), m.end()) for m in twitter.EMOJI_RE.finditer(text)] if joiners else []
    in_emoji = twitter.span_mask(len(text), spans)
    for i in joiners:
        ch = text[i]
        if not in_emoji[i]:
            left = text[i - 1] if i else " "
            right = text[i + 1] if i + 1 < len(text) else " "
            if left.isascii() and right.isascii():
                hidden.append(ch)
    if hidden:
        names = ", ".join(sorted({f"U+{ord(c):04X}" for c in hidden}))
        out.add(
            "POST505",
            ALL,
            f"{len(hidden)} invisible or direction-changing character(s) in the text ({names})",
        )


def _plain_words(text: str) -> str:
    return _MARKUP.sub(" ", text)


def _check_accessibility(text: str, out: _Collector) -> None:
    words = _plain_words(text)
    cased = _CASED.findall(words)
    upper = sum(1 for c in cased if c.isupper())
    if upper >= 10 and upper / max(1, len(cased)) > 0.8:
        out.add("POST502", ALL, f"{upper} of {len(cased)} letters are capitals")
    stripped = regex.sub(r"\s+", "", text)
    if stripped:
        rest = twitter.EMOJI_RE.sub("", stripped)
        if not regex.sub(r"[\uFE0F\uFE0E\u200D\p{Emoji_Modifier}]", "", rest):
            out.add("POST503", ALL, "the text is only emoji; add words for screen readers")
    run = best = 0
    last_end = -1
    for m in twitter.EMOJI_RE.finditer(text):
        gap = text[last_end : m.start()] if last_end >= 0 else "x"
        run = run + 1 if last_end >= 0 and not gap.strip() else 1
        best = max(best, run)
        last_end = m.end()
    if best >= EMOJI_RUN:
        out.add("POST506", ALL, f"{best} emoji in a row")


def _check_hashtags(
    text: str, networks: list[str], platforms: Mapping[str, Platform], out: _Collector
) -> None:
    tags = entities.hashtags(text)
    seen: dict[str, str] = {}
    for tag in tags:
        key = tag.text.casefold()
        if key in seen:
            out.add("POST206", ALL, f"#{tag.text} appears more than once")
        seen.setdefault(key, tag.text)
        letters = tag.text.replace("_", "")
        if (
            len(letters) >= 12
            and letters.isalpha()
            and (letters == letters.lower() or letters == letters.upper())
            and letters.lower() != letters.upper()
        ):
            out.add(
                "POST504",
                ALL,
                f"#{tag.text}: if it is several words, write it in CamelCase so screen "
                "readers can say it",
            )
    for m in _NUMERIC_TAG.finditer(text):
        out.add("POST207", ALL, f"#{m.group(1)} is only digits, so it will not be a hashtag")
    count = len(seen)
    for name in networks:
        p = platforms[name]
        if p.max_hashtags is not None and count > p.max_hashtags:
            out.add(
                "POST201",
                name,
                f"{count} hashtags; {p.title} allows at most {p.max_hashtags}",
            )
        elif p.hashtag_norm == 0 and count:
            out.add("POST203", name, f"{count} hashtag(s); {p.title} does not use hashtags")
        elif count > p.hashtag_norm > 0:
            out.add(
                "POST202",
                name,
                f"{count} hashtags; {p.hashtag_norm} is usual on {p.title}",
            )


def _check_mentions(
    text: str, networks: list[str], platforms: Mapping[str, Platform], out: _Collector
) -> None:
    fedi = [m for m in entities.mentions(text, "mastodon") if m.host]
    for name in networks:
        p = platforms[name]
        if name != "mastodon" and fedi:
            handles = ", ".join(f"@{m.handle}@{m.host}" for m in fedi[:3])
            out.add("POST204", name, f"{handles}: a fediverse address does not work on {p.title}")
        if name == "bluesky":
            bsky = twitter.span_mask(
                len(text), [(b.start, b.end) for b in entities.mentions(text, "bluesky")]
            )
            loose = [
                m for m in entities.mentions(text, "x") if "." not in m.handle and not bsky[m.start]
            ]
            if loose:
                names = ", ".join(f"@{m.handle}" for m in loose[:3])
                out.add(
                    "POST204",
                    name,
                    f"{names}: Bluesky mentions are domain handles like @name.bsky.social",
                )
        if p.max_mentions is not None:
            count = len(entities.mentions(text, name))
            if count > p.max_mentions:
                out.add(
                    "POST205",
                    name,
                    f"{count} mentions; {p.title} allows at most {p.max_mentions}",
                )


def _utm_params(url: str) -> dict[str, str]:
    try:
        from sociable.content.utm import utm_params
    except ImportError:  # pragma: no cover - utm.py is always shipped
        return {}
    try:
        return utm_params(url)
    except UserError:
        return {}


def _check_links(
    post: PostInput,
    text: str,
    networks: list[str],
    platforms: Mapping[str, Platform],
    out: _Collector,
) -> list[str]:
    """Link checks; returns the web links of the post (link field first)."""
    found = [e.text for e in entities.links(text)]
    web: list[str] = []
    if post.link:
        if not is_http_url(post.link.strip()):
            out.add("POST405", ALL, f"link {post.link!r} is not an http(s) address")
        else:
            web.append(post.link.strip())
    web += [u if "://" in u else f"https://{u}" for u in found]
    for name in networks:
        p = platforms[name]
        if found and not p.links_clickable:
            out.add("POST401", name, f"{len(found)} link(s) in the text; {p.title} won't link them")
        if p.max_links is not None and len(found) > p.max_links:
            out.add("POST402", name, f"{len(found)} links; {p.title} allows at most {p.max_links}")
    for url in dict.fromkeys(web):
        params = _utm_params(url)
        if not params:
            out.add("POST403", ALL, f"{url}: no UTM tags")
            continue
        missing = [k for k in ("utm_source", "utm_medium", "utm_campaign") if not params.get(k)]
        odd = [k for k, v in params.items() if v != v.lower() or " " in v or "+" in v]
        if missing:
            out.add("POST404", ALL, f"{url}: missing {', '.join(missing)}")
        if odd:
            out.add("POST404", ALL, f"{url}: {', '.join(odd)} should be lowercase without spaces")
    return list(dict.fromkeys(web))


def _check_quality(post: PostInput, text: str, now: datetime | None, out: _Collector) -> None:
    words = _plain_words(text)
    if text.strip() and "?" not in words and not _CTA.search(words):
        out.add("POST601", ALL, "no call to action or question")
    if post.scheduled_at is not None:
        when = post.scheduled_at
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        current = now or datetime.now(UTC)
        if when < current:
            out.add("POST604", ALL, f"scheduled_at {post.scheduled_at.isoformat()} is in the past")


# -- media ------------------------------------------------------------------------------------


def _check_media(
    post: PostInput, networks: list[str], platforms: Mapping[str, Platform], out: _Collector
) -> None:
    if not post.media:
        return
    try:
        from sociable.content import media as media_mod
    except ImportError:  # pragma: no cover
        media_mod = None  # type: ignore[assignment]
    for name in networks:
        p = platforms[name]
        if len(post.media) > p.max_media:
            out.add(
                "POST107", name, f"{len(post.media)} attachments; {p.title} takes {p.max_media}"
            )
    for index, ref in enumerate(post.media):
        alt = post.alt_for(index)
        local = "://" not in ref and Path(ref).exists()
        if media_mod is not None and (local or "://" not in ref):
            for name in networks:
                try:
                    found = media_mod.check_media(Path(ref), name, alt=alt, platforms=platforms)
                except UserError:
                    continue  # a network the media checks do not know
                out.extend(found)
            continue
        if not alt.strip():
            for name in networks:
                if platforms[name].alt_text_supported:
                    out.add("POST501", name, f"{ref}: no alt text")


# -- fetching the linked page ---------------------------------------------------------------------

PAGE_CAP = 2 * 1024 * 1024

PagePreview = Callable[[str, str], Any]


def _preview_verdict(result: Any) -> list[str]:
    """Problems named by ``sociable.preview``'s result, whatever its exact shape."""
    if result is None:
        return []
    if isinstance(result, Mapping):
        ready = result.get("share_ready", result.get("ready"))
        problems = result.get("problems") or result.get("findings") or []
    else:
        ready = getattr(result, "share_ready", getattr(result, "ready", None))
        problems = getattr(result, "problems", None) or getattr(result, "findings", None) or []
    messages = []
    for p in problems:
        sev = p.get("severity") if isinstance(p, Mapping) else getattr(p, "severity", None)
        msg = p.get("message") if isinstance(p, Mapping) else getattr(p, "message", str(p))
        if str(getattr(sev, "value", sev)) == "error":
            messages.append(str(msg))
    cards = result.get("cards") if isinstance(result, Mapping) else getattr(result, "cards", None)
    if isinstance(cards, Mapping):
        hidden = [
            str(name)
            for name, card in cards.items()
            if (card.get("shown") if isinstance(card, Mapping) else getattr(card, "shown", True))
            is False
        ]
        if hidden:
            messages.append(f"no link preview on {', '.join(hidden)}")
    if ready is False and not messages:
        messages.append("the page's preview is incomplete")
    return messages


def _basic_preview(html: str, url: str) -> dict[str, Any]:
    """Fallback when the audit's preview is not installed: the tags every card needs."""
    from selectolax.lexbor import LexborHTMLParser

    # Capped like the audit's parse: deep nesting or huge attribute lists are quadratic.
    tree = LexborHTMLParser(bound_markup(html).text)
    found = {}
    for node in tree.css("meta[property], meta[name]"):
        attrs = node.attributes
        key = (attrs.get("property") or attrs.get("name") or "").lower()
        content = attrs.get("content")
        if key and content:
            found[key] = content
    problems = [
        {"severity": "error", "message": f"no {tag}"}
        for tag in ("og:title", "og:image")
        if not found.get(tag)
    ]
    return {"share_ready": not problems, "problems": problems}


def _page_preview() -> PagePreview:
    import sociable

    preview = getattr(sociable, "preview", None)
    return preview if callable(preview) else _basic_preview


def _check_page(url: str, policy: Any, out: _Collector) -> None:
    from sociable import net

    try:
        with net.client(policy) as http, http.stream("GET", url) as response:
            body = net.read_capped_sync(response, PAGE_CAP)
            status = response.status_code
            final = str(response.url)
            charset = response.charset_encoding or "utf-8"
    except Exception as exc:  # any fetch failure is a finding, never a crash
        out.add("POST603", ALL, f"{url}: {exc}")
        return
    if status >= 400:
        out.add("POST603", ALL, f"{url}: HTTP {status}")
        return
    html = body.decode(charset, "replace")
    try:
        problems = _preview_verdict(_page_preview()(html, final))
    except Exception as exc:
        out.add("POST603", ALL, f"{url}: preview failed: {exc}")
        return
    if problems:
        out.add("POST602", ALL, f"{url}: {'; '.join(problems[:3])}")


# -- entry point ----------------------------------------------------------------------------------


def lint_post(
    post: PostInput,
    networks: Iterable[str] | str | None = None,
    *,
    platforms: Mapping[str, Platform] | None = None,
    fetch: bool = False,
    rule_filter: RuleFilter | None = None,
    now: datetime | None = None,
    policy: Any = None,
) -> LintReport:
    """Count and check ``post`` for each network (``networks`` or the post's own).

    Raises :class:`UserError` for an unknown network or when no network is named.
    """
    names = parse_networks(
        list(networks) if networks is not None and not isinstance(networks, str) else networks
    )
    names = names or list(post.networks)
    if not names:
        raise UserError("no network given: use --network x,bluesky,... or `networks:`")
    table = dict(platforms) if platforms is not None else load_platforms()
    text = nfc(post.text)
    out = _Collector(rule_filter)
    report = LintReport()
    has_media = bool(post.media)
    for name in names:
        p = table[name]
        count = count_text(text, p)
        report.networks[name] = count
        if not text.strip() and not has_media:
            out.add("POST103", name, f"no text and no media for {p.title}")
        elif len(post.media) < p.min_media:
            kinds = " or ".join(p.media) or "media"
            have = len(post.media) or "none"
            out.add(
                "POST108",
                name,
                f"{p.title} needs at least {p.min_media} attachment ({kinds}); "
                f"this post has {have}",
            )
        if not count.valid and count.length > count.limit:
            where = (
                f"; cut after “{_snippet(text, count.cut_at)}”" if count.cut_at is not None else ""
            )
            out.add(
                "POST101",
                name,
                f"{count.length} {count.unit}, {-count.remaining} over {p.title}'s "
                f"{count.limit}{where}",
            )
        elif (
            count.max_bytes is not None and count.size_bytes and count.size_bytes > count.max_bytes
        ):
            out.add(
                "POST102",
                name,
                f"{count.size_bytes} UTF-8 bytes; {p.title} takes at most {count.max_bytes}",
            )
        elif count.valid and 0 <= count.remaining < max(5, count.limit // 50) and text:
            out.add("POST106", name, f"{count.remaining} {count.unit} left on {p.title}")
        if post.first_comment:
            comment = count_text(nfc(post.first_comment), p)
            if comment.length > comment.limit:
                out.add(
                    "POST104",
                    name,
                    f"first comment is {comment.length} {comment.unit}; limit {comment.limit}",
                )
    _check_characters(text, out)
    _check_hashtags(text, names, table, out)
    _check_mentions(text, names, table, out)
    links = _check_links(post, text, names, table, out)
    _check_accessibility(text, out)
    _check_quality(post, text, now, out)
    _check_media(post, names, table, out)
    if fetch and links:
        _check_page(links[0], policy, out)
    report.findings = sorted(
        out.items, key=lambda f: (-f.severity.rank, f.code, f.network, f.message)
    )
    return report


def lint_variant(
    variant: Variant,
    *,
    platforms: Mapping[str, Platform] | None = None,
    rule_filter: RuleFilter | None = None,
    now: datetime | None = None,
    threads: bool = False,
    source: LintReport | None = None,
) -> LintReport:
    """Check what will be sent: each post of the variant's thread, the media on the first.

    The count is the first post's. A finding of a later post names it ("post 2/3: ...")
    unless the same check already fired on an earlier one. A variant that adapt had to cut
    with "…" keeps POST101 (POST104 for the first comment), and so does one it split into
    a thread unless ``threads`` allows that: a person decides how to shorten a post, not a
    silent cut or split. With the ``source``'s report, those findings are the source's own
    (how far over, where it would be cut).
    """
    table = dict(platforms) if platforms is not None else load_platforms()
    name = variant.network
    p = table[name]
    parts = variant.thread or [variant.text]
    report = LintReport()
    out = _Collector(rule_filter)
    seen: set[str] = set()
    for index, part in enumerate(parts):
        first = index == 0
        post = PostInput(
            text=part,
            media=variant.media if first else [],
            alt=variant.alt if first else [],
            first_comment=variant.first_comment if first else None,
        )
        found = lint_post(post, [name], platforms=table, rule_filter=rule_filter, now=now)
        if first:
            report.networks = found.networks
        where = f"post {index + 1}/{len(parts)}: " if len(parts) > 1 and not first else ""
        out.extend(
            LintFinding(f.code, f.network, f.severity, f"{where}{f.message}")
            for f in found.findings
            if first or f.code not in seen
        )
        seen |= {f.code for f in found.findings}
    over = [
        (code, message)
        for flag, code, message in (
            (
                variant.shortened or (len(parts) > 1 and not threads),
                "POST101",
                f"too long for one post on {p.title} ({p.text_limit}): shorten it",
            ),
            (
                variant.comment_shortened,
                "POST104",
                f"first comment too long for {p.title} ({p.text_limit}): shorten it",
            ),
        )
        if flag
    ]
    for code, message in over:
        own = [
            f for f in (source.findings if source else []) if (f.code, f.network) == (code, name)
        ]
        if code == "POST101":
            own += [
                f
                for f in (source.findings if source else [])
                if (f.code, f.network) == ("POST102", name)
            ]
        out.extend(own or [LintFinding(code, name, get_rule(code).severity, message)])
    report.findings = sorted(
        out.items, key=lambda f: (-f.severity.rank, f.code, f.network, f.message)
    )
    return report
