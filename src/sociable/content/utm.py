"""UTM tags on links, following Google Analytics 4 conventions.

GA4 treats ``Facebook`` and ``facebook`` as two sources, so every value is lowercased;
spaces become ``_`` so reports do not split on ``%20`` versus ``+``. The rest of the URL
(its other query parameters, their order and encoding, the fragment) is kept byte for byte,
because landing pages and their analytics may depend on it.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from sociable.errors import UserError

#: The five UTM parameters GA4 reads, in the order we write them.
UTM_KEYS: tuple[str, ...] = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")

#: Mediums GA4's default channel grouping understands for social traffic.
SOCIAL_MEDIUMS: frozenset[str] = frozenset({"social", "paid_social", "organic_social"})

MAX_VALUE_LENGTH = 100  # GA4 truncates campaign dimension values at 100 characters
MAX_URL_LENGTH = 2048

_SPACES = re.compile(r"\s+")


def normalize_utm_value(value: str, *, field: str = "utm value") -> str:
    """Lowercase, NFC, trimmed, inner whitespace as ``_``; raise UserError if unusable."""
    if not isinstance(value, str):
        raise UserError(f"must be text, got {type(value).__name__}", where=field)
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        raise UserError("must not be empty", where=field)
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn") and not ch.isspace():
            raise UserError(f"contains a control or invalid character {ch!r}", where=field)
    text = _SPACES.sub("_", text).lower()
    if len(text) > MAX_VALUE_LENGTH:
        raise UserError(
            f"is {len(text)} characters; GA4 keeps at most {MAX_VALUE_LENGTH}", where=field
        )
    return text


def check_url(url: str) -> None:
    """Raise UserError unless ``url`` is an absolute http(s) URL of sane length."""
    if not isinstance(url, str) or not url.strip():
        raise UserError("URL must not be empty", where="url")
    if len(url) > MAX_URL_LENGTH:
        raise UserError(f"URL is longer than {MAX_URL_LENGTH} characters", where="url")
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url):
        raise UserError("URL contains spaces or control characters", where="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise UserError(f"not a valid URL: {exc}", where="url") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UserError(f"not an http(s) URL with a host: {url!r}", where="url")


def is_http_url(url: object) -> bool:
    """True for what ``check_url`` accepts: a link safe to store and to render as ``href``."""
    if not isinstance(url, str):
        return False
    try:
        check_url(url)
    except UserError:
        return False
    return True


def _param_name(piece: str) -> str:
    return unquote_plus(piece.split("=", 1)[0]).strip().lower()


def add_utm(
    url: str,
    *,
    source: str,
    medium: str = "social",
    campaign: str | None = None,
    content: str | None = None,
    term: str | None = None,
    overwrite: bool = False,
) -> str:
    """Return ``url`` with UTM tags added.

    Existing ``utm_*`` parameters win unless ``overwrite`` is true (then every old copy is
    dropped and ours appended). Other parameters and the fragment are left untouched.
    Raises :class:`UserError` for a non-http(s) URL or a value that cannot be a UTM tag.
    """
    check_url(url)
    wanted: dict[str, str] = {}
    for key, raw in zip(UTM_KEYS, (source, medium, campaign, content, term), strict=True):
        if raw is not None:
            wanted[key] = normalize_utm_value(raw, field=key)

    scheme, netloc, path, query, fragment = urlsplit(url)
    pieces = [p for p in query.split("&") if p] if query else []
    present = {_param_name(p) for p in pieces}
    if overwrite:
        pieces = [p for p in pieces if _param_name(p) not in wanted]
        present -= set(wanted)
    for key, value in wanted.items():
        if key not in present:
            pieces.append(f"{key}={quote(value, safe='-_.~')}")
    return urlunsplit((scheme, netloc, path, "&".join(pieces), fragment))


def utm_params(url: str) -> dict[str, str]:
    """The UTM tags present on ``url`` (first occurrence of each), decoded."""
    try:
        query = urlsplit(url).query
    except ValueError:  # e.g. "http://[::1": an unclosed IPv6 host has no tags to read
        return {}
    out: dict[str, str] = {}
    for piece in query.split("&") if query else []:
        name = _param_name(piece)
        if name in UTM_KEYS and name not in out:
            out[name] = unquote_plus(piece.split("=", 1)[1]) if "=" in piece else ""
    return out
