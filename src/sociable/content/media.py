"""Media checks per network and placement, and ``fit_media`` to write a copy that passes.

Networks reject media at publish time (too big, wrong shape, wrong format); we check it when
the post is composed instead. Images are read with Pillow, but only after the header's
declared size is known to be sane: a PNG that declares 50,000 x 50,000 pixels is reported
without being decoded. Videos are checked with ffprobe when it is installed; without it the
check says so (an info finding, not a failure).

The facts (formats, bytes, pixels, aspect ratios, alt-text limits) come from
:mod:`sociable.content.platforms`; this module only applies them.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import imagesize
from PIL import Image, ImageOps, UnidentifiedImageError

from sociable.content.finding import PostFinding
from sociable.content.media_rules import severity_of
from sociable.errors import UserError

# Never let Pillow decode more than this many pixels (10,000 x 10,000, ~300 MB as RGB): a file
# declaring more is reported (POST308) without being decoded. No network accepts more than
# ~36 Mpx, so the cap only guards memory; it never hides a real finding.
DECODE_PIXEL_CAP = 100_000_000
# Pillow warns above this and raises above twice it; we turn the warning into an error too.
Image.MAX_IMAGE_PIXELS = DECODE_PIXEL_CAP

# Hard cap on how many bytes we are willing to consider at all (a 4 h video is ~4 GB).
MAX_FILE_BYTES = 8 * 1024**3
FFPROBE_TIMEOUT_S = 30.0

HEIF_SUFFIXES = frozenset({".heic", ".heif"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi", ".mpeg", ".mpg"})
# Pillow format names folded into the names the networks use.
FORMAT_ALIASES = {"MPO": "JPEG", "JPG": "JPEG", "TIF": "TIFF"}

PLACEMENTS = ("feed", "story", "link")
PLACEMENT_ALIASES = {"reel": "story", "reels": "story", "stories": "story", "card": "link"}


#: A media problem is a post finding like any other (codes POST3xx).
MediaFinding = PostFinding


@dataclass(frozen=True, slots=True)
class MediaLimits:
    """What one network accepts for one placement; None means "no documented limit"."""

    network: str
    placement: str
    image_formats: frozenset[str] = frozenset({"JPEG", "PNG", "GIF", "WEBP"})
    image_max_bytes: int | None = None
    gif_max_bytes: int | None = None
    gif_max_frames: int | None = None
    gif_max_width: int | None = None
    gif_max_height: int | None = None
    animated_ok: bool = True
    min_width: int | None = None
    max_width: int | None = None
    min_height: int | None = None
    max_height: int | None = None
    max_pixels: int | None = None
    min_aspect: float | None = None  # width / height
    max_aspect: float | None = None
    # Recommended (not enforced by the network): a warning, not an error.
    aspect_is_advice: bool = False
    recommended_size: tuple[int, int] | None = None
    alt_max: int | None = None
    alt_supported: bool = True
    video_formats: frozenset[str] = frozenset({"mp4", "mov"})
    video_max_bytes: int | None = None
    video_min_seconds: float | None = None
    video_max_seconds: float | None = None
    video_max_fps: float | None = None
    video_max_width: int | None = None
    video_max_height: int | None = None
    video_max_pixels: int | None = None
    video_min_aspect: float | None = None
    video_max_aspect: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What we learned from the file, upright (EXIF orientation applied to the dimensions)."""

    format: str
    width: int
    height: int
    bytes: int
    frames: int
    orientation: int
    has_alpha: bool


def normalize_placement(placement: str) -> str:
    value = placement.strip().lower()
    value = PLACEMENT_ALIASES.get(value, value)
    if value not in PLACEMENTS:
        raise UserError(
            f"unknown placement {placement!r}; use one of: {', '.join(PLACEMENTS)} (or reel, card)"
        )
    return value


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def _finding(code: str, limits: MediaLimits, message: str) -> MediaFinding:
    return MediaFinding(code, limits.network, severity_of(code), message)


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} kB"


