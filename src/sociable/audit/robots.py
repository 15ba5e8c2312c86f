"""robots.txt: what our crawler may fetch, and what each social network's crawler sees.

Parsing is protego's (Google's robots spec: longest match wins, ``Allow`` beats ``Disallow`` on
a tie, unknown lines are skipped), so a garbage file never raises: it simply has no rules.
Fetch outcomes follow Google's documentation for crawlers: a 4xx means "no robots.txt, crawl
everything"; a 5xx or a network failure also lets the audit go on, but is kept as ``error``
so the report can say the social crawlers may be shut out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

from sociable.audit.context import SOCIAL_BOTS

# Our documented user agent token (the full header is net.USER_AGENT).
OUR_AGENT = "SociableBot"

# Google reads the first 500 KiB of a robots.txt and ignores the rest.
MAX_ROBOTS_BYTES = 500 * 1024


@dataclass
class Robots:
    """One host's robots.txt, parsed (or empty when there is none)."""

    url: str
    status: int | None = None
    error: str | None = None
    text: str = ""
    _parser: Protego = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._parser = Protego.parse(self.text)

    @classmethod
    def from_bytes(
        cls, url: str, body: bytes, status: int | None = 200, error: str | None = None
    ) -> Robots:
        """Robots from a fetched body; anything but a 2xx body means no rules."""
        text = ""
        if status is not None and 200 <= status < 300:
            text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
            # A NUL or other binary junk: protego copes, but drop it so lines still split.
            text = text.replace("\x00", "")
        return cls(url=url, status=status, error=error, text=text)

    def allowed(self, url: str, agent: str = OUR_AGENT) -> bool:
        try:
            return bool(self._parser.can_fetch(url, agent))
        except Exception:  # a parser oddity must not stop a crawl
            return True

    def crawl_delay(self, agent: str = OUR_AGENT) -> float | None:
        try:
            delay = self._parser.crawl_delay(agent)
        except Exception:
            return None
        return float(delay) if delay is not None else None

    @property
    def sitemaps(self) -> list[str]:
        try:
            return [str(s) for s in self._parser.sitemaps]
        except Exception:
            return []

    def social_access(self, url: str) -> dict[str, bool]:
        """For each social crawler token: may it fetch ``url``?"""
        return {agent: self.allowed(url, agent) for agent in SOCIAL_BOTS}


def robots_url(url: str) -> str:
    """The robots.txt that governs ``url`` (scheme, host and port matter)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"
