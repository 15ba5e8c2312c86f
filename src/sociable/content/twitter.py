"""X (Twitter) text rules: weighted length (twitter-text config v3) and entity extraction.

Written from the twitter-text specification (config/v3.json, the conformance suite and the
documented algorithm) so that our counts agree with X's composer: text is NFC-normalised;
each URL the extractor finds counts ``transformedURLLength`` (23); with emoji parsing (v3)
each emoji sequence counts as ``defaultWeight`` (2); every other code point has the weight
of its range (1 for Latin and general punctuation, 2 for CJK and most symbols).

Entities (hashtags, mentions, lists, cashtags, URLs) carry UTF-16 indices, as X's API and
the conformance suite do, and code point indices for Python slicing.

The regular expressions follow twitter-text's regexp/ definitions; the differences a
reimplementation brings are listed in benchmarks/README.md (Posts: X counting).
"""

from __future__ import annotations

import itertools
import json
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import regex

# -- configuration (twitter-text config/v*.json) --------------------------------------------


@dataclass(frozen=True, slots=True)
class TwitterConfig:
    version: int
    max_weighted_length: int
    scale: int
    default_weight: int
    transformed_url_length: int
    ranges: tuple[tuple[int, int, int], ...]  # (start, end inclusive, weight)
    emoji_parsing: bool


_LATIN_RANGES = (
    (0x0000, 0x10FF, 100),
    (0x2000, 0x200D, 100),
    (0x2010, 0x201F, 100),
    (0x2032, 0x2037, 100),
)
CONFIG_V1 = TwitterConfig(1, 140, 1, 1, 23, (), False)
CONFIG_V2 = TwitterConfig(2, 280, 100, 200, 23, _LATIN_RANGES, False)
CONFIG_V3 = TwitterConfig(3, 280, 100, 200, 23, _LATIN_RANGES, True)
CONFIGS = {1: CONFIG_V1, 2: CONFIG_V2, 3: CONFIG_V3}


def config_from_json(data: dict[str, Any]) -> TwitterConfig:
    """A config from twitter-text's config/v*.json shape."""
    return TwitterConfig(
        version=int(data.get("version", 3)),
        max_weighted_length=int(data["maxWeightedTweetLength"]),
        scale=int(data["scale"]),
        default_weight=int(data["defaultWeight"]),
        transformed_url_length=int(data["transformedURLLength"]),
        ranges=tuple((int(r["start"]), int(r["end"]), int(r["weight"])) for r in data["ranges"]),
        emoji_parsing=bool(data.get("emojiParsingEnabled", False)),
    )


# -- character classes ----------------------------------------------------------------------

_SPACES = r"\x09-\x0D\x20\x85\xA0\u1680\u180E\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
_INVALID = r"\uFFFE\uFEFF\uFFFF"
_INVALID_GROUP = r"\uFFFE\uFEFF\uFFFF\u202A-\u202E"
_DIRECTIONAL = r"\u202A-\u202E\u061C\u200E\u200F\u2066\u2067\u2068\u2069"
_PUNCT = r"!'#%&'()*+,\\\-./:;<=>?@\[\]\^_{|}~$"
_LATIN_ACCENTS = (
    r"\xC0-\xD6\xD8-\xF6\xF8-\xFF\u0100-\u024F\u0253\u0254\u0256\u0257\u0259\u025B\u0263"
    r"\u0268\u026F\u0272\u0289\u028B\u02BB\u0300-\u036F\u1E00-\u1EFF"
)
_CYRILLIC = r"\u0400-\u04FF"
_AT = "@＠"
_HASH = "#＃"


@lru_cache(maxsize=1)
def _tlds() -> tuple[list[str], list[str]]:
    data = json.loads(resources.files("sociable.content").joinpath("data/tlds.json").read_text())
    return list(data["generic"]), list(data["country"])