def _ratio(value: float) -> str:
    """1.91 -> '1.91:1', 0.8 -> '4:5' style text for messages."""
    for w, h in ((1, 1), (4, 5), (5, 4), (9, 16), (16, 9), (2, 3), (3, 2), (4, 3), (3, 4)):
        if math.isclose(value, w / h, rel_tol=0.005):
            return f"{w}:{h}"
    return f"{value:.2f}:1" if value >= 1 else f"1:{1 / value:.2f}"


# Placement advice that is not a network limit (the network crops rather than rejects), so
# it lives here beside the check rather than in platforms: (aspect, recommended size).
# Stories/Reels are full-screen 9:16 (Meta's Stories specs recommend 1080x1920); a link
# card's image is 1.91:1 (Open Graph's 1200x630, the size X, Facebook and LinkedIn cards use).
STORY_ADVICE: dict[str, tuple[float, tuple[int, int]]] = {
    "instagram": (9 / 16, (1080, 1920)),
    "facebook": (9 / 16, (1080, 1920)),
    "tiktok": (9 / 16, (1080, 1920)),
}
LINK_CARD_ADVICE: dict[str, tuple[float, tuple[int, int]]] = {
    name: (1.91, (1200, 630))
    for name in ("x", "bluesky", "mastodon", "threads", "linkedin", "facebook")
}

_PILLOW_FORMATS = {"jpeg": "JPEG", "jpg": "JPEG", "heic": "HEIF", "tif": "TIFF"}


def _pillow_formats(formats: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_PILLOW_FORMATS.get(f.lower(), f.upper()) for f in formats)


def media_limits(
    network: str, placement: str = "feed", platforms: Mapping[str, Any] | None = None
) -> MediaLimits:
    """The limits for one network and placement, read from the platform records."""
    from sociable.content.platforms import MediaSpec, get_platform

    place = normalize_placement(placement)
    platform = get_platform(network, platforms)
    image = platform.media.get("image")
    gif = platform.media.get("gif")
    video = platform.media.get("video") or MediaSpec(0)
    if image is None and place != "link":
        image = MediaSpec(0)  # no images on this network: every image format is refused
    image = image or MediaSpec(1, ("jpeg", "png", "gif", "webp"))
    formats = set(_pillow_formats(image.formats))
    if gif is not None:
        formats |= _pillow_formats(gif.formats)
    values: dict[str, Any] = {
        "network": platform.name,
        "placement": place,
        "image_formats": frozenset(formats),
        "image_max_bytes": image.max_bytes,
        "gif_max_bytes": gif.max_bytes if gif else None,
        "gif_max_frames": (gif.max_frames if gif else image.max_frames),
        "gif_max_width": gif.max_width if gif else None,
        "gif_max_height": gif.max_height if gif else None,
        "animated_ok": "GIF" in formats,
        "min_width": image.min_width,
        "max_width": image.max_width,
        "max_height": image.max_height,
        "max_pixels": image.max_pixels,
        "min_aspect": image.min_aspect,
        "max_aspect": image.max_aspect,
        "alt_max": platform.alt_text_limit,
        "alt_supported": platform.alt_text_supported,
        "video_formats": frozenset(f.lower() for f in video.formats),
        "video_max_bytes": video.max_bytes,
        "video_min_seconds": video.min_duration,
        "video_max_seconds": video.max_duration,
        "video_max_fps": video.max_fps,
        "video_max_width": video.max_width,
        "video_max_height": video.max_height,
        "video_max_pixels": video.max_pixels,
        "video_min_aspect": video.min_aspect,
        "video_max_aspect": video.max_aspect,
    }
    advice = {"story": STORY_ADVICE, "link": LINK_CARD_ADVICE}.get(place)
    if advice is not None:
        if platform.name not in advice:
            has = ", ".join(sorted(advice))
            raise UserError(f"{platform.title} has no {place} placement; networks with one: {has}")
        aspect, size = advice[platform.name]
        values.update(
            min_aspect=aspect, max_aspect=aspect, aspect_is_advice=True, recommended_size=size
        )
    return MediaLimits(**values)


# -- reading ------------------------------------------------------------------------------


