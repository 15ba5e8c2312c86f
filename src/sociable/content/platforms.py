"""What each network accepts, as data: the one place the linter, adapter and connectors read.

Facts come from ``shared/reference/platform-specs.md``; every record names its sources
(see :data:`SOURCES`) with the date of the snapshot. The networks change these often
(Instagram's 5-hashtag cap, Bluesky's 2 MB images), so every field can be overridden from
``sociable.toml``::

    [platforms.instagram]
    max_hashtags = 5

    [platforms.bluesky.media.image]
    max_bytes = 2_000_000

and a Mastodon instance's own limits are read from its ``/api/v2/instance`` JSON
(:func:`mastodon_from_instance`, :func:`fetch_mastodon_instance`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sociable.errors import UserError

MB = 1024 * 1024


class Counting(StrEnum):
    """How a network counts the length of a post's text."""

    X_WEIGHTED = "x-weighted"  # twitter-text v3: weighted code points, URLs 23, emoji 2
    GRAPHEMES = "graphemes"  # user-perceived characters (Unicode extended grapheme clusters)
    MASTODON = "mastodon"  # graphemes, each URL as url_length, @user@host as @user
    CODEPOINTS = "codepoints"  # Unicode scalar values
    UTF16 = "utf16"  # UTF-16 code units (JavaScript string length)
    UTF8_BYTES = "utf8-bytes"  # bytes once encoded as UTF-8
    # graphemes, but an emoji counts its UTF-8 bytes (Meta's Threads docs)
    GRAPHEMES_EMOJI_BYTES = "graphemes-emoji-bytes"


@dataclass(frozen=True, slots=True)
class Source:
    key: str
    title: str
    date: str  # the snapshot's date, ISO 8601


SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        Source(
            "TT", "twitter/twitter-text config/v3.json and js/src (master@30e2430d)", "2021-10-21"
        ),
        Source("XD", "xdevplatform/docs: counting-characters, media best practices", "2026-08-22"),
        Source("XD-openapi", "X API openapi.json, POST /2/media/metadata", "2026-08-22"),
        Source("AT", "bluesky-social/atproto lexicons app.bsky.feed.post, embed.*", "2026-08-20"),
        Source("BS-app", "bluesky-social/social-app PR #9916 (alt text UI limit)", "2026-06"),
        Source("MD", "mastodon/documentation (api/v2/instance, statuses, media)", "2026-07"),
        Source("MS-src", "Mastodon StatusLengthValidator", "2026-07"),
        Source("TH", "Meta Threads API docs (posts, overview, text attachments)", "2025-12-22"),
        Source("AY-th", "Ayrshare media guidelines: Threads", "2026"),
        Source("IG", "Meta Instagram Platform: content publishing, ig-user/media", "2026"),
        Source("IG5", "Mosseri's announcement of the 5-hashtag cap", "2025-12-19"),
        Source("FB", "Meta Pages API: posts", "2026"),
        Source("AY-fb", "Ayrshare media guidelines: Facebook", "2026"),
        Source("UP", "upload-post.com character limits (third-party)", "2026"),
        Source("LI", "LinkedIn Posts API li-lms-2026-05", "2026-05"),
        Source("LI-lt", "LinkedIn little text format", "2026-05"),
        Source("AY-li", "Ayrshare media guidelines: LinkedIn", "2026"),
        Source("TK", "TikTok content posting API reference", "2026"),
        Source("YT", "YouTube Data API v3 videos resource; YouTube Help", "2026"),
        Source("AY-pin", "Ayrshare media guidelines: Pinterest", "2026"),
        Source("RD", "Reddit API wiki; r/modnews", "2023-05-31"),
        Source("TB", "tumblr/docs npf-spec.md, api.md", "2026"),
    )
}