def _alternation(words: list[str]) -> str:
    """A regex matching any of ``words``, as a trie (``c(?:o(?:m)?|at)``).

    A flat alternation of 1,500 TLDs is tried word by word; the trie shares prefixes, which
    halves the cost of URL extraction.
    """
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        ends = "" in node
        alts = [regex.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        if len(alts) == 1 and not ends:
            return alts[0]
        return f"(?:{'|'.join(alts)}){'?' if ends else ''}"

    return emit(root)


@lru_cache(maxsize=1)
def _url_regexes() -> dict[str, Any]:
    gtld, cctld = _tlds()
    tld_end = r"(?=[^0-9a-zA-Z@+\-]|\Z)"
    valid_gtld = f"(?:(?:{_alternation(gtld)}){tld_end})"
    valid_cctld = f"(?:(?:{_alternation(cctld)}){tld_end})"
    punycode = r"(?:xn--[\-0-9a-z]+)"
    domain_char = f"[^{_PUNCT}{_SPACES}{_INVALID_GROUP}]"
    subdomain = f"(?:(?:{domain_char}(?:[_\\-]|{domain_char})*)?{domain_char}\\.)"
    domain_name = f"(?:(?:{domain_char}(?:-|{domain_char})*)?{domain_char}\\.)"
    domain = f"(?:{subdomain}*{domain_name}(?:{valid_gtld}|{valid_cctld}|{punycode}))"
    path_char = f"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\\[\\]\\-\\u2013_~@|&{_LATIN_ACCENTS}]"
    parens = f"\\((?:{path_char}+|(?:{path_char}*\\({path_char}+\\){path_char}*))\\)"
    path_end = f"(?:[+\\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]|(?:{parens}))"
    path = f"(?:(?:{path_char}*(?:{parens}{path_char}*)*{path_end})|(?:@{path_char}+/))"
    query_chars = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
    query_end = r"[a-z0-9\-_&=#/]"
    preceding = f"(?:[^A-Za-z0-9@＠$#＃{_INVALID_GROUP}]|[{_DIRECTIONAL}]|^)"
    flags = regex.IGNORECASE | regex.VERSION0
    return {
        "url": regex.compile(
            f"({preceding})"  # 1 preceding
            f"((https?://)?"  # 2 url, 3 protocol
            f"({domain})"  # 4 domain
            r"(?::([0-9]+))?"  # 5 port
            f"(/{path}*)?"  # 6 path
            f"(\\?{query_chars}*{query_end})?)",  # 7 query
            flags,
        ),
        "ascii_domain": regex.compile(
            f"(?:(?:[\\-a-z0-9{_LATIN_ACCENTS}]+)\\.)+(?:{valid_gtld}|{valid_cctld}|{punycode})",
            flags,
        ),
        "tco": regex.compile(
            f"^https?://t\\.co/([a-z0-9]+)(?:\\?{query_chars}*{query_end})?", flags
        ),
    }


_LETTER_MARK = r"\p{L}\p{M}"
_NUMERAL = r"\p{Nd}"
_HASHTAG_SPECIAL = (
    r"_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0\u30fb\u3003"
    r"\u0f0b\u0f0c\xb7"
)
_HT_ALNUM = f"[{_LETTER_MARK}{_NUMERAL}{_HASHTAG_SPECIAL}]"
_HT_ALPHA = f"[{_LETTER_MARK}]"
HASHTAG_RE = regex.compile(
    f"(^|\\uFE0E|\\uFE0F|(?!{_HT_ALNUM}|&).|(?=\\Z))"  # boundary (consumes one char)
    f"([{_HASH}])(?!\\uFE0F|\\u20E3)"
    f"({_HT_ALNUM}*{_HT_ALPHA}{_HT_ALNUM}*)",
    regex.IGNORECASE | regex.DOTALL | regex.VERSION0,
)
_END_HASHTAG = regex.compile(f"[{_HASH}]|://")
MENTION_RE = regex.compile(
    r"((?:^|[^a-zA-Z0-9_!#$%&*@＠]|(?:^|[^a-zA-Z0-9_+~.\-])(?:rt|RT|rT|Rt):?))"
    f"([{_AT}])"
    r"([a-zA-Z0-9_]{1,20})"
    r"(/[a-zA-Z][a-zA-Z0-9_\-]{0,24})?",
    regex.VERSION0,
)
_END_MENTION = regex.compile(f"[{_AT}]|[{_LATIN_ACCENTS}]|://")
REPLY_RE = regex.compile(f"^(?:[{_SPACES}])*[{_AT}]([a-zA-Z0-9_]{{1,20}})", regex.VERSION0)
CASHTAG_RE = regex.compile(
    f"(^|[{_SPACES}])(\\$)([a-z]{{1,6}}(?:[._][a-z]{{1,2}})?)(?=\\Z|\\s|[{_PUNCT}])",
    regex.IGNORECASE | regex.VERSION0,
)

# An emoji sequence as twemoji-parser finds them: keycaps, flags, tag sequences, modifier
# and ZWJ sequences. (c) and (r) only with U+FE0F, as text they are Latin-1.
EMOJI_RE = regex.compile(
    r"[#*0-9]\uFE0F?\u20E3"
    r"|\p{Regional_Indicator}\p{Regional_Indicator}"
    r"|(?:[\u00A9\u00AE]\uFE0F"
    r"|(?![\u00A9\u00AE])\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?)"
    r"(?:[\U000E0020-\U000E007E]+\U000E007F)?"
    r"(?:\u200D(?:\p{Extended_Pictographic}|\p{Regional_Indicator})"
    r"(?:\uFE0F|\p{Emoji_Modifier})?)*",
    regex.VERSION0,
)

MAX_URL_LENGTH = 4096
MAX_TCO_SLUG_LENGTH = 40
MAX_LABEL_LENGTH = 63


# -- entities --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entity:
    """A hashtag, mention, list, cashtag or URL found in the text.

    ``start``/``end`` are code point offsets into the text given (slice with them);
    ``indices`` are UTF-16 offsets ``[start, end)`` as X reports them.
    """

    kind: str  # "url", "hashtag", "mention", "list", "cashtag"
    text: str  # url, tag without '#', screen name without '@', cashtag without '$'
    start: int
    end: int
    indices: tuple[int, int]
    list_slug: str = ""


def _utf16_len(text: str) -> int:
    return (
        len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF) if not text.isascii() else len(text)
    )


