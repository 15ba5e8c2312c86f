"""What the dispatcher checks before any request: the request itself, and the lint.

A publication that the network would reject is failed here with the reason, before a single
byte is sent, so a bad post never becomes a network error (or a half-posted thread).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sociable.publish.connectors.base import Capabilities, MediaItem, PublishRequest
from sociable.store.models.publish import Post, Publication, Variant

log = logging.getLogger(__name__)

#: (network, request) -> the reasons the network would refuse it (empty when fine)
Linter = Callable[[str, PublishRequest], list[str]]


class PreflightError(Exception):
    """The publication cannot be sent as it is; ``str()`` is the reason a person reads."""


def media_items(entries: list[Any], where: str) -> tuple[MediaItem, ...]:
    items = []
    for index, entry in enumerate(entries or []):
        if isinstance(entry, str):
            entry = {"path": entry}
        if not isinstance(entry, dict) or not entry.get("path"):
            raise PreflightError(f"{where} media #{index + 1}: no path")
        path = Path(str(entry["path"]))
        mime = str(entry.get("mime_type") or _guess_mime(path))
        items.append(MediaItem(path=path, mime_type=mime, alt_text=str(entry.get("alt") or "")))
    return tuple(items)


def _guess_mime(path: Path) -> str:
    import mimetypes

    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def build_request(publication: Publication, variant: Variant, post: Post) -> PublishRequest:
    """The connector's input: the variant's own text and media, else the post's."""
    text = variant.text or post.source_text
    media = media_items(variant.media or post.media, f"post {post.id}")
    return PublishRequest(
        publication_id=publication.id,
        text=text,
        media=media,
        thread=tuple(variant.thread or ()),
        first_comment=variant.first_comment,
        link=post.link,
        idempotency_key=publication.idempotency_key,
    )


def media_kind(mime_type: str) -> str:
    """The capability kind of a medium: gif, image, video, audio, or its MIME type."""
    if mime_type == "image/gif":
        return "gif"
    major = mime_type.partition("/")[0]
    return major if major in ("image", "video", "audio") else mime_type


def check_capabilities(caps: Capabilities, request: PublishRequest, network: str) -> list[str]:
    """What the connector itself declares it cannot do."""
    problems = []
    if not request.text.strip() and not request.media:
        problems.append("nothing to publish: no text and no media")
    elif not caps.text and not request.media:
        problems.append(f"{network} publishes images and videos: attach one to the text")
    if caps.max_media == 0 and request.media:
        problems.append(f"{network} cannot publish media through this app")
    elif len(request.media) > caps.max_media:
        problems.append(f"{len(request.media)} media files; {network} takes {caps.max_media}")
    elif caps.media_kinds:
        for item in request.media:
            kind = media_kind(item.mime_type)
            if kind not in caps.media_kinds:
                problems.append(f"{network} cannot publish {kind} files ({item.path.name})")
    if request.thread and not caps.threads:
        problems.append(f"{network} cannot publish a thread")
    if request.first_comment and not caps.first_comment:
        problems.append(f"{network} cannot add a first comment")
    for item in request.media:
        if not item.path.is_file():
            problems.append(f"media file {item.path} is missing")
    return problems


@functools.cache
def _platforms() -> dict[str, Any]:
    from sociable.content.platforms import load_platforms

    return load_platforms()


def content_lint(network: str, request: PublishRequest) -> list[str]:
    """The posts layer's lint (:func:`sociable.content.lint.lint_post`), errors only.

    Warnings are the composer's business; only what the network would refuse blocks a send.
    Networks the posts layer has no facts for (webhook, feed) have nothing to check.
    """
    table = _platforms()
    if network not in table:
        return []
    from sociable.content.lint import lint_post
    from sociable.content.post import PostInput
    from sociable.rules import Severity

    reasons: list[str] = []
    parts = [request.text, *request.thread]
    for index, text in enumerate(parts):
        post = PostInput(
            text=text,
            media=[str(item.path) for item in request.media] if index == 0 else [],
            alt=[item.alt_text for item in request.media] if index == 0 else [],
            link=request.link if index == 0 else None,
            first_comment=request.first_comment if index == 0 else None,
            networks=[network],
        )
        report = lint_post(post, [network], platforms=table)
        where = f"thread part {index + 1}: " if index else ""
        reasons += [
            f"{where}{f.code} {f.message}" for f in report.findings if f.severity is Severity.ERROR
        ]
    return reasons


def preflight(
    network: str, caps: Capabilities, request: PublishRequest, linter: Linter = content_lint
) -> None:
    """Raise PreflightError with every reason the network would refuse ``request``."""
    problems = check_capabilities(caps, request, network)
    try:
        problems += linter(network, request)
    except (TypeError, ValueError, KeyError, LookupError) as exc:
        log.warning("lint for %s could not run: %s", network, exc)
    if problems:
        raise PreflightError("; ".join(problems))