def declared_size(path: Path) -> tuple[int, int] | None:
    """Width and height from the header only (no decoding), or None when unknown."""
    try:
        width, height = imagesize.get(str(path))
    except (OSError, ValueError):
        return None
    if width == -1 or height == -1:  # imagesize's "unknown format"
        return None
    # imagesize 2.0.1 reads a GIF's 16-bit sizes as signed: 60000 comes back as -5536.
    width, height = (v + 65536 if -32768 <= v < 0 else v for v in (int(width), int(height)))
    if width <= 0 or height <= 0:
        return None
    return width, height


class MediaReadError(Exception):
    """The file is not an image we can read (corrupt, truncated, unknown format)."""

    def __init__(self, message: str, *, unidentified: bool = False) -> None:
        self.unidentified = unidentified
        super().__init__(message)


class DecompressionBomb(Exception):
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        super().__init__(f"{width}x{height}")


def read_image(path: Path) -> ImageInfo:
    """Header checks first, then a full decode of the first frame to catch corruption.

    Cached by path, size and modification time: linting one image for twelve networks
    decodes it once.
    """
    stat = path.stat()
    return _read_image(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=64)
def _read_image(name: str, size_bytes: int, _mtime_ns: int) -> ImageInfo:
    path = Path(name)
    declared = declared_size(path)
    if declared and declared[0] * declared[1] > DECODE_PIXEL_CAP:
        raise DecompressionBomb(*declared)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                width, height = img.size
                if width * height > DECODE_PIXEL_CAP:
                    raise DecompressionBomb(width, height)
                fmt = FORMAT_ALIASES.get(img.format or "", img.format or "unknown")
                frames = int(getattr(img, "n_frames", 1) or 1)
                orientation = int(img.getexif().get(0x0112, 1) or 1)
                has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
                img.load()  # decodes the first frame: truncated or corrupt data fails here
    except DecompressionBomb:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        w, h = declared or (0, 0)
        raise DecompressionBomb(w, h) from None
    except UnidentifiedImageError:
        raise MediaReadError("not an image Pillow can identify", unidentified=True) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise MediaReadError(f"corrupt or truncated image ({exc})") from None
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return ImageInfo(fmt, width, height, size_bytes, frames, orientation, has_alpha)


# -- checks -------------------------------------------------------------------------------


def check_image_info(info: ImageInfo, limits: MediaLimits) -> list[MediaFinding]:
    """Pure checks of what we read against what the network accepts."""
    out: list[MediaFinding] = []
    net = limits.network
    animated = info.frames > 1
    if info.format not in limits.image_formats:
        allowed = ", ".join(sorted(limits.image_formats))
        msg = (
            f"{info.format} images are not accepted on {net}: use {allowed}"
            if allowed
            else f"{net} posts take no images"
        )
        out.append(_finding("POST302", limits, msg))
    max_bytes = limits.image_max_bytes
    if info.format == "GIF" and limits.gif_max_bytes:
        max_bytes = limits.gif_max_bytes
    if max_bytes is not None and info.bytes > max_bytes:
        out.append(
            _finding(
                "POST303",
                limits,
                f"image is {_mb(info.bytes)}; {net} accepts at most {_mb(max_bytes)}",
            )
        )
    if animated:
        if not limits.animated_ok:
            out.append(
                _finding(
                    "POST307",
                    limits,
                    f"animated image ({info.frames} frames): {net} shows only a still here",
                )
            )
        elif limits.gif_max_frames is not None and info.frames > limits.gif_max_frames:
            out.append(
                _finding(
                    "POST307",
                    limits,
                    f"animation has {info.frames} frames; {net} accepts at most "
                    f"{limits.gif_max_frames}",
                )
            )
    out.extend(_dimension_findings(info, limits, animated))
    if info.orientation not in (0, 1):
        out.append(
            _finding(
                "POST306",
                limits,
                f"image is stored rotated (EXIF orientation {info.orientation}); some apps on "
                f"{net} ignore the flag and show it sideways: write an upright copy "
                "(sociable media fit)",
            )
        )
    return out


