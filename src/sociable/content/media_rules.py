"""The POST3xx media checks, registered with :mod:`sociable.rules`.

Codes are stable: a code is never reused for a different check.
"""

from __future__ import annotations

from sociable.rules import Rule, Severity, register

CATEGORY = "media"


def _rule(code: str, title: str, why: str, fix: str, severity: Severity) -> Rule:
    return register(Rule(code, title, why, fix, severity, CATEGORY, "post"))


MEDIA_RULES: tuple[Rule, ...] = (
    _rule(
        "POST301",
        "Media file cannot be read",
        "A missing, empty, corrupt or truncated file fails at upload, often only at publish time.",
        "Export the image or video again and attach the new file.",
        Severity.ERROR,
    ),
    _rule(
        "POST302",
        "Media format not accepted",
        "Each network takes a short list of formats (Instagram's API takes JPEG only).",
        "Convert the file (`sociable media fit` writes an accepted format).",
        Severity.ERROR,
    ),
    _rule(
        "POST303",
        "Media file too large",
        "Uploads over the network's byte limit are rejected.",
        "Compress or resize the file (`sociable media fit`).",
        Severity.ERROR,
    ),
    _rule(
        "POST304",
        "Image dimensions out of range",
        "Networks reject images that are too small or too large in pixels.",
        "Resize the image (`sociable media fit`).",
        Severity.ERROR,
    ),
    _rule(
        "POST305",
        "Aspect ratio rejected",
        "Instagram and others refuse images outside their aspect-ratio range.",
        "Crop to the accepted range around the subject (`sociable media fit --focal X,Y`).",
        Severity.ERROR,
    ),
    _rule(
        "POST306",
        "Image rotated by EXIF only",
        "Some apps ignore the EXIF orientation flag and show the photo sideways.",
        "Write an upright copy (`sociable media fit`).",
        Severity.WARNING,
    ),
    _rule(
        "POST307",
        "Animation not accepted",
        "Too many GIF frames are rejected; where animation is not supported only a still shows.",
        "Shorten the animation or post a video instead.",
        Severity.ERROR,
    ),
    _rule(
        "POST308",
        "Too many pixels",
        "Over the network's pixel limit the upload fails; a file that declares a huge size "
        "may be a decompression bomb and is not decoded.",
        "Resize the image (`sociable media fit`).",
        Severity.ERROR,
    ),
    _rule(
        "POST309",
        "Image will be cropped",
        "Stories and link cards show a fixed shape; other shapes are cropped or letterboxed, "
        "often cutting the subject.",
        "Crop to the recommended shape yourself, around the subject (`--focal X,Y`).",
        Severity.WARNING,
    ),
    _rule(
        "POST310",
        "Missing alt text",
        "People using screen readers cannot see the image; networks let you describe it.",
        "Describe the image with `--alt` (what it shows, in a sentence or two).",
        Severity.WARNING,
    ),
    _rule(
        "POST311",
        "Alt text too long",
        "Alt text over the network's limit is rejected or cut.",
        "Shorten the description.",
        Severity.ERROR,
    ),
    _rule(
        "POST312",
        "Video out of spec",
        "Duration, frame rate, size, aspect ratio or container outside the network's range "
        "is rejected at upload.",
        "Re-encode or trim the video (for example with ffmpeg).",
        Severity.ERROR,
    ),
    _rule(
        "POST313",
        "Video checks skipped",
        "Without ffprobe only the file size of a video can be checked.",
        "Install ffmpeg (it provides ffprobe) to check duration, frame rate and size.",
        Severity.INFO,
    ),
    _rule(
        "POST314",
        "Image not inspected",
        "Pillow cannot decode this format (HEIC) without a plugin, so only the format and "
        "file size were checked.",
        "Export as JPEG to have it checked fully, or check it on the network.",
        Severity.INFO,
    ),
)

_SEVERITY = {r.code: r.severity for r in MEDIA_RULES}


def severity_of(code: str) -> Severity:
    """The registered severity of a media code (findings always agree with the registry)."""
    return _SEVERITY[code]
