"""The read side's contract for every registered connector: a capability flag is true
exactly when the method is implemented, and an ability it lacks raises NotSupported before
any request leaves."""

from __future__ import annotations

import httpx
import pytest

from sociable.publish.connectors.base import Connector, NotSupported
from sociable.publish.connectors.registry import connector_class, networks

READS = {"account_metrics": (), "post_metrics": (["1"],), "account_posts": ()}


def no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"a request left: {request.method} {request.url}")


@pytest.mark.parametrize("network", networks())
def test_flags_match_methods_and_missing_reads_are_not_supported(network: str) -> None:
    cls = connector_class(network)
    with httpx.Client(transport=httpx.MockTransport(no_network)) as http:
        conn = cls({}, {}, http)
        for name, args in READS.items():
            implemented = getattr(cls, name) is not getattr(Connector, name)
            assert getattr(cls.capabilities, name) == implemented, (network, name)
            if not implemented:
                with pytest.raises(NotSupported, match=network):
                    getattr(conn, name)(*args)