def _dimension_findings(info: ImageInfo, limits: MediaLimits, animated: bool) -> list[MediaFinding]:
    out: list[MediaFinding] = []
    net, w, h = limits.network, info.width, info.height
    max_w, max_h = limits.max_width, limits.max_height
    if animated and info.format == "GIF":
        max_w = limits.gif_max_width or max_w
        max_h = limits.gif_max_height or max_h
    size = f"{w}x{h}"
    if limits.min_width is not None and w < limits.min_width:
        out.append(
            _finding(
                "POST304", limits, f"{size} is too narrow: {net} needs >= {limits.min_width}px"
            )
        )
    if limits.min_height is not None and h < limits.min_height:
        out.append(
            _finding(
                "POST304", limits, f"{size} is too short: {net} needs >= {limits.min_height}px"
            )
        )
    if max_w is not None and w > max_w:
        sev_code = "POST304"
        out.append(_finding(sev_code, limits, f"{size} is too wide: {net} takes <= {max_w}px"))
    if max_h is not None and h > max_h:
        out.append(_finding("POST304", limits, f"{size} is too tall: {net} takes <= {max_h}px"))
    if limits.max_pixels is not None and w * h > limits.max_pixels:
        out.append(
            _finding(
                "POST308",
                limits,
                f"{size} is {w * h:,} pixels; {net} accepts at most {limits.max_pixels:,}",
            )
        )
    aspect = w / h
    lo, hi = limits.min_aspect, limits.max_aspect
    if (lo is not None and aspect < lo * 0.995) or (hi is not None and aspect > hi * 1.005):
        want = (
            f"{_ratio(lo)} to {_ratio(hi)}"
            if lo is not None and hi is not None and not math.isclose(lo, hi)
            else _ratio(lo if lo is not None else hi or 1.0)
        )
        code = "POST309" if limits.aspect_is_advice else "POST305"
        verb = "is cropped; aim for" if limits.aspect_is_advice else "needs"
        out.append(
            _finding(
                code,
                limits,
                f"aspect ratio {_ratio(aspect)} ({size}) on {net} {limits.placement} {verb} "
                f"{want} (sociable media fit crops a copy)",
            )
        )
    return out


def check_alt(alt: str | None, limits: MediaLimits) -> list[MediaFinding]:
    """Alt text present and within the network's limit (counted in code points)."""
    if not limits.alt_supported:
        return []
    if alt is None or not alt.strip():
        return [
            _finding(
                "POST310",
                limits,
                f"no alt text: people using screen readers on {limits.network} cannot see this "
                "image (--alt)",
            )
        ]
    if limits.alt_max is not None and len(alt) > limits.alt_max:
        return [
            _finding(
                "POST311",
                limits,
                f"alt text is {len(alt)} characters; {limits.network} keeps at most "
                f"{limits.alt_max}",
            )
        ]
    return []


def check_media(
    path: Path,
    network: str,
    *,
    placement: str = "feed",
    alt: str | None = None,
    platforms: Mapping[str, Any] | None = None,
) -> list[MediaFinding]:
    """Everything wrong with one media file for one network and placement.

    Never raises for a bad file (corrupt, truncated, a decompression bomb, a missing file):
    those are findings. Raises :class:`UserError` only for an unknown network or placement.
    """
    path = Path(path)
    limits = media_limits(network, normalize_placement(placement), platforms)
    try:
        size = path.stat().st_size
    except OSError as exc:
        return [_finding("POST301", limits, f"{path.name}: cannot read ({exc.strerror or exc})")]
    if not path.is_file():
        return [_finding("POST301", limits, f"{path.name}: not a file")]
    if size == 0:
        return [_finding("POST301", limits, f"{path.name}: empty file")]
    if size > MAX_FILE_BYTES:
        return [
            _finding(
                "POST303", limits, f"{path.name}: {_mb(size)} is larger than any network takes"
            )
        ]
    if is_video(path):
        return check_video(path, limits)
    try:
        info = read_image(path)
    except DecompressionBomb as bomb:
        dims = f"{bomb.width}x{bomb.height}" if bomb.width else f"over {DECODE_PIXEL_CAP:,}"
        return [
            _finding(
                "POST308",
                limits,
                f"{path.name}: declares {dims} pixels, far more than any network accepts "
                "(not decoded: a decompression bomb?)",
            )
        ]
    except MediaReadError as exc:
        if path.suffix.lower() in HEIF_SUFFIXES and exc.unidentified:
            return _heif_findings(path, limits) + check_alt(alt, limits)
        return [_finding("POST301", limits, f"{path.name}: {exc}")]
    return check_image_info(info, limits) + check_alt(alt, limits)


