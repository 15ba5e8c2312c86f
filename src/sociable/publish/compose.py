"""Turning one post into the variant for one account: lint it, refuse what won't go, adapt it.

The content layer owns the network rules. For each target account:

1. :func:`sociable.content.lint.lint_post` checks the post *as written* for the account's
   network. Any error-level finding (text over the network's limit, media the network
   rejects, a first comment too long ...) becomes a UserError naming the account and the
   finding's code, so nothing is stored: a person should decide how to shorten a post, not
   a silent cut.
2. :func:`sociable.content.adapt.adapt_post` then writes the variant: mentions mapped to the
   network's handles, hashtags trimmed to its norm, links tagged with UTM, a thread where the
   network has threads.

Networks without a record in :mod:`sociable.content.platforms` (webhook, feed) take the
text as written; they have no limit to check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sociable.content.adapt import adapt_post
from sociable.content.lint import lint_post
from sociable.content.platforms import DEFAULT_PLATFORMS, Platform, load_platforms
from sociable.content.post import PostInput
from sociable.errors import UserError
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
    if code in ("POST101", "POST102", "POST103"):
        return "text"
    if code == "POST104":
        return "first_comment"
    if code.startswith("POST3"):
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
    if network not in platforms:
        return Composed(text=spec.text, first_comment=spec.first_comment, media=media)
    post = post_input(spec, network)
    report = lint_post(post, [network], platforms=platforms)
    errors = [
        f for f in report.findings if f.severity is Severity.ERROR and f.network in (network, "*")
    ]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        field_name = _field_of(first.code)
        raise UserError(
            f"{field_name}: {first.code} {first.message} for account "
            f"{account.network}:{account.handle}{more}"
        )
    variant = adapt_post(post, [network], handles=handles, platforms=platforms)[network]
    thread = list(variant.thread) or [variant.text]
    return Composed(
        text=thread[0],
        thread=thread[1:],
        first_comment=variant.first_comment,
        media=media,
        notes=list(variant.notes),
    )
