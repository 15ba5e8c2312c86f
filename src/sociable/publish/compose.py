"""Turning one post into the variant for one account: lint it, refuse what won't go, adapt it.

The content layer owns the network rules. For each target account:

1. :func:`sociable.content.adapt.adapt_post` writes the variant: mentions mapped to the
   network's handles, hashtags trimmed to its norm, links tagged with UTM, a thread where the
   network has threads.
2. :func:`sociable.content.lint.lint_variant` checks that variant, what will be sent. Any
   error-level finding (media the network rejects or needs, a text adapt had to cut with
   "…", ...) becomes a UserError naming the account and the finding's code, so nothing is
   stored: a person should decide how to shorten a post, not a silent cut.
3. :func:`refusals` asks the account's connector what it declares it can do (text alone,
   media and their kinds, threads, a first comment): what the dispatcher would refuse at
   send time is refused here.

Networks without a record in :mod:`sociable.content.platforms` (webhook, feed) take the
text as written; they have no limit to check, only their connector's capabilities.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sociable.content.adapt import adapt_post
from sociable.content.lint import lint_post, lint_variant
from sociable.content.platforms import DEFAULT_PLATFORMS, Platform, load_platforms
from sociable.content.post import PostInput
from sociable.errors import UserError
from sociable.publish.connectors.base import PublishRequest
from sociable.publish.connectors.registry import UnknownNetwork, connector_class
from sociable.publish.preflight import PreflightError, check_capabilities, media_items
from sociable.publish.spec import PostSpec
from sociable.rules import Severity
from sociable.store.models import Account


@dataclass
class Composed:
    """The variant's content for one account."""

    text: str
    thread: list[str] = field(default_factory=list)  # the parts after ``text``
    first_comment: str | None = None
    media: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def post_input(spec: PostSpec, network: str) -> PostInput:
    return PostInput(
        text=spec.text,
        media=[m.path for m in spec.media],
        alt=[m.alt for m in spec.media],
        link=spec.link,
        first_comment=spec.first_comment,
        networks=[network],
        campaign=spec.campaign,
    )


def _field_of(code: str) -> str:
    """The post field a lint code is about, so an error can name it."""
    if code in ("POST101", "POST102", "POST103", "POST105"):
        return "text"
    if code == "POST104":
        return "first_comment"
    if code.startswith("POST3") or code in ("POST107", "POST108"):
        return "media"
    return "post"


def compose(
    spec: PostSpec,
    account: Account,
    platform_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    handles: Mapping[str, Mapping[str, str]] | None = None,
) -> Composed:
    """The adapted, checked content of ``spec`` for ``account``; UserError if it won't go."""
    platforms: Mapping[str, Platform] = (
        load_platforms(platform_overrides) if platform_overrides else DEFAULT_PLATFORMS
    )
    media = [m.as_json() for m in spec.media]
    network = account.network.lower()
    who = f"account {account.network}:{account.handle}"
    if network not in platforms:
        composed = Composed(text=spec.text, first_comment=spec.first_comment, media=media)
    else:
        post = post_input(spec, network)
        variant = adapt_post(post, [network], handles=handles, platforms=platforms)[network]
        source = lint_post(post, [network], platforms=platforms)
        report = lint_variant(variant, platforms=platforms, source=source)
        errors = [f for f in report.findings if f.severity is Severity.ERROR]
        if errors:
            first = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise UserError(
                f"{_field_of(first.code)}: {first.code} {first.message} for {who}{more}"
            )
        thread = list(variant.thread) or [variant.text]
        composed = Composed(
            text=thread[0],
            thread=thread[1:],
            first_comment=variant.first_comment,
            media=media,
            notes=list(variant.notes),
        )
    problems = refusals(network, composed, platforms)
    if problems:
        raise UserError(f"{_field_of_refusal(problems[0])}: {'; '.join(problems)} ({who})")
    return composed


def refusals(
    network: str, composed: Composed, platforms: Mapping[str, Platform] | None = None
) -> list[str]:
    """What the account's connector declares it cannot do with ``composed`` (empty: fine).

    The same check the dispatcher runs before sending (:func:`preflight.check_capabilities`),
    so a post an account cannot take is refused when composed, not when due. Where the
    network's record in ``platforms`` needs media, lint's POST108 already says so: the
    connector's "no text alone" is not repeated.
    """
    try:
        caps = connector_class(network).capabilities
    except UnknownNetwork:
        return []  # the account's own check names a network without a connector
    try:
        media = media_items(composed.media, "post")
    except PreflightError as exc:
        return [str(exc)]
    request = PublishRequest(
        publication_id=0,
        text=composed.text,
        media=media,
        thread=tuple(composed.thread),
        first_comment=composed.first_comment,
    )
    table = platforms if platforms is not None else DEFAULT_PLATFORMS
    if network in table and table[network].min_media and not caps.text:
        caps = dataclasses.replace(caps, text=True)
    return check_capabilities(caps, request, network)


def _field_of_refusal(problem: str) -> str:
    if "first comment" in problem:
        return "first_comment"
    if "media" in problem or "images and videos" in problem or "files (" in problem:
        return "media"
    return "text"