def _heif_findings(path: Path, limits: MediaLimits) -> list[MediaFinding]:
    """HEIC/HEIF: Pillow cannot decode it without a plugin, so only the format is checked."""
    if "HEIF" not in limits.image_formats:
        allowed = ", ".join(sorted(limits.image_formats)) or "no images"
        return [
            _finding("POST302", limits, f"HEIC images are not accepted on {limits.network}: use "
                     f"{allowed}")
        ]  # fmt: skip
    return [
        _finding(
            "POST314",
            limits,
            f"{path.name}: HEIC image not inspected (Pillow cannot decode HEIC); only the "
            "format was checked",
        )
    ]


# -- video --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VideoInfo:
    container: str
    seconds: float | None
    width: int | None
    height: int | None
    fps: float | None
    video_codec: str | None
    audio_codec: str | None
    bytes: int


def ffprobe_path() -> str | None:
    return shutil.which("ffprobe")


def parse_ffprobe(data: Mapping[str, Any], size_bytes: int) -> VideoInfo:
    """ffprobe's ``-show_format -show_streams`` JSON into the few facts we check."""
    fmt = data.get("format") or {}
    streams = data.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)

    def _float(value: Any) -> float | None:
        try:
            out = float(value)
        except (TypeError, ValueError):
            return None
        return out if math.isfinite(out) else None

    fps = None
    width = height = None
    if video:
        rate = str(video.get("avg_frame_rate") or video.get("r_frame_rate") or "")
        num, _, den = rate.partition("/")
        n, d = _float(num), _float(den or "1")
        fps = n / d if n is not None and d else None
        width, height = video.get("width"), video.get("height")
        rotation = _rotation(video)
        if rotation in (90, 270) and width and height:
            width, height = height, width
    container = str(fmt.get("format_name") or "unknown")
    return VideoInfo(
        container=container,
        seconds=_float(fmt.get("duration")),
        width=int(width) if width else None,
        height=int(height) if height else None,
        fps=fps,
        video_codec=str(video.get("codec_name")) if video else None,
        audio_codec=str(audio.get("codec_name")) if audio else None,
        bytes=size_bytes,
    )


def _rotation(stream: Mapping[str, Any]) -> int:
    tags = stream.get("tags") or {}
    if "rotate" in tags:
        try:
            return int(tags["rotate"]) % 360
        except (TypeError, ValueError):
            return 0
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            try:
                return int(side["rotation"]) % 360
            except (TypeError, ValueError):
                return 0
    return 0