class _Utf16:
    """Maps code point offsets to UTF-16 offsets for one text."""

    def __init__(self, text: str) -> None:
        self.astral = not text.isascii() and any(ord(ch) > 0xFFFF for ch in text)
        if self.astral:
            widths = (2 if ord(ch) > 0xFFFF else 1 for ch in text)
            self.table = [0, *itertools.accumulate(widths)]

    def __call__(self, i: int) -> int:
        return self.table[i] if self.astral else i


def _domain_ok(domain: str) -> bool:
    """twitter-text's light IDNA check: every label 1-63 characters once punycoded."""
    if domain[:4].lower() == "xn--" and not _url_regexes()["ascii_domain"].search(domain):
        return False
    for label in domain.split("."):
        if label.isascii():
            size = len(label)
        else:
            try:
                size = 4 + len(label.encode("punycode"))
            except UnicodeError:
                return False
        if size < 1 or size > MAX_LABEL_LENGTH:
            return False
    return True


def span_mask(length: int, spans: Any) -> bytearray:
    """A byte per code point, 1 where one of ``spans`` ((start, end, ...)) covers it."""
    mask = bytearray(length)
    for span in spans:
        start, end = span[0], span[1]
        mask[start:end] = b"\x01" * (end - start)
    return mask


def _url_spans(text: str) -> list[tuple[str, int, int]]:
    """(url, start, end) in code points, like twitter-text's extractUrlsWithIndices."""
    if "." not in text:
        return []
    return list(_url_spans_cached(text))


@lru_cache(maxsize=16)
def _url_spans_cached(text: str) -> tuple[tuple[str, int, int], ...]:
    """Lint and count ask for the same text's URLs several times; find them once."""
    return tuple(_find_url_spans(text))


