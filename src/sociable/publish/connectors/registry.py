"""Network name -> connector class. Adding a network is one line in ``CONNECTORS``.

Entries are import paths so that a broken or heavy connector module only costs the
accounts that use it; an unknown network is a clear failure, never a crash.
"""

from __future__ import annotations

import importlib

from sociable.errors import UserError
from sociable.publish.connectors.base import Connector

#: network -> "module:Class"
CONNECTORS: dict[str, str] = {
    "webhook": "sociable.publish.connectors.webhook:WebhookConnector",
    "feed": "sociable.publish.connectors.feed:FeedConnector",
    "mastodon": "sociable.publish.connectors.mastodon:MastodonConnector",
    "bluesky": "sociable.publish.connectors.bluesky:BlueskyConnector",
    "x": "sociable.publish.connectors.x:XConnector",
    "linkedin": "sociable.publish.connectors.linkedin:LinkedInConnector",
    "facebook": "sociable.publish.connectors.facebook:FacebookConnector",
    "instagram": "sociable.publish.connectors.instagram:InstagramConnector",
    "threads": "sociable.publish.connectors.threads:ThreadsConnector",
    "reddit": "sociable.publish.connectors.reddit:RedditConnector",
    "tumblr": "sociable.publish.connectors.tumblr:TumblrConnector",
}

_EXTRA: dict[str, type[Connector]] = {}


class UnknownNetwork(UserError):
    """No connector is registered (or importable) for this network."""


def register(cls: type[Connector]) -> type[Connector]:
    """Add a connector class at run time (plugins, tests); usable as a decorator."""
    _EXTRA[cls.network] = cls
    return cls


def networks() -> list[str]:
    """Every network name that has an entry (importable or not)."""
    return sorted(set(CONNECTORS) | set(_EXTRA))


def connector_class(network: str) -> type[Connector]:
    """The connector class for ``network``, or UnknownNetwork saying why."""
    if network in _EXTRA:
        return _EXTRA[network]
    target = CONNECTORS.get(network)
    if target is None:
        raise UnknownNetwork(
            f"no connector for network {network!r} (known: {', '.join(networks())})"
        )
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
        cls = getattr(module, class_name)
    except (ImportError, AttributeError) as exc:
        raise UnknownNetwork(f"connector for {network!r} is not available: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        raise UnknownNetwork(f"{target} is not a Connector")
    return cls