def probe_video(path: Path, ffprobe: str) -> VideoInfo:
    try:
        proc = subprocess.run(
            [
                ffprobe,
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
                str(path),
            ],
            capture_output=True,
            timeout=FFPROBE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise MediaReadError(f"ffprobe took more than {FFPROBE_TIMEOUT_S:.0f}s") from None
    if proc.returncode != 0:
        reason = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise MediaReadError(f"not a video ffprobe can read ({reason[-1] if reason else 'error'})")
    try:
        data = json.loads(proc.stdout or b"{}")
    except json.JSONDecodeError:
        raise MediaReadError("ffprobe gave unreadable output") from None
    return parse_ffprobe(data, path.stat().st_size)


def check_video_info(info: VideoInfo, limits: MediaLimits) -> list[MediaFinding]:
    out: list[MediaFinding] = []
    net = limits.network
    names = set(info.container.split(","))
    if limits.video_formats and not names & {f.lower() for f in limits.video_formats}:
        allowed = ", ".join(sorted(limits.video_formats))
        out.append(_finding("POST312", limits, f"{info.container} video: {net} accepts {allowed}"))
    if limits.video_max_bytes is not None and info.bytes > limits.video_max_bytes:
        out.append(
            _finding(
                "POST303",
                limits,
                f"video is {_mb(info.bytes)}; {net} accepts at most {_mb(limits.video_max_bytes)}",
            )
        )
    if info.seconds is not None:
        if limits.video_min_seconds is not None and info.seconds < limits.video_min_seconds:
            out.append(
                _finding(
                    "POST312",
                    limits,
                    f"video is {info.seconds:.1f}s; {net} needs >= {limits.video_min_seconds:g}s",
                )
            )
        if limits.video_max_seconds is not None and info.seconds > limits.video_max_seconds:
            out.append(
                _finding(
                    "POST312",
                    limits,
                    f"video is {info.seconds:.1f}s; {net} takes <= {limits.video_max_seconds:g}s",
                )
            )
    if (
        info.fps is not None
        and limits.video_max_fps is not None
        and info.fps > limits.video_max_fps
    ):
        out.append(
            _finding(
                "POST312", limits, f"{info.fps:.0f} fps; {net} takes <= {limits.video_max_fps:g}"
            )
        )
    if info.width and info.height:
        w, h = info.width, info.height
        if (limits.video_max_width and w > limits.video_max_width) or (
            limits.video_max_height and h > limits.video_max_height
        ):
            out.append(
                _finding(
                    "POST312",
                    limits,
                    f"video is {w}x{h}; {net} takes <= "
                    f"{limits.video_max_width or '-'}x{limits.video_max_height or '-'}",
                )
            )
        if limits.video_max_pixels and w * h > limits.video_max_pixels:
            out.append(
                _finding(
                    "POST312",
                    limits,
                    f"video frame is {w * h:,} px; {net} takes <= {limits.video_max_pixels:,}",
                )
            )
        aspect = w / h
        lo, hi = limits.video_min_aspect, limits.video_max_aspect
        if (lo is not None and aspect < lo * 0.995) or (hi is not None and aspect > hi * 1.005):
            out.append(
                _finding(
                    "POST312",
                    limits,
                    f"video aspect {_ratio(aspect)} is outside {net}'s "
                    f"{_ratio(lo or aspect)} to {_ratio(hi or aspect)}",
                )
            )
    return out


def check_video(path: Path, limits: MediaLimits) -> list[MediaFinding]:
    """ffprobe-based checks, or an info finding saying they were skipped."""
    size = path.stat().st_size
    out: list[MediaFinding] = []
    if limits.video_max_bytes is not None and size > limits.video_max_bytes:
        out.append(
            _finding(
                "POST303",
                limits,
                f"video is {_mb(size)}; {limits.network} accepts at most "
                f"{_mb(limits.video_max_bytes)}",
            )
        )
    ffprobe = ffprobe_path()
    if ffprobe is None:
        out.append(
            _finding(
                "POST313",
                limits,
                f"{path.name}: video checks skipped (ffprobe is not installed; only the file "
                "size was checked)",
            )
        )
        return out
    try:
        info = probe_video(path, ffprobe)
    except MediaReadError as exc:
        return [_finding("POST301", limits, f"{path.name}: {exc}")]
    return check_video_info(info, limits)


# -- fit ----------------------------------------------------------------------------------


def _target_aspect(aspect: float, limits: MediaLimits) -> float:
    lo, hi = limits.min_aspect, limits.max_aspect
    if lo is not None and aspect < lo:
        return lo
    if hi is not None and aspect > hi:
        return hi
    return aspect


def crop_box(
    width: int, height: int, aspect: float, focal: tuple[float, float] | None
) -> tuple[int, int, int, int]:
    """The largest box of ``aspect`` inside width x height, centred on the focal point.

    ``focal`` is (x, y) as fractions of the image (0..1); None is the centre. The box is
    shifted to stay inside the image, so a focal point near an edge still gives a full box.
    """
    fx, fy = focal if focal is not None else (0.5, 0.5)
    if not (0.0 <= fx <= 1.0 and 0.0 <= fy <= 1.0):
        raise UserError(f"focal point {focal} must be two fractions between 0 and 1")
    if width / height > aspect:  # too wide: keep full height
        new_w, new_h = max(1, round(height * aspect)), height
    else:
        new_w, new_h = width, max(1, round(width / aspect))
    left = min(max(0, round(fx * width - new_w / 2)), width - new_w)
    top = min(max(0, round(fy * height - new_h / 2)), height - new_h)
    return left, top, left + new_w, top + new_h


def _scale_for(width: int, height: int, limits: MediaLimits) -> float:
    scale = 1.0
    if limits.max_width and width > limits.max_width:
        scale = min(scale, limits.max_width / width)
    if limits.max_height and height > limits.max_height:
        scale = min(scale, limits.max_height / height)
    if limits.max_pixels and width * height > limits.max_pixels:
        scale = min(scale, math.sqrt(limits.max_pixels / (width * height)) * 0.999)
    if scale == 1.0:
        up = 1.0
        if limits.min_width and width < limits.min_width:
            up = max(up, limits.min_width / width)
        if limits.min_height and height < limits.min_height:
            up = max(up, limits.min_height / height)
        scale = up
    return scale


def _output_format(info: ImageInfo, limits: MediaLimits) -> str:
    if info.format == "GIF" and info.frames > 1 and limits.animated_ok:
        return "GIF"
    if info.format in limits.image_formats and info.format in ("JPEG", "PNG", "WEBP"):
        return info.format
    if info.has_alpha and "PNG" in limits.image_formats:
        return "PNG"
    if "JPEG" in limits.image_formats:
        return "JPEG"
    return sorted(limits.image_formats)[0] if limits.image_formats else "JPEG"


_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}


