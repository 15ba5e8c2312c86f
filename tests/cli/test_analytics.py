"""`sociable analytics collect | status` as a person runs them, against mastodon-mock."""

from __future__ import annotations

import httpx
import pytest
from mastodon_mock.testing.server import MockServer

from tests.cli.test_accounts import Ws, mastodon, ws

__all__ = ["mastodon", "ws"]  # fixtures shared with the accounts tests


def test_collect_then_status_per_account(ws: Ws, mastodon: MockServer) -> None:
    httpx.post(f"{mastodon.base_url}/api/v1/_mock/reset").raise_for_status()
    for name, token in (("good", "alice_token"), ("bad", "revoked-secret")):
        added = ws.run(
            "accounts",
            "add",
            "mastodon",
            "--name",
            name,
            "--instance",
            mastodon.base_url,
            "--token",
            token,
        )
        assert added.code == 0, added.err
    assert "nothing collected yet" in ws.run("analytics", "status").out

    result = ws.run("analytics", "collect", "--allow-private")
    assert result.code == 0, result.err
    lines = result.out.strip().splitlines()
    assert len(lines) == 2
    good, bad = sorted(lines, key=lambda line: "errors" in line)
    assert "snapshots" in good and "errors" not in good
    assert "AuthExpired" in bad and "revoked-secret" not in result.out  # never the token

    again = ws.run("analytics", "collect", "--allow-private")
    assert again.code == 0, again.err
    # an instant later nothing is due: the readings are fresh, the failure waits its retry
    assert [line.split(":")[1] for line in again.out.strip().splitlines()] == ["good", "bad"]
    assert all("nothing due" in line for line in again.out.strip().splitlines())

    status = ws.run("analytics", "status").out
    assert "account_metrics" in status and "post_metrics" in status
    assert "error: AuthExpired" in status


def test_collect_refuses_loopback_without_allow_private(ws: Ws, mastodon: MockServer) -> None:
    ws.run("accounts", "add", "mastodon", "--instance", mastodon.base_url, "--token", "alice_token")
    result = ws.run("analytics", "collect")
    assert result.code == 0
    assert "Transient" in result.out and "--allow-private" in result.out


def test_the_worker_collects_beside_publishing(
    ws: Ws, mastodon: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCIABLE_COLLECT__ALLOW_PRIVATE", "true")
    ws.run("accounts", "add", "mastodon", "--instance", mastodon.base_url, "--token", "alice_token")
    skipped = ws.run("worker", "--once", "--no-collect")
    assert skipped.code == 0, skipped.err
    assert "nothing collected yet" in ws.run("analytics", "status").out

    result = ws.run("worker", "--once")
    assert result.code == 0, result.err
    assert "snapshots" in result.err and "errors" not in result.err
    status = ws.run("analytics", "status").out
    assert "account_metrics: last run" in status and "error" not in status
