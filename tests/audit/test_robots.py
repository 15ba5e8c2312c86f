"""robots.txt as our crawler and each social crawler read it; garbage never raises."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sociable.audit.context import SOCIAL_BOTS
from sociable.audit.robots import OUR_AGENT, Robots, robots_url

TXT = b"""User-agent: *
Disallow: /private/
Crawl-delay: 3

User-agent: Twitterbot
Disallow: /

User-agent: facebookexternalhit
Allow: /private/shared/
Disallow: /private/

Sitemap: https://e.com/sitemap.xml
"""


def test_groups_longest_match_and_sitemaps() -> None:
    robots = Robots.from_bytes("https://e.com/robots.txt", TXT)
    assert not robots.allowed("https://e.com/private/x", OUR_AGENT)
    assert robots.allowed("https://e.com/blog", OUR_AGENT)
    access = robots.social_access("https://e.com/private/shared/a.png")
    assert access["facebookexternalhit"] is True and access["Twitterbot"] is False
    assert access["Slackbot"] is False  # falls back to the * group
    assert set(access) == set(SOCIAL_BOTS)
    assert robots.crawl_delay(OUR_AGENT) == 3.0
    assert robots.sitemaps == ["https://e.com/sitemap.xml"]


def test_missing_or_failing_robots_allows_everything() -> None:
    for status in (404, 410, 500, None):
        robots = Robots.from_bytes("https://e.com/robots.txt", TXT, status=status)
        assert robots.allowed("https://e.com/private/x") and robots.sitemaps == []


def test_robots_url() -> None:
    assert robots_url("https://e.com:8443/a/b?c") == "https://e.com:8443/robots.txt"


@given(st.binary(max_size=2000), st.sampled_from((*SOCIAL_BOTS, OUR_AGENT)), st.text(max_size=40))
def test_garbage_never_raises(body: bytes, agent: str, path: str) -> None:
    robots = Robots.from_bytes("http://e.com/robots.txt", body)
    assert isinstance(robots.allowed(f"http://e.com/{path}", agent), bool)
    robots.crawl_delay(agent)
    assert isinstance(robots.sitemaps, list)