@dataclass(frozen=True, slots=True)
class MediaSpec:
    """Limits for one kind of attachment (image, gif, video, document) on one network.

    ``None`` means the network does not document a limit. Aspect ratios are width/height.
    """

    max_count: int
    formats: tuple[str, ...] = ()
    max_bytes: int | None = None
    min_width: int | None = None
    max_width: int | None = None
    max_height: int | None = None
    max_pixels: int | None = None
    min_aspect: float | None = None
    max_aspect: float | None = None
    max_frames: int | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    max_fps: float | None = None


@dataclass(frozen=True, slots=True)
class Platform:
    """One network's rules for a post's text, tags, links and media."""

    name: str
    title: str
    text_limit: int
    counting: Counting
    # A second cap some networks add (Bluesky: 3000 UTF-8 bytes; YouTube description bytes).
    max_bytes: int | None = None
    # Each URL counts as this many characters (X, Mastodon); None: as written.
    url_length: int | None = None
    # Hard cap on hashtags (over it the network rejects or ignores them) and the usual norm.
    max_hashtags: int | None = None
    hashtag_norm: int = 3
    max_mentions: int | None = None
    max_links: int | None = None
    links_clickable: bool = True
    # The network has reply threads a long post can be split into.
    threads: bool = False
    max_media: int = 0
    # Attachments a post needs at the least (Instagram, TikTok, YouTube, Pinterest: 1).
    min_media: int = 0
    # Whether images and videos can be mixed in one post.
    mixed_media: bool = False
    media: Mapping[str, MediaSpec] = field(default_factory=dict)
    alt_text_limit: int | None = None
    alt_text_supported: bool = True
    title_limit: int | None = None
    notes: str = ""
    # field name (or "*" for the rest) -> source keys from SOURCES
    sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def source_of(self, fact: str) -> list[Source]:
        """The sources (with dates) behind one field of this record."""
        keys = self.sources.get(fact) or self.sources.get("*", ())
        return [SOURCES[k] for k in keys]

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["counting"] = self.counting.value
        data["media"] = {k: dataclasses.asdict(v) for k, v in self.media.items()}
        data["sources"] = {k: list(v) for k, v in self.sources.items()}
        return data


_IMG = ("jpeg", "png", "gif", "webp")

