"""Bluesky connector against a real atproto PDS from npm (``@atproto/dev-env``) on loopback.

The PDS and its PLC directory start once per module (``pds/start.js``); each test makes its
own account. Setup: ``make test`` runs ``npm ci`` in tests/publish/connectors/pds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sociable.publish.connectors.base import (
    AuthExpired,
    MediaItem,
    PublishRequest,
)
from sociable.publish.connectors.bluesky import BlueskyConnector, record_key

pytestmark = pytest.mark.slow

PDS_DIR = Path(__file__).parent / "pds"


@pytest.fixture(scope="module")
def pds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    node = shutil.which("node")
    assert node, "node is needed for the real PDS"
    assert (PDS_DIR / "node_modules" / "@atproto" / "dev-env").is_dir(), (
        f"run `npm ci` in {PDS_DIR} (make test does it)"
    )
    proc = subprocess.Popen(
        [node, "start.js"],
        cwd=PDS_DIR,
        # the PDS keeps its repos and blobs under os.tmpdir(): keep them in pytest's tmp
        env={**os.environ, "TMPDIR": str(tmp_path_factory.mktemp("pds"))},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # start.js prints one line when ready, or exits
        if not line:
            err = proc.stderr.read() if proc.stderr else ""
            pytest.fail(f"the PDS did not start: {err[-2000:]}")
        yield json.loads(line)["url"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def account(pds: str) -> dict[str, str]:
    handle = f"u{uuid.uuid4().hex[:10]}.test"
    password = "correct-horse-battery"
    response = httpx.post(
        f"{pds}/xrpc/com.atproto.server.createAccount",
        json={"handle": handle, "email": f"{handle}@example.com", "password": password},
        timeout=30,
    )
    response.raise_for_status()
    return {"handle": handle, "app_password": password}


def conn(pds: str, account: dict[str, str], http: httpx.Client) -> BlueskyConnector:
    return BlueskyConnector(dict(account), {"service": pds}, http)


def test_check_logs_in(pds: str, account: dict[str, str], http: httpx.Client) -> None:
    c = conn(pds, account, http)
    assert c.check() == "@" + account["handle"]
    assert c.credentials["did"].startswith("did:plc:")


def test_publish_image_thread_and_comment(
    pds: str, account: dict[str, str], http: httpx.Client, png: Path
) -> None:
    c = conn(pds, account, http)
    request = PublishRequest(
        1,
        "Launch #spring https://acme.example/p",
        media=(MediaItem(png, "image/png", "a red square"),),
        thread=("part two",),
        first_comment="comment",
        idempotency_key="pub-1",
    )
    result = c.publish(request)
    assert result.remote_id.endswith("/app.bsky.feed.post/" + record_key("pub-1"))
    assert "follow_up_errors" not in result.extra
    record = httpx.get(
        f"{pds}/xrpc/com.atproto.repo.getRecord",
        params={
            "repo": c.credentials["did"],
            "collection": "app.bsky.feed.post",
            "rkey": record_key("pub-1"),
        },
    ).json()["value"]
    assert record["embed"]["images"][0]["alt"] == "a red square"
    assert record["embed"]["images"][0]["image"]["mimeType"] == "image/png"
    assert {f["features"][0]["$type"] for f in record["facets"]} == {
        "app.bsky.richtext.facet#link",
        "app.bsky.richtext.facet#tag",
    }
    assert sorted(p.text for p in c.recent_posts()) == sorted(
        ["Launch #spring https://acme.example/p", "part two", "comment"]
    )


def test_a_retry_never_duplicates(pds: str, account: dict[str, str], http: httpx.Client) -> None:
    c = conn(pds, account, http)
    request = PublishRequest(2, "exactly once", thread=("and its reply",), idempotency_key="pub-2")
    assert c.reconcile(request) is None
    first = c.publish(request)
    again = conn(pds, account, http).publish(request)  # the PDS refuses the taken rkeys
    assert again.remote_id == first.remote_id
    assert sorted(p.text for p in c.recent_posts()) == ["and its reply", "exactly once"]
    found = c.reconcile(request)
    assert found is not None and found.remote_id == first.remote_id


def test_bad_token_then_refresh(pds: str, account: dict[str, str], http: httpx.Client) -> None:
    c = conn(pds, account, http)
    c.check()
    good_refresh = c.credentials["refresh_jwt"]
    c.credentials["access_jwt"] = "not-a-token"
    with pytest.raises(AuthExpired):
        c.check()
    new = c.refresh()
    assert new is not None and new["refresh_jwt"] != good_refresh
    assert c.check() == "@" + account["handle"]


def test_wrong_password_is_auth_expired(
    pds: str, account: dict[str, str], http: httpx.Client
) -> None:
    c = BlueskyConnector({**account, "app_password": "wrong"}, {"service": pds}, http)
    with pytest.raises(AuthExpired):
        c.check()
