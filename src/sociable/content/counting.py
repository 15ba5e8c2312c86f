"""How long a post is on each network, counted the way that network counts it.

Text is NFC-normalised first (X counts on NFC; we send NFC everywhere), then measured in the
network's unit (:class:`~sociable.content.platforms.Counting`). The result says what is left
and, when the text is too long, the code point offset where the network would cut it.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import regex

from sociable.content import twitter
from sociable.content.platforms import Counting, Platform

GRAPHEME_RE = regex.compile(r"\X", regex.VERSION0)
# Mastodon's mention shape: @user@host counts as @user (Account::MENTION_RE)
MASTODON_MENTION_RE = regex.compile(
    r"(?<=^|[^/\w])@([a-z0-9_]+(?:[a-z0-9_.\-]+[a-z0-9_]+)?)(@[\w.\-]+[\w]+)",
    regex.IGNORECASE | regex.VERSION0,
)


@dataclass(frozen=True, slots=True)
class NetworkCount:
    """The length of a text on one network and what is left of its limit."""

    network: str
    length: int
    limit: int
    remaining: int
    valid: bool
    # Code point offset into the NFC text where the network would cut it (None: it fits).
    cut_at: int | None = None
    unit: str = "characters"
    # A second cap (Bluesky's 3000 UTF-8 bytes): the size and its limit.
    size_bytes: int | None = None
    max_bytes: int | None = None

    def as_dict(self) -> dict[str, Any]:
        data = {
            "length": self.length,
            "limit": self.limit,
            "remaining": self.remaining,
            "valid": self.valid,
            "cut_at": self.cut_at,
            "unit": self.unit,
        }
        if self.max_bytes is not None:
            data["bytes"] = self.size_bytes
            data["max_bytes"] = self.max_bytes
        return data


def nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def graphemes(text: str) -> int:
    """Extended grapheme clusters (what a person sees as characters)."""
    if text.isascii() and "\r\n" not in text:
        return len(text)
    return _graphemes(text) if len(text) > 1000 else len(GRAPHEME_RE.findall(text))


@lru_cache(maxsize=8)
def _graphemes(text: str) -> int:
    """Long texts are counted for several networks; segment them once."""
    return len(GRAPHEME_RE.findall(text))


def utf16_units(text: str) -> int:
    return twitter.utf16_length(text)


def utf8_bytes(text: str) -> int:
    """UTF-8 size; a lone surrogate (from bad JSON) counts as 3 bytes, as it would be sent."""
    return len(text.encode("utf-8", "surrogatepass"))


def _x_config(platform: Platform) -> twitter.TwitterConfig:
    base = twitter.CONFIG_V3
    return dataclasses.replace(
        base,
        max_weighted_length=platform.text_limit,
        transformed_url_length=platform.url_length
        if platform.url_length is not None
        else base.transformed_url_length,
    )


# A special is (start, end, weight): a span that counts as a fixed weight (a URL as 23,
# Mastodon's @user@host as @user); the text between specials counts in the network's unit.
Special = tuple[int, int, int]


def _unit(platform: Platform) -> Counting:
    return Counting.GRAPHEMES if platform.counting is Counting.MASTODON else platform.counting


def measure(text: str, unit: Counting) -> int:
    """The length of ``text`` in ``unit`` (no URL or mention rules)."""
    if unit is Counting.UTF16:
        return twitter.utf16_length(text)
    if unit is Counting.UTF8_BYTES:
        return utf8_bytes(text)
    if unit is Counting.CODEPOINTS:
        return len(text)
    if unit is Counting.GRAPHEMES_EMOJI_BYTES and not text.isascii():
        extra = sum(utf8_bytes(m.group(0)) - 1 for m in twitter.EMOJI_RE.finditer(text))
        return graphemes(text) + extra
    return graphemes(text)


def _specials(text: str, platform: Platform) -> list[Special]:
    out: list[Special] = []
    if platform.counting is Counting.MASTODON:
        url_len = platform.url_length if platform.url_length is not None else 23
        for url, s, e in twitter._url_spans(text):
            if url.lower().startswith(("http://", "https://")):
                out.append((s, e, url_len))
        in_url = twitter.span_mask(len(text), out)
        for m in MASTODON_MENTION_RE.finditer(text):
            if not in_url[m.start()]:
                out.append((m.start(), m.end(), graphemes("@" + m.group(1))))
    elif platform.url_length is not None:
        out = [(s, e, platform.url_length) for _u, s, e in twitter._url_spans(text)]
    return sorted(out)


def _pieces_of(text: str, unit: Counting) -> list[tuple[int, int]]:
    if unit in (Counting.GRAPHEMES, Counting.MASTODON):
        return [(m.start(), m.end()) for m in GRAPHEME_RE.finditer(text)]
    return [(i, i + 1) for i in range(len(text))]


def _cut_in_gap(gap: str, offset: int, unit: Counting, room: int) -> int:
    """The offset of the first unit of ``gap`` that does not fit in ``room``."""
    if unit is Counting.CODEPOINTS:
        return offset + max(0, room)
    used = 0
    if unit in (Counting.GRAPHEMES, Counting.MASTODON):
        for count, m in enumerate(GRAPHEME_RE.finditer(gap)):
            if count >= room:
                return offset + m.start()
        return offset + len(gap)
    if unit is Counting.GRAPHEMES_EMOJI_BYTES:
        for m in GRAPHEME_RE.finditer(gap):
            used += measure(m.group(0), unit)
            if used > room:
                return offset + m.start()
        return offset + len(gap)
    for i, ch in enumerate(gap):
        used += measure(ch, unit)
        if used > room:
            return offset + i
    return offset + len(gap)


def _length_and_cut(text: str, platform: Platform) -> tuple[int, int | None]:
    unit = _unit(platform)
    limit = platform.text_limit
    specials = _specials(text, platform)
    total = 0
    pos = 0
    for s, e, w in specials:
        total += measure(text[pos:s], unit) + w
        pos = e
    total += measure(text[pos:], unit)
    if total <= limit:
        return total, None
    used = 0
    pos = 0
    for s, e, w in [*specials, (len(text), len(text), 0)]:
        gap = text[pos:s]
        size = measure(gap, unit)
        if used + size > limit:
            return total, _cut_in_gap(gap, pos, unit, limit - used)
        used += size
        if used + w > limit:
            return total, s
        used += w
        pos = e
    return total, len(text)


def count_text(text: str, platform: Platform) -> NetworkCount:
    """Measure ``text`` (normalised to NFC) as ``platform`` does."""
    text = nfc(text)
    limit = platform.text_limit
    if platform.counting is Counting.X_WEIGHTED:
        result = twitter.parse_tweet(text, _x_config(platform))
        length = result.weighted_length
        fits = length <= limit and (result.valid or not text)
        cut = None if fits else twitter.cut_from_result(text, result)
        if cut is None and not fits:
            cut = len(text)
        return NetworkCount(platform.name, length, limit, limit - length, fits, cut, "weighted")
    length, cut = _length_and_cut(text, platform)
    valid = length <= limit
    size = max_bytes = None
    if platform.max_bytes is not None:
        max_bytes = platform.max_bytes
        size = utf8_bytes(text)
        if size > max_bytes:
            valid = False
            byte_cut = _byte_cut(text, max_bytes)
            cut = byte_cut if cut is None else min(cut, byte_cut)
    unit = {
        Counting.GRAPHEMES: "graphemes",
        Counting.MASTODON: "graphemes",
        Counting.GRAPHEMES_EMOJI_BYTES: "characters",
        Counting.CODEPOINTS: "code points",
        Counting.UTF16: "UTF-16 units",
        Counting.UTF8_BYTES: "bytes",
    }.get(platform.counting, "characters")
    return NetworkCount(
        platform.name, length, limit, limit - length, valid, cut, unit, size, max_bytes
    )


def _byte_cut(text: str, max_bytes: int) -> int:
    """The first grapheme start whose grapheme would pass ``max_bytes``."""
    total = 0
    # graphemes take at least one byte, so no cut lies past max_bytes code points
    for m in GRAPHEME_RE.finditer(text, 0, max_bytes + 1):
        total += utf8_bytes(m.group(0))
        if total > max_bytes:
            return m.start()
    return len(text)