_TOKEN_RE = regex.compile(f"[^{_SPACES}]+", regex.VERSION0)


# A whole whitespace-delimited token that is a plain t.co link (most links in real posts):
# the full pattern would match exactly this token, so skip it.
_TCO_TOKEN = regex.compile(r"https?://t\.co/[a-zA-Z0-9]{1,40}", regex.VERSION0)


def _find_url_spans(text: str) -> list[tuple[str, int, int]]:
    rx = _url_regexes()
    urls: list[tuple[str, int, int]] = []
    for token in _TOKEN_RE.finditer(text):
        start, end = token.span()
        if "." not in text[start:end]:
            continue
        if _TCO_TOKEN.fullmatch(text, start, end):
            urls.append((text[start:end], start, end))
            continue
        _urls_in(rx, text, max(0, start - 1), end, urls)
    return [(u, s, e) for u, s, e in urls]  # "last" entries above are lists


def _urls_in(
    rx: dict[str, Any], text: str, pos: int, endpos: int, urls: list[tuple[str, int, int]]
) -> None:
    """Append the URLs the pattern finds in ``text[pos:endpos]`` to ``urls``."""
    for m in rx["url"].finditer(text, pos, endpos):
        before, url, protocol, domain, path = m.group(1, 2, 3, 4, 6)
        start, end = m.start(2), m.end(2)
        prot_len = len(protocol) if protocol else len("https://")
        if not _domain_ok(domain) or prot_len + _utf16_len(url) > MAX_URL_LENGTH:
            continue
        if not protocol:
            if before and before[-1] in "-_./":
                continue
            last: list[Any] | None = None
            cursor = 0
            for am in rx["ascii_domain"].finditer(domain):
                ascii_domain = am.group(0)
                a_start = domain.find(ascii_domain, cursor)
                cursor = a_start + len(ascii_domain)
                last = [ascii_domain, start + a_start, start + cursor]
                urls.append(last)  # type: ignore[arg-type]
            if last is None:
                continue
            if path:
                last[0] = url.replace(domain, last[0], 1)
                last[2] = end
        else:
            tco = rx["tco"].match(url)
            if tco:
                if len(tco.group(1)) > MAX_TCO_SLUG_LENGTH:
                    continue
                url = tco.group(0)
                end = start + len(url)
            urls.append([url, start, end])  # type: ignore[arg-type]


def extract_urls(text: str) -> list[Entity]:
    conv = _Utf16(text)
    return [Entity("url", url, s, e, (conv(s), conv(e))) for url, s, e in _url_spans(text)]


def _raw_hashtags(text: str) -> list[Entity]:
    if "#" not in text and "＃" not in text:
        return []
    conv = _Utf16(text)
    out = []
    for m in HASHTAG_RE.finditer(text):
        if _END_HASHTAG.match(text, m.end()):
            continue
        s = m.start(2)
        e = m.end(3)
        out.append(Entity("hashtag", m.group(3), s, e, (conv(s), conv(e))))
    return out


def _remove_overlaps(entities: list[Entity]) -> list[Entity]:
    out: list[Entity] = []
    for ent in sorted(entities, key=lambda x: x.start):
        if out and ent.start < out[-1].end:
            continue
        out.append(ent)
    return out


def extract_hashtags(text: str, *, check_url_overlap: bool = True) -> list[Entity]:
    tags = _raw_hashtags(text)
    if tags and check_url_overlap:
        urls = extract_urls(text)
        if urls:
            tags = [e for e in _remove_overlaps(tags + urls) if e.kind == "hashtag"]
    return tags


def extract_mentions_or_lists(text: str) -> list[Entity]:
    if "@" not in text and "＠" not in text:
        return []
    conv = _Utf16(text)
    out = []
    for m in MENTION_RE.finditer(text):
        if _END_MENTION.match(text, m.end()):
            continue
        slug = m.group(4) or ""
        s = m.start(2)
        e = m.end(3) + len(slug)
        kind = "list" if slug else "mention"
        out.append(Entity(kind, m.group(3), s, e, (conv(s), conv(e)), list_slug=slug))
    return out


