"""Webhook: a signed JSON POST to a URL the user controls (Zapier, n8n, their own app).

Headers on every request:

- ``X-Sociable-Timestamp``: Unix seconds when it was signed
- ``X-Sociable-Signature``: ``sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`` with the
  account's secret; signing the timestamp with the body stops a replayed old request
- ``Idempotency-Key``: the publication's key, identical on every retry of it

A receiver may answer ``{"id": ..., "url": ...}``; otherwise the key is the remote id. A
receiver cannot be asked afterwards whether it got a request, so a timeout after sending stays
``unknown`` (it is never retried blindly) unless the account sets ``idempotent = true``,
promising that the receiver drops a repeated Idempotency-Key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, ClassVar

import httpx

from sociable.net import FetchError
from sociable.publish.connectors.base import (
    Capabilities,
    Connector,
    OutcomeUnknown,
    PublishRequest,
    PublishResult,
    Rejected,
    Transient,
    classify_response,
)

SIGNATURE_HEADER = "X-Sociable-Signature"
TIMESTAMP_HEADER = "X-Sociable-Timestamp"
MAX_RESPONSE_BYTES = 64 * 1024


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str,
    body: bytes,
    timestamp: str,
    signature: str,
    *,
    tolerance: float = 300.0,
    now: float | None = None,
) -> bool:
    """What a receiver does: constant-time compare, and refuse stale timestamps."""
    try:
        age = abs((time.time() if now is None else now) - float(timestamp))
    except ValueError:
        return False
    if age > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def payload(request: PublishRequest) -> dict[str, Any]:
    """The JSON document a receiver gets."""
    return {
        "publication_id": request.publication_id,
        "idempotency_key": request.idempotency_key,
        "text": request.text,
        "thread": list(request.thread),
        "first_comment": request.first_comment,
        "link": request.link,
        "media": [
            {"file": item.path.name, "mime_type": item.mime_type, "alt_text": item.alt_text}
            for item in request.media
        ],
        "fingerprint": request.fingerprint,
    }


class WebhookConnector(Connector):
    network: ClassVar[str] = "webhook"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text=True,
        max_media=20,
        media_kinds=frozenset({"image", "video", "gif"}),
        threads=True,
        first_comment=True,
    )

    @property
    def url(self) -> str:
        url = self.settings.get("url") or self.credentials.get("url")
        if not url or not isinstance(url, str):
            raise Rejected("webhook account has no url: `sociable accounts add webhook --url`")
        return url

    @property
    def idempotent(self) -> bool:
        """The receiver promised to drop a repeated Idempotency-Key (account setting)."""
        return bool(self.settings.get("idempotent", False))

    def _secret(self) -> str:
        secret = self.credentials.get("secret")
        if not secret or not isinstance(secret, str):
            raise Rejected("webhook account has no secret: `sociable accounts add webhook`")
        return secret

    def _post(self, body: bytes, key: str, *, kind: str) -> httpx.Response:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret(), timestamp, body),
            "X-Sociable-Event": kind,
        }
        url = self.url
        try:
            response = self.http.post(url, content=body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise Transient(f"webhook {url}: could not connect ({exc})") from exc
        except FetchError as exc:
            raise Rejected(f"webhook {url}: {exc}") from exc
        except httpx.HTTPError as exc:
            # Read/write timeout, dropped connection: the receiver may have acted on it.
            raise OutcomeUnknown(f"webhook {url}: {type(exc).__name__} after sending") from exc
        return response

    def publish(self, request: PublishRequest) -> PublishResult:
        body = json.dumps(payload(request), separators=(",", ":"), ensure_ascii=False).encode()
        response = self._post(body, request.idempotency_key, kind="publish")
        classify_response(response, sent=True)
        remote_id, url = request.idempotency_key, None
        text = response.content[:MAX_RESPONSE_BYTES]
        if text.strip():
            try:
                data = json.loads(text)
            except (ValueError, UnicodeDecodeError):
                data = None
            if isinstance(data, dict):
                remote_id = str(data.get("id") or remote_id)[:512]
                url = data.get("url") if isinstance(data.get("url"), str) else None
        return PublishResult(remote_id=remote_id, url=url)

    def reconcile(self, request: PublishRequest) -> PublishResult | None:
        """A plain receiver cannot be asked; an idempotent one can simply be sent again."""
        if self.idempotent:
            return self.publish(request)
        raise NotImplementedError(
            "a webhook receiver cannot be asked whether it got the request: check the "
            "receiver, then mark the publication published or reschedule it"
        )

    def check(self) -> str:
        body = json.dumps({"ping": True}).encode()
        response = self._post(body, "ping", kind="ping")
        classify_response(response, sent=False)
        return self.url
