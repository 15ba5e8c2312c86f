"""Turning one post into the variant for one account: adapt it, then refuse what won't fit.

The content layer owns the network rules: :func:`sociable.content.adapt.adapt_post` rewrites
the text for a network (links, hashtags, threads) and :func:`sociable.content.lint.lint_post`
says what the network would reject. This module is the seam between them and the calendar:
an error-level finding becomes a UserError naming the account, so nothing is stored.

Until the content layer's adapt/lint are importable, a length check on the network's
``text_limit`` (from :mod:`sociable.content.platforms`) stands in for the lint, and the text
is used as written.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any

import regex

from sociable.content.platforms import DEFAULT_PLATFORMS, Counting, Platform, load_platforms
from sociable.errors import UserError
from sociable.publish.spec import PostSpec
from sociable.store.models import Account


@dataclass
class Composed:
    """The variant's content for one account."""

    text: str
    thread: list[str] = field(default_factory=list)
    first_comment: str | None = None
    media: list[dict[str, Any]] = field(default_factory=list)


_GRAPHEME = regex.compile(r"\X")
_URL = regex.compile(r"https?://\S+")


def _length(text: str, platform: Platform) -> int:
    if platform.counting is Counting.CODEPOINTS:
        return len(text)
    if platform.counting is Counting.UTF16:
        return len(text.encode("utf-16-le")) // 2
    if platform.counting is Counting.UTF8_BYTES:
        return len(text.encode("utf-8"))
    if platform.url_length is not None:
        text = _URL.sub("x" * platform.url_length, text)
    return len(_GRAPHEME.findall(text))


def _fallback(spec: PostSpec, account: Account, platforms: dict[str, Platform]) -> Composed:
    platform = platforms.get(account.network)
    text = spec.text
    if platform is not None:
        used = _length(text, platform)
        if used > platform.text_limit:
            raise UserError(
                f"text is {used} characters, over {platform.title}'s {platform.text_limit} "
                f"for account {account.network}:{account.handle}"
            )
    return Composed(
        text=text,
        first_comment=spec.first_comment,
        media=[m.as_json() for m in spec.media],
    )


def compose(
    spec: PostSpec, account: Account, platform_overrides: dict[str, dict[str, Any]] | None = None
) -> Composed:
    """The adapted, checked content of ``spec`` for ``account``; UserError if it won't fit."""
    platforms = load_platforms(platform_overrides) if platform_overrides else DEFAULT_PLATFORMS
    if not _content_layer_ready():
        return _fallback(spec, account, dict(platforms))
    return _with_content_layer(spec, account, dict(platforms))


def _content_layer_ready() -> bool:
    return all(
        importlib.util.find_spec(f"sociable.content.{name}") is not None
        for name in ("adapt", "lint")
    )


def _with_content_layer(
    spec: PostSpec, account: Account, platforms: dict[str, Platform]
) -> Composed:  # pragma: no cover - replaced once the content layer's API is known
    return _fallback(spec, account, platforms)