def extract_mentions(text: str) -> list[Entity]:
    return [e for e in extract_mentions_or_lists(text) if not e.list_slug]


def extract_reply(text: str) -> str | None:
    """The screen name a post replies to (a leading @mention), or None."""
    m = REPLY_RE.match(text)
    if not m or _END_MENTION.match(text, m.end()):
        return None
    return m.group(1)


def extract_cashtags(text: str) -> list[Entity]:
    if "$" not in text:
        return []
    conv = _Utf16(text)
    out = []
    for m in CASHTAG_RE.finditer(text):
        s, e = m.start(2), m.end(3)
        out.append(Entity("cashtag", m.group(3), s, e, (conv(s), conv(e))))
    return out


def extract_entities(text: str) -> list[Entity]:
    """URLs, hashtags, mentions/lists and cashtags, overlaps removed, in text order."""
    found = (
        extract_urls(text)
        + _raw_hashtags(text)
        + extract_mentions_or_lists(text)
        + extract_cashtags(text)
    )
    return _remove_overlaps(found)


# -- weighted length -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TweetLength:
    """twitter-text's parseTweet result. Range ends are inclusive UTF-16 indices."""

    weighted_length: int
    valid: bool
    permillage: int
    valid_range_start: int
    valid_range_end: int
    display_range_start: int
    display_range_end: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "weightedLength": self.weighted_length,
            "valid": self.valid,
            "permillage": self.permillage,
            "validRangeStart": self.valid_range_start,
            "validRangeEnd": self.valid_range_end,
            "displayRangeStart": self.display_range_start,
            "displayRangeEnd": self.display_range_end,
        }


@lru_cache(maxsize=16)
def _range_classes(ranges: tuple[tuple[int, int, int], ...]) -> list[tuple[Any, int]]:
    """One compiled character class per weight, for counting in C rather than in Python."""
    by_weight: dict[int, list[str]] = {}
    for lo, hi, weight in ranges:
        by_weight.setdefault(weight, []).append(f"\\U{lo:08x}-\\U{hi:08x}")
    return [(regex.compile(f"[{''.join(parts)}]"), w) for w, parts in by_weight.items()]


def _base_weight(text: str, config: TwitterConfig) -> int:
    """Sum of every code point's range weight (no URL or emoji rules)."""
    if not text:
        return 0
    if (
        text.isascii()
        and config.ranges
        and config.ranges[0][0] == 0
        and config.ranges[0][1] >= 0x7F
    ):
        return len(text) * config.ranges[0][2]
    total = 0
    rest = len(text)
    for rx, weight in _range_classes(config.ranges):
        n = len(rx.findall(text))
        total += n * weight
        rest -= n
    return total + rest * config.default_weight


def _char_weight(ch: str, config: TwitterConfig) -> int:
    cp = ord(ch)
    for lo, hi, weight in config.ranges:
        if lo <= cp <= hi:
            return weight
    return config.default_weight


def utf16_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) // 2


_INVALID_CHARS = frozenset("\ufffe\ufeff\uffff")
_INVALID_RE = regex.compile("[\ufffe\ufeff\uffff]")


def _valid_end(
    norm: str,
    urls: dict[int, int],
    emoji: dict[int, int],
    config: TwitterConfig,
    limit: int,
) -> int:
    """twitter-text's validRangeEnd (inclusive UTF-16 index into ``norm``).

    Walks entity by entity and stops once the text is over the limit or invalid, so the
    cost is bounded by the limit, not by the length of the text.
    """
    weighted = 0
    valid_end = 0
    u16 = 0
    i = 0
    n = len(norm)
    url_weight = config.transformed_url_length * config.scale
    while i < n:
        end = urls.get(i)
        if end is not None:
            weighted += url_weight
        else:
            end = emoji.get(i)
            if end is not None:
                weighted += config.default_weight
            else:
                weighted += _char_weight(norm[i], config)
                end = i + 1
        span = norm[i:end]
        last_unit = u16 + utf16_length(span) - 1
        if span[-1] in _INVALID_CHARS or weighted > limit:
            break
        valid_end = last_unit
        u16 = last_unit + 1
        i = end
    return valid_end


