"""Secrets the web layer derives and checks: session signing key, API tokens, CSRF."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "soc_"  # noqa: S105 - a public prefix, not a secret


def derive_key(master: bytes, purpose: str) -> str:
    """A key for one purpose, derived from the workspace secret so one file holds all."""
    return hmac.new(master, purpose.encode(), hashlib.sha256).hexdigest()


def new_api_token() -> tuple[str, str, str]:
    """(token shown once, its display prefix, its stored hash)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token[:12], hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
