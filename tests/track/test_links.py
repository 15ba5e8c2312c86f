"""Short links: UTM per network, slugs, expiry, QR codes, and the publisher's text rewrite."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from sociable.config import TrackSettings
from sociable.content.utm import utm_params
from sociable.errors import UserError
from sociable.store.db import Database
from sociable.store.models.track import ShortLink
from sociable.track.links import (
    URL_RE,
    check_slug,
    create_link,
    get_link,
    parse_expiry,
    set_disabled,
    shorten_links_in_text,
)
from sociable.track.qr import write_qr

TRACK = TrackSettings(base_url="https://go.example.com/")
NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def test_utm_per_network_campaign_and_post(db: Database, workspace_id: int) -> None:
    with db.session() as session:
        link = create_link(
            session,
            "https://shop.example.com/a?ref=1#top",
            workspace_id=workspace_id,
            network="Bluesky",
            campaign="Black Friday",
            post_id=12,
        )
        paid = create_link(
            session,
            "https://shop.example.com/a",
            workspace_id=workspace_id,
            network="meta",
            medium="paid_social",
            utm={"term": "Shoes"},
        )
    assert utm_params(link.destination) == {
        "utm_source": "bluesky",
        "utm_medium": "social",
        "utm_campaign": "black_friday",
        "utm_content": "post-12",
    }
    assert link.destination.endswith("#top") and "ref=1&" in link.destination
    assert (link.network, link.campaign, link.post_id) == ("bluesky", "black_friday", 12)
    assert utm_params(paid.destination)["utm_medium"] == "paid_social"
    assert utm_params(paid.destination)["utm_term"] == "shoes"
    assert re.fullmatch(r"[A-Za-z0-9]{7}", link.code)


def test_no_network_no_tags(db: Database, workspace_id: int) -> None:
    with db.session() as session:
        link = create_link(session, "https://example.com/x", workspace_id=workspace_id)
    assert link.destination == "https://example.com/x"


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"url": "ftp://example.com"}, "url"),
        ({"url": "https://e.com", "slug": "has space"}, "slug"),
        ({"url": "https://e.com", "slug": "x" * 65}, "slug"),
        ({"url": "https://e.com", "slug": "healthz"}, "slug"),
        ({"url": "https://e.com", "utm": {"utm_color": "red"}}, "utm"),
        ({"url": "https://e.com", "utm": {"campaign": "c"}}, "utm"),  # no source
        ({"url": "https://e.com", "network": "x", "campaign": "bad\ttab\x00"}, "utm_campaign"),
    ],
)
def test_bad_input_names_the_field(db: Database, workspace_id: int, kwargs, where) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session, pytest.raises(UserError) as err:
        kw = dict(kwargs)
        create_link(session, kw.pop("url"), workspace_id=workspace_id, **kw)
    assert str(err.value).startswith(f"{where}:")


def test_taken_slug(db: Database, workspace_id: int) -> None:
    with db.session() as session:
        create_link(session, "https://e.com", workspace_id=workspace_id, slug="spring")
    with db.session() as session, pytest.raises(UserError, match="already taken"):
        create_link(session, "https://e.com/2", workspace_id=workspace_id, slug="spring")


@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", fullmatch=True))
def test_valid_slugs_accepted(slug: str) -> None:
    if slug.lower() not in {"c", "healthz"}:
        assert check_slug(slug) == slug


def test_parse_expiry() -> None:
    assert parse_expiry("30d", now=NOW) == NOW + timedelta(days=30)
    assert parse_expiry("12h", now=NOW) == NOW + timedelta(hours=12)
    assert parse_expiry("2026-04-01T10:00", now=NOW) == datetime(2026, 4, 1, 10, tzinfo=UTC)
    for bad in ("soon", "2020-01-01", "-5d"):
        with pytest.raises(UserError):
            parse_expiry(bad, now=NOW)


def test_qr_png_and_svg(tmp_path: Path) -> None:
    png = write_qr("https://go.example.com/abc", tmp_path / "q.png", kind="png")
    svg = write_qr("https://go.example.com/abc", tmp_path / "q.svg", kind="svg")
    assert png.read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in svg.read_bytes()
    with pytest.raises(UserError):
        write_qr("x", tmp_path / "q.gif", kind="gif")


def test_shorten_links_in_text(db: Database, workspace_id: int) -> None:
    text = (
        "New drop (see https://shop.example.com/new?c=1). Also https://blog.example.com/post, "
        "and https://go.example.com/already stays."
    )
    with db.session() as session:
        out = shorten_links_in_text(
            session,
            text,
            workspace_id=workspace_id,
            network="x",
            campaign="launch",
            post_id=5,
            track=TRACK,
        )
        again = shorten_links_in_text(
            session,
            text,
            workspace_id=workspace_id,
            network="x",
            campaign="launch",
            post_id=5,
            track=TRACK,
        )
        other = shorten_links_in_text(
            session,
            text,
            workspace_id=workspace_id,
            network="linkedin",
            campaign="launch",
            post_id=5,
            track=TRACK,
        )
        links = session.scalars(select(ShortLink).order_by(ShortLink.id)).all()
    codes = re.findall(r"https://go\.example\.com/(\w+)", out)
    assert len(codes) == 3 and codes[2] == "already"
    assert out.startswith("New drop (see https://go.example.com/") and ")." in out
    assert out.endswith("/already stays.")
    assert again == out  # retry-safe: same links reused
    assert other != out and len(links) == 4
    assert [link.url for link in links[:2]] == [
        "https://shop.example.com/new?c=1",
        "https://blog.example.com/post",
    ]
    assert utm_params(links[0].destination)["utm_source"] == "x"


def test_shorten_disabled_by_config(db: Database, workspace_id: int) -> None:
    off = TrackSettings(shorten_links=False)
    with db.session() as session:
        out = shorten_links_in_text(
            session, "go https://e.com", workspace_id=workspace_id, network="x", track=off
        )
        assert session.scalar(select(func.count()).select_from(ShortLink)) == 0
    assert out == "go https://e.com"


words = st.text(alphabet=st.characters(whitelist_categories=("L", "N", "Zs", "P")), max_size=30)
paths = st.from_regex(r"/[a-z0-9/_-]{0,12}", fullmatch=True)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(words, paths), min_size=1, max_size=4), words)
def test_every_url_replaced_text_kept(db: Database, workspace_id: int, parts, tail: str) -> None:  # type: ignore[no-untyped-def]
    text = "".join(f"{w} https://site{i}.example.org{p} " for i, (w, p) in enumerate(parts)) + tail
    with db.session() as session:
        out = shorten_links_in_text(
            session, text, workspace_id=workspace_id, network="x", track=TRACK
        )
    # Nothing but the URLs changed, and every URL now is a short link.
    assert URL_RE.sub("URL", out) == URL_RE.sub("URL", text)
    assert all(u.startswith("https://go.example.com/") for u in URL_RE.findall(out))


def test_link_version_counts_changes_and_deletions_not_creations(
    db: Database, workspace_id: int
) -> None:
    from sociable.track.changes import link_version

    start = link_version(db)
    with db.session() as session:
        link = create_link(session, "https://shop.example.com/a", workspace_id=workspace_id)
        other = create_link(session, "https://shop.example.com/b", workspace_id=workspace_id)
        code, other_code = link.code, other.code
    assert link_version(db) == start  # new codes are not cached as live anywhere yet
    with db.session() as session:
        session.get(ShortLink, get_link(session, code).id)  # read only
    assert link_version(db) == start
    with db.session() as session:
        set_disabled(session, code, workspace_id=workspace_id)
    assert link_version(db) == start + 1
    with db.session() as session:
        session.delete(get_link(session, other_code))
    assert link_version(db) == start + 2
    with db.session() as session:  # a change rolled back is not counted
        get_link(session, code).disabled = False
        session.flush()
        session.rollback()
    assert link_version(db) == start + 2