def fit_media(
    path: Path,
    network: str,
    placement: str,
    out_dir: Path,
    focal: tuple[float, float] | None = None,
    *,
    platforms: Mapping[str, Any] | None = None,
) -> Path:
    """Write an upright, cropped and resized still copy of ``path`` that passes the checks.

    Crops to the nearest accepted aspect ratio around ``focal`` (or the centre), scales into
    the pixel limits, converts to an accepted format, and lowers JPEG/WebP quality (then the
    size) until the bytes fit. An animated GIF stays animated where the network takes GIFs
    (frames resized, every n-th frame kept when there are too many); elsewhere it becomes
    its first frame. Raises :class:`UserError` for files that cannot be read or fixed.
    """
    path = Path(path)
    place = normalize_placement(placement)
    limits = media_limits(network, place, platforms)
    if is_video(path):
        raise UserError(f"{path.name}: fitting videos is not supported (re-encode with ffmpeg)")
    try:
        info = read_image(path)
    except DecompressionBomb as bomb:
        dims = f"{bomb.width}x{bomb.height}" if bomb.width else f"over {DECODE_PIXEL_CAP:,}"
        raise UserError(f"{path.name}: declares {dims} pixels; not decoded") from None
    except MediaReadError as exc:
        raise UserError(f"{path.name}: {exc}") from None
    except OSError as exc:
        raise UserError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
    out_fmt = _output_format(info, limits)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{path.stem}.{limits.network}-{place}{_SUFFIX.get(out_fmt, '.img')}"
    if out_fmt == "GIF":
        _fit_animation(path, target, limits, focal)
        return target
    with Image.open(path) as src:
        img = ImageOps.exif_transpose(src)
        assert img is not None
        img.load()
    if out_fmt == "JPEG" and img.mode != "RGB":
        img = _flatten(img)
    elif img.mode not in ("RGB", "RGBA", "L", "LA"):
        img = img.convert("RGBA" if info.has_alpha else "RGB")
    img = _crop_and_scale(img, limits, focal)
    max_bytes = _byte_cap(out_fmt, limits)
    if out_fmt == "PNG" and not info.has_alpha and "JPEG" in limits.image_formats:
        # A photo saved as PNG is often over the byte cap where the same pixels as JPEG fit:
        # switch format before losing resolution.
        img.save(target, "PNG", optimize=True)
        if max_bytes is not None and target.stat().st_size > max_bytes:
            target.unlink()
            target, out_fmt = target.with_suffix(".jpg"), "JPEG"
            img = _flatten(img)
    _save_within(img, target, out_fmt, max_bytes)
    return target


