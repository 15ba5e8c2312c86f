"""Signed webhooks for every publication state change, delivered in order, at least once.

The append-only ``publication_event`` table is the outbox. Each endpoint keeps a cursor (the
last event id it acknowledged with a 2xx); a deliverer leases the endpoint, sends the next
events one by one and moves the cursor. A failure backs off exponentially and retries the
same event, so a receiver sees each event at least once and in order; ``X-Sociable-Event-Id``
lets it drop repeats. Signed exactly like the Webhook connector's posts
(``X-Sociable-Timestamp`` and ``X-Sociable-Signature: sha256=HMAC(secret, "ts.body")``), so
one receiver verifies both. Events younger than ``SETTLE`` are held back: on PostgreSQL an event
with a lower id can commit after a higher one, and the wait lets it land first.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from sociable import net
from sociable.config import private_hosts_hint
from sociable.publish.connectors.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from sociable.store.db import Database
from sociable.store.models import Account
from sociable.store.models.notify import WebhookEndpoint
from sociable.store.models.publish import Publication, PublicationEvent, Variant

log = logging.getLogger(__name__)

SETTLE = timedelta(seconds=2)
LEASE = timedelta(seconds=60)
BATCH = 100
MAX_BACKOFF = timedelta(hours=1)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def event_payload(session: Session, event: PublicationEvent) -> dict[str, Any]:
    pub = session.get(Publication, event.publication_id)
    variant = session.get(Variant, pub.variant_id) if pub else None
    account = session.get(Account, pub.account_id) if pub and pub.account_id else None
    return {
        "id": event.id,
        "type": f"publication.{event.to_state}",
        "created_at": event.at.astimezone(UTC).isoformat(),
        "data": {
            "publication_id": event.publication_id,
            "post_id": variant.post_id if variant else None,
            "account_id": pub.account_id if pub else None,
            "network": account.network if account else None,
            "from": event.from_state,
            "to": event.to_state,
            "error": event.error,
            "worker": event.worker,
            "url": pub.url if pub else None,
            "remote_id": pub.remote_id if pub else None,
            "due_at": pub.due_at.isoformat() if pub else None,
        },
    }


def _pending_events(session: Session, endpoint: WebhookEndpoint, now: datetime) -> list[Any]:
    return list(
        session.scalars(
            select(PublicationEvent)
            .join(Publication, Publication.id == PublicationEvent.publication_id)
            .where(
                Publication.workspace_id == endpoint.workspace_id,
                PublicationEvent.id > endpoint.cursor,
                PublicationEvent.at <= now - SETTLE,
            )
            .order_by(PublicationEvent.id)
            .limit(BATCH)
        )
    )


def _lease(db: Database, now: datetime) -> list[int]:
    """Endpoints due for delivery that this process now holds (lease via a guarded UPDATE)."""
    taken = []
    with db.session() as session:
        ids = session.scalars(
            select(WebhookEndpoint.id).where(
                WebhookEndpoint.active.is_(True),
                or_(
                    WebhookEndpoint.next_attempt_at.is_(None),
                    WebhookEndpoint.next_attempt_at <= now,
                ),
                or_(WebhookEndpoint.lease_until.is_(None), WebhookEndpoint.lease_until < now),
            )
        ).all()
    for endpoint_id in ids:
        with db.session() as session:
            result = session.execute(
                update(WebhookEndpoint)
                .where(
                    WebhookEndpoint.id == endpoint_id,
                    or_(WebhookEndpoint.lease_until.is_(None), WebhookEndpoint.lease_until < now),
                )
                .values(lease_until=now + LEASE)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                taken.append(endpoint_id)
    return taken


def _backoff(failures: int) -> timedelta:
    return min(MAX_BACKOFF, timedelta(seconds=2 ** min(failures, 12)))


def deliver_endpoint(db: Database, endpoint_id: int, http: httpx.Client, now: datetime) -> int:
    """Send what this (leased) endpoint has not acknowledged yet; how many were delivered."""
    delivered = 0
    with db.session() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            return 0
        secret = endpoint.secret["secret"]
        for event in _pending_events(session, endpoint, now):
            body = json.dumps(event_payload(session, event), separators=(",", ":")).encode()
            timestamp = str(int(now.timestamp()))
            headers = {
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(secret, timestamp, body),
                "X-Sociable-Event": "publication",
                "X-Sociable-Event-Id": str(event.id),
            }
            try:
                response = http.post(endpoint.url, content=body, headers=headers)
                ok = 200 <= response.status_code < 300
                error = None if ok else f"HTTP {response.status_code}"
            except (httpx.HTTPError, net.FetchError) as exc:
                ok, error = False, f"{type(exc).__name__}: {exc}"
            if not ok:
                endpoint.failures += 1
                endpoint.last_error = f"event {event.id}: {error}"
                endpoint.next_attempt_at = now + _backoff(endpoint.failures)
                break
            endpoint.cursor = event.id
            endpoint.failures = 0
            endpoint.last_error = None
            endpoint.next_attempt_at = None
            endpoint.last_delivered_at = now
            delivered += 1
        endpoint.lease_until = None
    return delivered


def deliver_pending(
    db: Database, *, now: datetime | None = None, allow_private: bool = False
) -> int:
    """One pass over every due endpoint; safe to run in many processes at once."""
    now = now or datetime.now(UTC)
    total = 0
    for endpoint_id in _lease(db, now):
        with db.session() as session:
            endpoint = session.get(WebhookEndpoint, endpoint_id)
            private = bool(endpoint and endpoint.allow_private) or allow_private
        policy = net.NetPolicy(
            allow_private=private,
            allow_private_hint=private_hosts_hint("publish"),
            timeout=10.0,
            max_redirects=0,
        )
        with net.client(policy, follow_redirects=False) as http:
            try:
                total += deliver_endpoint(db, endpoint_id, http, now)
            except Exception:
                log.exception("webhook endpoint %s: delivery pass failed", endpoint_id)
    return total


def start_cursor(session: Session) -> int:
    """A new endpoint hears about events from now on, not the whole history."""
    last = session.scalar(select(PublicationEvent.id).order_by(PublicationEvent.id.desc()).limit(1))
    return int(last or 0)


def run_notifier(
    db: Database, stop: threading.Event, *, allow_private: bool = False, every: float = 1.0
) -> None:
    """Deliver until ``stop`` is set (``sociable serve`` runs this in a thread)."""
    while not stop.is_set():
        try:
            deliver_pending(db, allow_private=allow_private)
        except Exception:  # the database may be down for a moment: keep the thread alive
            log.exception("webhook delivery pass failed")
        stop.wait(every)
