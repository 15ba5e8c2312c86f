"""How long a post is on each network, counted the way that network counts it.

Text is NFC-normalised first (X counts on NFC; we send NFC everywhere), then measured in the
network's unit (:class:`~sociable.content.platforms.Counting`). The result says what is left
and, when the text is too long, the code point offset where the network would cut it.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass
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
    return len(text) if text.isascii() and "\r\n" not in text else len(GRAPHEME_RE.findall(text))


def utf16_units(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


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


# A segment is (start, end, weight): its code point span in the text and what it counts.
Segment = tuple[int, int, int]


def _unit_weight(unit: Counting, piece: str) -> int:
    if unit is Counting.UTF16:
        return utf16_units(piece)
    if unit is Counting.UTF8_BYTES:
        return utf8_bytes(piece)
    if unit is Counting.CODEPOINTS:
        return len(piece)
    return 1  # a grapheme


def _segments(text: str, platform: Platform) -> list[Segment]:
    unit = platform.counting
    special: dict[int, tuple[int, int]] = {}  # start -> (end, weight)
    if unit is Counting.MASTODON:
        url_len = platform.url_length if platform.url_length is not None else 23
        for url, s, e in twitter._url_spans(text):
            if url.lower().startswith(("http://", "https://")):
                special[s] = (e, url_len)
        for m in MASTODON_MENTION_RE.finditer(text):
            if m.start() not in special:
                # "@user" counts its graphemes, "@host" nothing
                special[m.start()] = (m.end(), graphemes("@" + m.group(1)))
        unit = Counting.GRAPHEMES
    elif platform.url_length is not None:
        for _url, s, e in twitter._url_spans(text):
            special[s] = (e, platform.url_length)
    out: list[Segment] = []
    if unit is Counting.GRAPHEMES:
        pieces = [(m.start(), m.end()) for m in GRAPHEME_RE.finditer(text)]
    else:
        pieces = [(i, i + 1) for i in range(len(text))]
    skip_until = 0
    for s, e in pieces:
        if s < skip_until:
            continue
        hit = special.get(s)
        if hit is not None:
            out.append((s, hit[0], hit[1]))
            skip_until = hit[0]
            continue
        out.append((s, e, _unit_weight(unit, text[s:e])))
    return out


def _cut(segments: list[Segment], limit: int) -> int | None:
    total = 0
    for s, _e, w in segments:
        total += w
        if total > limit:
            return s
    return None


def count_text(text: str, platform: Platform) -> NetworkCount:
    """Measure ``text`` (normalised to NFC) as ``platform`` does."""
    text = nfc(text)
    limit = platform.text_limit
    if platform.counting is Counting.X_WEIGHTED:
        cfg = _x_config(platform)
        result = twitter.parse_tweet(text, cfg)
        length = result.weighted_length
        fits = length <= limit and (result.valid or not text)
        cut = None if fits else twitter.cut_index(text, cfg)
        if cut is None and not fits:
            cut = len(text)
        return NetworkCount(platform.name, length, limit, limit - length, fits, cut, "weighted")
    simple = platform.url_length is None and platform.counting is not Counting.MASTODON
    if simple and text.isascii() and "\r\n" not in text:
        length = len(text)  # every unit is one code point here
        segments: list[Segment] | None = None
    else:
        segments = _segments(text, platform)
        length = sum(w for _s, _e, w in segments)
    cut = None
    if length > limit:
        cut = _cut(segments, limit) if segments is not None else limit
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
    for m in GRAPHEME_RE.finditer(text):
        total += utf8_bytes(m.group(0))
        if total > max_bytes:
            return m.start()
    return len(text)