DEFAULT_PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform(
            name="x",
            title="X",
            text_limit=280,
            counting=Counting.X_WEIGHTED,
            url_length=23,
            hashtag_norm=2,
            threads=True,
            max_media=4,
            media={
                "image": MediaSpec(4, _IMG, max_bytes=5 * MB),
                "gif": MediaSpec(
                    1, ("gif",), max_bytes=15 * MB, max_width=1280, max_height=1080, max_frames=350
                ),
                "video": MediaSpec(
                    1,
                    ("mp4", "mov"),
                    max_bytes=512 * MB,
                    max_width=1280,
                    max_height=1024,
                    min_aspect=1 / 3,
                    max_aspect=3.0,
                    min_duration=0.5,
                    max_duration=140,
                    max_fps=60,
                ),
            },
            alt_text_limit=1000,
            notes="Auto-added reply mentions and media count 0; 4 photos OR 1 GIF OR 1 video.",
            sources={"*": ("TT", "XD"), "alt_text_limit": ("XD-openapi",)},
        ),
        Platform(
            name="bluesky",
            title="Bluesky",
            text_limit=300,
            counting=Counting.GRAPHEMES,
            max_bytes=3000,
            hashtag_norm=2,
            threads=True,
            max_media=4,
            media={
                "image": MediaSpec(4, ("jpeg", "png", "gif", "webp"), max_bytes=2_000_000),
                "video": MediaSpec(1, ("mp4",), max_bytes=300 * MB),
            },
            alt_text_limit=2000,
            notes="Images 2 MB since 2026-04 (1 MB before); video 300 MB since 2026-08.",
            sources={"*": ("AT",), "alt_text_limit": ("BS-app",)},
        ),
        Platform(
            name="mastodon",
            title="Mastodon",
            text_limit=500,
            counting=Counting.MASTODON,
            url_length=23,
            hashtag_norm=5,
            threads=True,
            max_media=4,
            media={
                "image": MediaSpec(
                    4,
                    ("jpeg", "png", "gif", "heic", "webp", "avif"),
                    max_bytes=16 * MB,
                    max_pixels=33_177_600,
                ),
                "video": MediaSpec(
                    1,
                    ("mp4", "mov", "webm"),
                    max_bytes=103_809_024,
                    max_pixels=8_294_400,
                    max_fps=120,
                ),
            },
            alt_text_limit=1500,
            notes="Defaults; an instance's own limits come from /api/v2/instance.",
            sources={"*": ("MD", "MS-src")},
        ),
        Platform(
            name="threads",
            title="Threads",
            text_limit=500,
            counting=Counting.GRAPHEMES_EMOJI_BYTES,
            max_hashtags=1,
            hashtag_norm=1,
            max_links=5,
            threads=True,
            max_media=20,
            mixed_media=True,
            media={
                "image": MediaSpec(
                    20,
                    ("jpeg", "png"),
                    max_bytes=8 * MB,
                    min_width=320,
                    max_width=1440,
                    min_aspect=0.1,
                    max_aspect=10.0,
                ),
                "video": MediaSpec(20, ("mp4", "mov"), max_bytes=1024 * MB, max_duration=300),
            },
            alt_text_supported=False,
            notes="One topic tag per post; at most 5 links since 2025-12-22.",
            sources={"*": ("TH",), "media": ("AY-th",)},
        ),
        Platform(
            name="linkedin",
            title="LinkedIn",
            text_limit=3000,
            counting=Counting.UTF16,
            hashtag_norm=3,
            max_media=20,
            media={
                "image": MediaSpec(
                    20, ("jpeg", "png", "gif"), max_bytes=5 * MB, max_pixels=36_152_319
                ),
                "video": MediaSpec(
                    1,
                    ("mp4",),
                    max_bytes=500 * MB,
                    min_aspect=1 / 2.4,
                    max_aspect=2.4,
                    min_duration=3,
                    max_duration=1800,
                ),
                "document": MediaSpec(1, ("pdf", "ppt", "pptx", "doc", "docx"), 100 * MB),
            },
            notes="Commentary in 'little' format: reserved characters must be escaped or the "
            "post is silently truncated.",
            sources={"*": ("LI", "LI-lt"), "media": ("AY-li",)},
        ),
        Platform(
            name="facebook",
            title="Facebook Page",
            text_limit=63206,
            counting=Counting.UTF16,
            hashtag_norm=2,
            max_media=10,
            media={
                "image": MediaSpec(10, ("jpeg", "png", "gif", "bmp", "tiff"), max_bytes=10 * MB),
                "video": MediaSpec(1, ("mp4", "mov"), max_bytes=2048 * MB, max_duration=4 * 3600),
            },
            alt_text_supported=False,
            notes="63,206 is a third-party figure, not in Meta's docs.",
            sources={"*": ("FB", "UP"), "media": ("AY-fb",)},
        ),
        Platform(
            name="instagram",
            title="Instagram",
            text_limit=2200,
            counting=Counting.UTF16,
            max_hashtags=5,
            hashtag_norm=5,
            max_mentions=20,
            links_clickable=False,
            min_media=1,
            max_media=10,
            mixed_media=True,
            media={
                "image": MediaSpec(
                    10,
                    ("jpeg",),
                    max_bytes=8 * MB,
                    min_width=320,
                    max_width=1440,
                    min_aspect=0.8,
                    max_aspect=1.91,
                ),
                "video": MediaSpec(
                    10,
                    ("mp4", "mov"),
                    max_bytes=1024 * MB,
                    min_duration=3,
                    max_duration=900,
                    max_fps=60,
                ),
            },
            notes="5 hashtags per post since 2025-12-19 (API docs said 30); links in captions "
            "are not clickable; media needs at least one item.",
            sources={"*": ("IG",), "max_hashtags": ("IG5",)},
        ),
        Platform(
            name="tiktok",
            title="TikTok",
            text_limit=2200,
            counting=Counting.UTF16,
            max_hashtags=5,
            hashtag_norm=5,
            links_clickable=False,
            min_media=1,
            max_media=35,
            media={
                "image": MediaSpec(35, ("jpeg", "webp")),
                "video": MediaSpec(1, ("mp4", "mov", "webm")),
            },
            alt_text_supported=False,
            title_limit=90,
            notes="5-hashtag cap since 2025-08 is unverified.",
            sources={"*": ("TK", "UP")},
        ),
        Platform(
            name="youtube",
            title="YouTube",
            text_limit=5000,
            counting=Counting.UTF8_BYTES,
            max_hashtags=60,
            hashtag_norm=3,
            min_media=1,
            max_media=1,
            media={"video": MediaSpec(1, ("mp4", "mov", "webm", "avi"))},
            alt_text_supported=False,
            title_limit=100,
            notes="Description is 5,000 bytes; over 60 hashtags all are ignored (blogs say 15).",
            sources={"*": ("YT",)},
        ),
        Platform(
            name="pinterest",
            title="Pinterest",
            text_limit=500,
            counting=Counting.CODEPOINTS,
            hashtag_norm=3,
            min_media=1,
            max_media=1,
            media={
                "image": MediaSpec(
                    1, ("jpeg", "png", "webp"), max_bytes=20 * MB, min_aspect=0.5, max_aspect=1.0
                ),
                "video": MediaSpec(1, ("mp4", "mov"), min_duration=4, max_duration=900),
            },
            alt_text_limit=500,
            title_limit=100,
            notes="2:3 (1000x1500) recommended; link up to 2,048 characters.",
            sources={"*": ("AY-pin",)},
        ),
        Platform(
            name="reddit",
            title="Reddit",
            text_limit=40000,
            counting=Counting.CODEPOINTS,
            max_hashtags=None,
            hashtag_norm=0,
            max_media=20,
            media={
                "image": MediaSpec(20, ("jpeg", "png", "gif"), max_bytes=20 * MB),
                "video": MediaSpec(1, ("mp4", "mov"), max_bytes=1024 * MB, max_duration=900),
            },
            alt_text_supported=False,
            title_limit=300,
            notes="Hashtags mean nothing on Reddit; subreddits add their own rules.",
            sources={"*": ("RD",)},
        ),
        Platform(
            name="tumblr",
            title="Tumblr",
            text_limit=4096,
            counting=Counting.CODEPOINTS,
            hashtag_norm=5,
            max_mentions=50,
            max_links=100,
            max_media=30,
            mixed_media=True,
            media={
                "image": MediaSpec(30, ("jpeg", "png", "gif", "webp")),
                "video": MediaSpec(10, ("mp4", "mov")),
            },
            alt_text_limit=4096,
            notes="Limit is per NPF text block; tags go in a separate field.",
            sources={"*": ("TB",)},
        ),
    )
}

