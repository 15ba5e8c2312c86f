"""Clicks per day (the chart's series) against a plain count, for any set of clicks."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from sociable.store.db import Database
from sociable.store.models import Workspace
from sociable.store.models.track import Click, ShortLink
from sociable.web.api.links import daily_clicks

TODAY = date(2026, 3, 29)  # a DST change in Europe: days stay UTC days

clicks_strategy = st.lists(
    st.tuples(
        st.integers(min_value=-3, max_value=12),  # days before TODAY (negative: the future)
        st.integers(min_value=0, max_value=24 * 3600 - 1),  # second of that UTC day
        st.booleans(),  # a bot
    ),
    max_size=40,
)


def test_daily_series_match_a_plain_count(db: Database) -> None:
    with db.session() as s:
        ws = Workspace(slug="w", name="W")
        s.add(ws)
        s.flush()
        link = ShortLink(workspace_id=ws.id, code="c", url="https://a.example/",
                         destination="https://a.example/")  # fmt: skip
        other = ShortLink(workspace_id=ws.id, code="d", url="https://a.example/",
                          destination="https://a.example/")  # fmt: skip
        s.add_all([link, other])
        s.flush()
        link_id, other_id = link.id, other.id

    @given(clicks=clicks_strategy, days=st.integers(min_value=1, max_value=10))
    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def check(clicks: list[tuple[int, int, bool]], days: int) -> None:
        with db.session() as s:
            s.execute(delete(Click))
            for i, (back, second, bot) in enumerate(clicks):
                day = TODAY - timedelta(days=back)
                at = datetime.combine(day, time(), tzinfo=UTC) + timedelta(seconds=second)
                s.add(Click(click_id=f"k{i}", link_id=link_id, code="c", at=at,
                            visitor=f"v{i}", is_bot=bot))  # fmt: skip
            # Another link's clicks never count.
            s.add(Click(click_id="other", link_id=other_id, code="d",
                        at=datetime.combine(TODAY, time(12), tzinfo=UTC), visitor="x"))  # fmt: skip
        with db.session() as s:
            found = s.get(ShortLink, link_id)
            assert found is not None
            stats = daily_clicks(s, found, days, TODAY)
        first = TODAY - timedelta(days=days - 1)
        assert stats.days == [(first + timedelta(days=i)).isoformat() for i in range(days)]
        people: Counter[str] = Counter()
        bots: Counter[str] = Counter()
        for back, _, bot in clicks:
            day = TODAY - timedelta(days=back)
            if day >= first:
                (bots if bot else people)[day.isoformat()] += 1
        # Clicks stamped after TODAY (clock skew) are after the window's last day: not drawn.
        assert stats.clicks == [people[d] for d in stats.days]
        assert stats.bot_clicks == [bots[d] for d in stats.days]
        assert stats.total == sum(stats.clicks)

    check()
