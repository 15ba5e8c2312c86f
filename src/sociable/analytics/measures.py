"""The vocabulary reports speak: canonical measures and content types.

Each network names its numbers its own way (``like_count``, ``favourites_count``,
``likeCount``); ``collect/metrics.toml`` maps every name to one of :data:`MEASURES` with its
``measure`` field, and an import writes these names directly. Reports only ever see measures.
"""

from __future__ import annotations

from typing import Final

#: Interactions a person makes with a post; their sum is a post's engagements.
ENGAGEMENT_PARTS: Final = ("likes", "comments", "shares", "saves", "quotes")

#: Every measure a snapshot can carry once mapped (post and account scope).
MEASURES: Final = (
    *ENGAGEMENT_PARTS,
    "bookmarks",
    "impressions",  # times seen
    "reach",  # distinct accounts that saw it
    "views",  # plays or shows (Meta's replacement for impressions on Instagram and Pages)
    "clicks",  # clicks the network counted (ours are in track_click)
    "profile_clicks",
    "engaged_users",  # people who engaged (Facebook's Lifetime Engaged Users)
    "consumers",  # people who clicked anywhere in the post (Facebook's Lifetime Post Consumers)
    "engagements",  # the network's own total of interactions, when it gives one
    "followers",
    "following",
    "posts",
)

#: Account-scope measures: running totals read at a time, never summed across readings.
ACCOUNT_MEASURES: Final = ("followers", "following", "posts")

#: What a post is. "status" is Facebook's word for a text post and is read as "text".
CONTENT_TYPES: Final = (
    "text",
    "link",
    "image",
    "video",
    "carousel",
    "thread",
    "reel",
    "story",
    "other",
)

_CONTENT_ALIASES: Final = {
    "status": "text",
    "photo": "image",
    "picture": "image",
    "album": "carousel",
    "carousel_album": "carousel",
    "sidecar": "carousel",
    "reels": "reel",
    "clip": "reel",
    "gif": "image",
    "article": "link",
    "share": "link",
}


def content_type(value: str | None) -> str | None:
    """A network's or an export's word for a post's kind as one of :data:`CONTENT_TYPES`;
    None for no word, "other" for a word we do not know."""
    if value is None or not value.strip():
        return None
    word = value.strip().lower().replace(" ", "_").replace("-", "_")
    word = _CONTENT_ALIASES.get(word, word)
    return word if word in CONTENT_TYPES else "other"
