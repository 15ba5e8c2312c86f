"""The connector registry: a name maps to a class, an unknown name is a clear error."""

from __future__ import annotations

from typing import ClassVar

import pytest

from sociable.publish.connectors import registry
from sociable.publish.connectors.base import Capabilities, Connector, PublishRequest, PublishResult
from sociable.publish.connectors.feed import FeedConnector
from sociable.publish.connectors.webhook import WebhookConnector


def test_our_connectors_resolve() -> None:
    assert registry.connector_class("webhook") is WebhookConnector
    assert registry.connector_class("feed") is FeedConnector
    assert {"webhook", "feed", "mastodon"} <= set(registry.networks())


def test_unknown_network_names_the_known_ones() -> None:
    with pytest.raises(registry.UnknownNetwork, match="no connector for network 'myspace'"):
        registry.connector_class("myspace")


def test_register_adds_a_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_EXTRA", {})

    @registry.register
    class Pigeon(Connector):
        network: ClassVar[str] = "pigeon"
        capabilities: ClassVar[Capabilities] = Capabilities()

        def publish(self, request: PublishRequest) -> PublishResult:
            return PublishResult("coo")

        def check(self) -> str:
            return "coo"

    assert registry.connector_class("pigeon") is Pigeon
    assert "pigeon" in registry.networks()


def test_an_entry_that_does_not_import_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.CONNECTORS, "ghost", "sociable.publish.connectors.ghost:Ghost")
    with pytest.raises(registry.UnknownNetwork, match="not available"):
        registry.connector_class("ghost")


def test_every_listed_network_imports_and_names_itself() -> None:
    for network in registry.CONNECTORS:
        cls = registry.connector_class(network)
        assert cls.network == network, f"{network}: class says {cls.network!r}"