def _crop_and_scale(
    img: Image.Image, limits: MediaLimits, focal: tuple[float, float] | None
) -> Image.Image:
    """Crop to an accepted shape, then scale into the pixel limits.

    A tiny image's crop is only approximately the shape (whole pixels), and scaling it up
    magnifies the error, so the two steps repeat until both hold (at most a few rounds).
    """
    for _ in range(4):
        aspect = img.width / img.height
        want = _target_aspect(aspect, limits)
        if not math.isclose(want, aspect, rel_tol=0.002):
            img = img.crop(crop_box(img.width, img.height, want, focal))
        scale = _scale_for(img.width, img.height, limits)
        if scale != 1.0:
            size = (max(1, math.floor(img.width * scale)), max(1, math.floor(img.height * scale)))
            if scale > 1.0:  # round up so minimums are met
                size = (math.ceil(img.width * scale), math.ceil(img.height * scale))
            img = img.resize(size, Image.Resampling.LANCZOS)
        if math.isclose(_target_aspect(img.width / img.height, limits), img.width / img.height,
                        rel_tol=0.004):  # fmt: skip
            break
    return img


# Frames of an animation are held in memory while it is re-encoded: bound the total.
MAX_ANIMATION_PIXELS = 120_000_000


def _fit_animation(
    path: Path, target: Path, limits: MediaLimits, focal: tuple[float, float] | None
) -> None:
    """Crop and resize every frame of a GIF, keep its timing, and thin out extra frames."""
    from PIL import ImageSequence

    gif_limits = replace(
        limits,
        max_width=limits.gif_max_width or limits.max_width,
        max_height=limits.gif_max_height or limits.max_height,
    )
    with Image.open(path) as src:
        n = int(getattr(src, "n_frames", 1) or 1)
        step = math.ceil(n / limits.gif_max_frames) if limits.gif_max_frames else 1
        width, height = src.size
        aspect = width / height
        want = _target_aspect(aspect, gif_limits)
        box = (
            crop_box(width, height, want, focal)
            if not math.isclose(want, aspect, rel_tol=0.002)
            else (0, 0, width, height)
        )
        bw, bh = box[2] - box[0], box[3] - box[1]
        scale = _scale_for(bw, bh, gif_limits)
        kept = math.ceil(n / step)
        if bw * bh * scale * scale * kept > MAX_ANIMATION_PIXELS:
            scale = math.sqrt(MAX_ANIMATION_PIXELS / (bw * bh * kept))
        loop = src.info.get("loop", 0)
        frames: list[Image.Image] = []
        durations: list[int] = []
        for index, frame in enumerate(ImageSequence.Iterator(src)):
            if index % step:
                durations[-1] += int(frame.info.get("duration", 100) or 100)
                continue
            rgba = frame.convert("RGBA").crop(box)
            if scale != 1.0:
                size = (max(1, math.floor(bw * scale)), max(1, math.floor(bh * scale)))
                rgba = rgba.resize(size, Image.Resampling.LANCZOS)
            frames.append(rgba)
            durations.append(int(frame.info.get("duration", 100) or 100))
    max_bytes = _byte_cap("GIF", limits)
    for _ in range(8):
        frames[0].save(
            target, "GIF", save_all=True, append_images=frames[1:], duration=durations,
            loop=loop, disposal=2, optimize=True,
        )  # fmt: skip
        if max_bytes is None or target.stat().st_size <= max_bytes:
            return
        frames = [
            f.resize((max(1, int(f.width * 0.8)), max(1, int(f.height * 0.8)))) for f in frames
        ]
    target.unlink(missing_ok=True)
    raise UserError(f"{target.name}: could not get the animation under {_mb(max_bytes or 0)}")


def _flatten(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


def _byte_cap(fmt: str, limits: MediaLimits) -> int | None:
    if fmt == "GIF" and limits.gif_max_bytes:
        return limits.gif_max_bytes
    return limits.image_max_bytes


def _save_within(img: Image.Image, target: Path, fmt: str, max_bytes: int | None) -> None:
    quality = 90
    for _ in range(12):
        kwargs: dict[str, Any] = {"optimize": True}
        if fmt in ("JPEG", "WEBP"):
            kwargs["quality"] = quality
        img.save(target, fmt, **kwargs)
        if max_bytes is None or target.stat().st_size <= max_bytes:
            return
        if fmt in ("JPEG", "WEBP") and quality > 60:
            quality -= 10
        else:
            img = img.resize(
                (max(1, int(img.width * 0.85)), max(1, int(img.height * 0.85))),
                Image.Resampling.LANCZOS,
            )
    target.unlink(missing_ok=True)
    raise UserError(f"{target.name}: could not get the file under {_mb(max_bytes or 0)}")
