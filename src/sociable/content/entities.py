"""Hashtags, mentions and links in a post, per network, and Bluesky's rich-text facets.

X's rules live in :mod:`sociable.content.twitter`. Bluesky needs facets with UTF-8 byte
offsets (``app.bsky.richtext.facet``); Mastodon mentions may carry a host
(``@alice@example.social``). The linter and the adapter read entities from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import regex

from sociable.content import twitter

# Bluesky handle mentions: @ + a domain name (atproto's rich-text detection)
BSKY_MENTION_RE = regex.compile(
    r"(?:^|(?<=[\s(]))@((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
    r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(?![\w.-])",
    regex.VERSION0,
)
# Bluesky tags: '#' + no spaces, not only digits/punctuation; trailing punctuation dropped
_TAG_STOP = r"\s\u00AD\u2060\u200A\u200B\u200C\u200D\u20E2"
BSKY_TAG_RE = regex.compile(
    rf"(?:^|(?<=\s))[#＃](?!\uFE0F)([^{_TAG_STOP}]*[^\d{_TAG_STOP}\p{{P}}][^{_TAG_STOP}]*)",
    regex.VERSION0,
)
BSKY_TAG_MAX = 64
FEDI_MENTION_RE = regex.compile(
    r"(?:^|(?<=[^/\w@]))@([a-zA-Z0-9_]+(?:[a-zA-Z0-9_.\-]*[a-zA-Z0-9_])?)"
    r"(?:@([a-zA-Z0-9](?:[a-zA-Z0-9.\-]*[a-zA-Z0-9])?\.[a-zA-Z]{2,}))?",
    regex.VERSION0,
)


@dataclass(frozen=True, slots=True)
class Mention:
    handle: str  # as written, without the leading @
    start: int
    end: int
    host: str | None = None  # Mastodon: the instance


def hashtags(text: str) -> list[twitter.Entity]:
    """Hashtags as X finds them (the most widely shared definition)."""
    return twitter.extract_hashtags(text)


def links(text: str) -> list[twitter.Entity]:
    return twitter.extract_urls(text)


def mentions(text: str, network: str) -> list[Mention]:
    """Mentions in the shape ``network`` understands."""
    if network == "bluesky":
        return [Mention(m.group(1), m.start(), m.end()) for m in BSKY_MENTION_RE.finditer(text)]
    if network in ("mastodon",):
        in_url = twitter.span_mask(len(text), [(s, e) for _u, s, e in twitter._url_spans(text)])
        found = []
        for m in FEDI_MENTION_RE.finditer(text):
            if in_url[m.start()]:
                continue
            found.append(Mention(m.group(1), m.start(), m.end(), m.group(2)))
        return found
    return [Mention(e.text, e.start, e.end) for e in twitter.extract_mentions(text)]


def _byte_offsets(text: str) -> list[int]:
    """UTF-8 byte offset of each code point index (plus the end)."""
    out = [0]
    total = 0
    for ch in text:
        cp = ord(ch)
        total += 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4
        out.append(total)
    return out


def _bsky_tags(text: str) -> list[tuple[str, int, int]]:
    out = []
    for m in BSKY_TAG_RE.finditer(text):
        tag = m.group(1)
        stripped = regex.sub(r"\p{P}+\Z", "", tag, flags=regex.VERSION0)
        if not stripped or len(stripped) > BSKY_TAG_MAX:
            continue
        out.append((stripped, m.start(), m.start() + 1 + len(stripped)))
    return out


_SCHEME_URL = regex.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def bluesky_facets(
    text: str, resolve_handle: Callable[[str], str | None] | None = None
) -> list[dict[str, Any]]:
    """``app.bsky.richtext.facet`` records for links, mentions and tags (UTF-8 byte offsets).

    Mentions need a DID: ``resolve_handle(handle) -> did`` supplies it (the publisher resolves
    handles); without a resolver, or when it returns None, the mention gets no facet.
    """
    offsets = _byte_offsets(text)
    facets: list[tuple[int, dict[str, Any]]] = []
    taken = bytearray(len(text))
    for ent in twitter.extract_urls(text):
        uri = ent.text if "://" in ent.text else f"https://{ent.text}"
        facets.append((ent.start, _facet(offsets, ent.start, ent.end, "link", uri=uri)))
        taken[ent.start : ent.end] = b"\x01" * (ent.end - ent.start)
    # Bluesky's own client links any explicit http(s):// URL, known TLD or not.
    for match in _SCHEME_URL.finditer(text):
        s, e = match.span()
        if not any(taken[s:e]):
            facets.append((s, _facet(offsets, s, e, "link", uri=match.group())))
            taken[s:e] = b"\x01" * (e - s)
    for m in mentions(text, "bluesky"):
        if taken[m.start]:
            continue
        did = resolve_handle(m.handle) if resolve_handle else None
        if did:
            facets.append((m.start, _facet(offsets, m.start, m.end, "mention", did=did)))
            taken[m.start : m.end] = b"\x01" * (m.end - m.start)
    for tag, s, e in _bsky_tags(text):
        if taken[s]:
            continue
        facets.append((s, _facet(offsets, s, e, "tag", tag=tag)))
    return [f for _s, f in sorted(facets, key=lambda x: x[0])]


def _facet(offsets: list[int], start: int, end: int, kind: str, **value: str) -> dict[str, Any]:
    return {
        "index": {"byteStart": offsets[start], "byteEnd": offsets[end]},
        "features": [{"$type": f"app.bsky.richtext.facet#{kind}", **value}],
    }