def parse_tweet(text: str, config: TwitterConfig = CONFIG_V3) -> TweetLength:
    """Weighted length and validity of ``text`` on X, exactly as twitter-text computes it."""
    norm = text if text.isascii() else unicodedata.normalize("NFC", text)
    scale = config.scale
    limit = config.max_weighted_length * scale
    spans = _url_spans(norm) if "." in norm else []
    urls = {s: e for _u, s, e in spans}
    weighted = _base_weight(norm, config)
    for _u, s, e in spans:
        weighted += config.transformed_url_length * scale - _base_weight(norm[s:e], config)
    emoji: dict[int, int] = {}
    if config.emoji_parsing and not norm.isascii():
        in_url = span_mask(len(norm), urls.items()) if urls else None
        for m in EMOJI_RE.finditer(norm):
            s, e = m.start(), m.end()
            if in_url is not None and in_url[s]:
                continue
            emoji[s] = e
            weighted += config.default_weight - _base_weight(m.group(0), config)
    invalid = not norm.isascii() and _INVALID_RE.search(norm) is not None
    if invalid or weighted > limit:
        valid_end = _valid_end(norm, urls, emoji, config, limit)
    else:
        valid_end = max(0, utf16_length(norm) - 1)
    length = weighted / scale
    valid = not invalid and 0 < weighted <= limit
    permillage = int(length / config.max_weighted_length * 1000)
    text16 = utf16_length(text)
    norm16 = utf16_length(norm)
    return TweetLength(
        weighted_length=int(length),
        valid=valid,
        permillage=permillage,
        valid_range_start=0,
        valid_range_end=valid_end + (text16 - norm16),
        display_range_start=0,
        display_range_end=text16 - 1 if text else 0,
    )


def weighted_length(text: str, config: TwitterConfig = CONFIG_V3) -> int:
    return parse_tweet(text, config).weighted_length


def is_valid_hashtag(tag: str) -> bool:
    """``#tag`` is exactly one hashtag."""
    found = extract_hashtags(tag)
    return len(found) == 1 and found[0].start == 0 and found[0].end == len(tag)


def is_valid_username(name: str) -> bool:
    found = extract_mentions_or_lists(name)
    return len(found) == 1 and found[0].kind == "mention" and found[0].end == len(name)


def is_valid_list(name: str) -> bool:
    found = extract_mentions_or_lists(name)
    return (
        len(found) == 1 and found[0].kind == "list" and found[0].start == 0
        and found[0].end == len(name)
    )  # fmt: skip


def is_valid_url(url: str, *, require_protocol: bool = True) -> bool:
    """A URL X would link, as a whole (twitter-text's isValidUrl is looser; see tests)."""
    if require_protocol and not regex.match(r"https?://", url, regex.IGNORECASE):
        return False
    spans = _url_spans(url)
    return len(spans) == 1 and spans[0][1] == 0 and spans[0][2] == len(url)


def cut_index(text: str, config: TwitterConfig = CONFIG_V3) -> int | None:
    """The code point offset where X would cut ``text`` (None when it fits)."""
    return cut_from_result(text, parse_tweet(text, config))


def cut_from_result(text: str, result: TweetLength) -> int | None:
    """Where to cut ``text`` given its :func:`parse_tweet` result (None when valid)."""
    if result.valid or not text:
        return None
    target = result.valid_range_end + 1  # inclusive UTF-16 end -> exclusive
    if result.valid_range_end == 0 and not _fits_first(text, result):
        return 0
    units = 0
    for i, ch in enumerate(text):
        if units >= target:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


def _fits_first(text: str, result: TweetLength) -> bool:
    """validRangeEnd 0 is ambiguous: the first character fits, or nothing does."""
    return result.weighted_length > 0 and text[0] not in _INVALID_CHARS