ALIASES = {"twitter": "x", "bsky": "bluesky", "fb": "facebook", "ig": "instagram", "yt": "youtube"}

_PLATFORM_FIELDS = {f.name: f for f in dataclasses.fields(Platform)}
_MEDIA_FIELDS = {f.name: f for f in dataclasses.fields(MediaSpec)}
_READ_ONLY = {"name", "sources"}


def network_name(name: str) -> str:
    """The canonical name of a network (``Twitter`` -> ``x``), or UserError."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in DEFAULT_PLATFORMS:
        known = ", ".join(DEFAULT_PLATFORMS)
        raise UserError(f"unknown network {name!r}; known: {known}")
    return key


def parse_networks(value: str | list[str] | None) -> list[str]:
    """``"x,bluesky"`` or ``["x", "bluesky"]`` -> canonical names, in order, no repeats."""
    if value is None:
        return []
    parts = value.split(",") if isinstance(value, str) else value
    out: list[str] = []
    for part in parts:
        if not isinstance(part, str):
            raise UserError(f"network names must be strings, got {part!r}")
        for piece in part.split(","):
            if piece.strip():
                name = network_name(piece)
                if name not in out:
                    out.append(name)
    return out


def _coerce(where: str, value: Any, kind: Any) -> Any:
    text = str(kind)
    if "Counting" in text:
        try:
            return Counting(value)
        except ValueError:
            choices = ", ".join(c.value for c in Counting)
            raise UserError(f"{where}: {value!r} is not one of {choices}") from None
    if "tuple" in text:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UserError(f"{where}: expected a list of strings, got {value!r}")
        return tuple(v.lower() for v in value)
    if text.startswith("bool"):
        if not isinstance(value, bool):
            raise UserError(f"{where}: expected true or false, got {value!r}")
        return value
    if text.startswith("str"):
        if not isinstance(value, str):
            raise UserError(f"{where}: expected a string, got {value!r}")
        return value
    if "float" in text:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UserError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if "int" in text:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise UserError(f"{where}: expected a whole number >= 0, got {value!r}")
        return value
    return value


def _override_media(
    where: str, current: Mapping[str, MediaSpec], data: Any
) -> dict[str, MediaSpec]:
    if not isinstance(data, dict):
        raise UserError(f"{where}: expected a table of media kinds")
    out = dict(current)
    for kind, values in data.items():
        here = f"{where}.{kind}"
        if not isinstance(values, dict):
            raise UserError(f"{here}: expected a table")
        base = out.get(kind)
        changes: dict[str, Any] = {}
        for key, value in values.items():
            spec = _MEDIA_FIELDS.get(key)
            if spec is None:
                known = ", ".join(_MEDIA_FIELDS)
                raise UserError(f"{here}: unknown key {key!r}; known: {known}")
            changes[key] = _coerce(f"{here}.{key}", value, spec.type)
        if base is None:
            if "max_count" not in changes:
                raise UserError(f"{here}: a new media kind needs max_count")
            out[kind] = MediaSpec(**changes)
        else:
            out[kind] = dataclasses.replace(base, **changes)
    return out


def override(platform: Platform, data: Mapping[str, Any], *, where: str = "") -> Platform:
    """``platform`` with the fields in ``data`` replaced; unknown keys are UserErrors."""
    where = where or f"[platforms.{platform.name}]"
    changes: dict[str, Any] = {}
    for key, value in data.items():
        spec = _PLATFORM_FIELDS.get(key)
        if spec is None or key in _READ_ONLY:
            known = ", ".join(k for k in _PLATFORM_FIELDS if k not in _READ_ONLY)
            raise UserError(f"{where}: unknown key {key!r}; known: {known}")
        if key == "media":
            changes[key] = _override_media(f"{where}.media", platform.media, value)
        else:
            changes[key] = _coerce(f"{where}.{key}", value, spec.type)
    return dataclasses.replace(platform, **changes)


def load_platforms(overrides: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Platform]:
    """The built-in records with ``[platforms.NAME]`` overrides from sociable.toml applied."""
    out = dict(DEFAULT_PLATFORMS)
    for name, data in (overrides or {}).items():
        key = ALIASES.get(name.lower(), name.lower())
        if key not in out:
            known = ", ".join(DEFAULT_PLATFORMS)
            raise UserError(f"[platforms.{name}]: unknown network; known: {known}")
        if not isinstance(data, Mapping):
            raise UserError(f"[platforms.{name}]: expected a table")
        out[key] = override(out[key], data, where=f"[platforms.{name}]")
    return out


def get_platform(name: str, platforms: Mapping[str, Platform] | None = None) -> Platform:
    key = network_name(name)
    return (platforms or DEFAULT_PLATFORMS)[key]


# -- Mastodon instance limits ---------------------------------------------------------------


def _int_at(data: Any, *path: str) -> int | None:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data if isinstance(data, int) and not isinstance(data, bool) and data >= 0 else None


_MIME_FORMATS = {
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/gif": "gif",
    "image/heic": "heic",
    "image/heif": "heif",
    "image/webp": "webp",
    "image/avif": "avif",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
}


def mastodon_from_instance(data: Any, base: Platform | None = None) -> Platform:
    """The Mastodon record with an instance's limits from its ``/api/v2/instance`` JSON.

    Missing or malformed fields keep the defaults; the result names the instance's domain in
    its notes.
    """
    if not isinstance(data, dict):
        raise UserError("instance JSON: expected an object")
    base = base or DEFAULT_PLATFORMS["mastodon"]
    statuses = ("configuration", "statuses")
    media_cfg = ("configuration", "media_attachments")
    changes: dict[str, Any] = {}
    if (limit := _int_at(data, *statuses, "max_characters")) is not None:
        changes["text_limit"] = limit
    if (url := _int_at(data, *statuses, "characters_reserved_per_url")) is not None:
        changes["url_length"] = url
    if (count := _int_at(data, *statuses, "max_media_attachments")) is not None:
        changes["max_media"] = count
    image = base.media.get("image", MediaSpec(4))
    video = base.media.get("video", MediaSpec(1))
    img: dict[str, Any] = {"max_count": changes.get("max_media", image.max_count)}
    vid: dict[str, Any] = {}
    if (v := _int_at(data, *media_cfg, "image_size_limit")) is not None:
        img["max_bytes"] = v
    if (v := _int_at(data, *media_cfg, "image_matrix_limit")) is not None:
        img["max_pixels"] = v
    if (v := _int_at(data, *media_cfg, "video_size_limit")) is not None:
        vid["max_bytes"] = v
    if (v := _int_at(data, *media_cfg, "video_matrix_limit")) is not None:
        vid["max_pixels"] = v
    if (v := _int_at(data, *media_cfg, "video_frame_rate_limit")) is not None:
        vid["max_fps"] = float(v)
    if (v := _int_at(data, *media_cfg, "description_limit")) is not None:
        changes["alt_text_limit"] = v
    mimes = data.get("configuration", {}).get("media_attachments", {}).get("supported_mime_types")
    if isinstance(mimes, list):
        fmts = [_MIME_FORMATS[m] for m in mimes if isinstance(m, str) and m in _MIME_FORMATS]
        img["formats"] = tuple(f for f in fmts if f not in ("mp4", "mov", "webm"))
        vid["formats"] = tuple(f for f in fmts if f in ("mp4", "mov", "webm"))
    media = dict(base.media)
    media["image"] = dataclasses.replace(image, **img)
    media["video"] = dataclasses.replace(video, **vid)
    changes["media"] = media
    domain = data.get("domain")
    if isinstance(domain, str) and domain:
        changes["notes"] = f"Limits read from {domain}/api/v2/instance."
    return dataclasses.replace(base, **changes)


def fetch_mastodon_instance(base_url: str, *, policy: Any = None) -> Platform:
    """Fetch ``{base_url}/api/v2/instance`` through net.py and return the instance's record."""
    from sociable import net

    url = base_url.rstrip("/") + "/api/v2/instance"
    cap = 1024 * 1024
    try:
        with net.client(policy) as http, http.stream("GET", url) as response:
            body = net.read_capped_sync(response, cap)
            if response.status_code != 200:
                raise UserError(f"{url}: HTTP {response.status_code}")
    except net.FetchError as exc:
        raise UserError(f"{url}: {exc}") from exc
    except Exception as exc:  # httpx transport errors
        if isinstance(exc, UserError):
            raise
        raise UserError(f"{url}: cannot fetch: {exc}") from exc
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise UserError(f"{url}: not JSON: {exc}") from exc
    return mastodon_from_instance(data)
