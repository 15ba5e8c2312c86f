"""What a click's headers say: browser family, device class, bot or person, referrer host.

Done by the flusher, not on the redirect path: ua-parser costs milliseconds per new
user-agent string, so results are cached and the redirect only copies the raw header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from ua_parser import parse

# Link-preview and crawler bots: they fetch the link to draw a card, no person clicked.
BOT_RE = re.compile(
    r"facebookexternalhit|facebookcatalog|meta-externalagent|twitterbot|slackbot|linkedinbot|"
    r"discordbot|telegrambot|whatsapp|skypeuripreview|pinterest|redditbot|embedly|"
    r"mastodon|bluesky|cardyb|iframely|applebot|googlebot|bingbot|yandex|baiduspider|"
    r"duckduckbot|petalbot|semrush|ahrefs|bot\b|bot/|crawler|spider|headlesschrome|"
    r"curl/|wget/|python-requests|python-httpx|go-http-client|okhttp|java/|libwww",
    re.IGNORECASE,
)
HOST_RE = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)
MAX_UA = 512


@dataclass(frozen=True)
class Agent:
    family: str
    device: str  # desktop, mobile, tablet, bot, other
    is_bot: bool


@lru_cache(maxsize=20_000)
def agent(ua: str) -> Agent:
    ua = ua[:MAX_UA]
    if not ua.strip():
        return Agent("Other", "other", False)
    if BOT_RE.search(ua):
        result = parse(ua)
        family = result.user_agent.family if result.user_agent else "Bot"
        return Agent(family[:64], "bot", True)
    result = parse(ua)
    family = (result.user_agent.family if result.user_agent else "Other")[:64]
    device_family = result.device.family if result.device else ""
    brand = (result.device.brand or "") if result.device else ""
    os_family = result.os.family if result.os else ""
    if device_family == "Spider":
        return Agent(family, "bot", True)
    if "tablet" in brand.lower() or device_family in ("iPad", "Kindle") or "Tablet" in ua:
        return Agent(family, "tablet", False)
    if os_family == "Android" and "Mobile" not in ua:
        return Agent(family, "tablet", False)
    if os_family in ("iOS", "Android") or "Mobile" in ua:
        return Agent(family, "mobile", False)
    if os_family in ("Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS", "Fedora", "FreeBSD"):
        return Agent(family, "desktop", False)
    return Agent(family, "other", False)


@lru_cache(maxsize=8192)  # people arrive from a few hosts, often with the same URL
def referrer_host(referer: str | None) -> str | None:
    """The referring host, lowercased, or None for anything that is not a plain http(s) URL.

    Hostile values (scripts, control characters, 10 kB strings) end up as None, never stored.
    """
    if not referer or len(referer) > 2048:
        return None
    try:
        parts = urlsplit(referer.strip())
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    host = host.rstrip(".")
    if len(host) > 253 or not HOST_RE.fullmatch(host):
        try:
            host = host.encode("idna").decode("ascii")
        except (UnicodeError, ValueError):
            return None
        if len(host) > 253 or not HOST_RE.fullmatch(host):
            return None
    return host


def country(value: str | None) -> str | None:
    """A two-letter country from a trusted proxy header; unknown codes (XX, T1) are None."""
    if not value or len(value) != 2 or not value.isascii() or not value.isalpha():
        return None
    code = value.upper()
    return None if code in ("XX", "ZZ") else code
