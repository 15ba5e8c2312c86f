"""Best times on real data: the UCI Facebook metrics page (Moro, Rita & Vala 2016).

Reads /work/shared/datasets/facebook_metrics/dataset_Facebook.csv with the csv module into
social_post + metric_snapshot rows of a temporary SQLite database, then:

1. checks the paper's content-type finding (a Status post draws about twice the Lifetime
   Post Consumers of link, photo or video posts) on the posts as loaded back by best times;
2. prints our best-time scores on the page's Post Weekday x Post Hour with posts per slot.

The file gives weekday 1-7 (UCI does not say which day is 1) and the hour, no date: each
row is placed on a date of its Post Month in 2014 whose weekday index is Post Weekday - 1,
in UTC, so "weekday N" below is the file's N, not a named day.
"""

from __future__ import annotations

import csv
import statistics
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import sociable.store.models  # noqa: F401
from sociable.analytics.best_times import best_times, best_times_in
from sociable.analytics.best_times_data import load_posts
from sociable.analytics.measures import content_type
from sociable.store.base import Base
from sociable.store.db import open_database
from sociable.store.models import Account, Workspace
from sociable.store.models.analytics import SocialPost, dedupe_key
from sociable.store.models.collect import MetricSnapshot

DATA = Path("/work/shared/datasets/facebook_metrics/dataset_Facebook.csv")
COLUMNS = {
    "like": "likes",
    "comment": "comments",
    "share": "shares",
    "Lifetime Post Total Reach": "reach",
    "Lifetime Post Total Impressions": "impressions",
    "Lifetime Post Consumers": "consumers",
    "Lifetime Engaged Users": "engaged_users",
    "Page total likes": "followers",
}


def posted_at(month: int, weekday: int, hour: int, n: int) -> datetime:
    day = date(2014, month, 1)
    day += timedelta(days=(weekday - 1 - day.weekday()) % 7 + 7 * (n % 4))
    return datetime(day.year, day.month, day.day, hour, n % 60, tzinfo=UTC)


def load(db, path: Path) -> int:  # type: ignore[no-untyped-def]
    with db.session() as s, path.open(newline="", encoding="utf-8") as f:
        ws = Workspace(slug="uci", name="UCI page", timezone="UTC")
        s.add(ws)
        s.flush()
        acc = Account(
            workspace_id=ws.id,
            network="facebook",
            handle="cosmetics",
            credentials=None,
            status="imported",
        )
        s.add(acc)
        s.flush()
        rows = 0
        for n, row in enumerate(csv.DictReader(f, delimiter=";"), start=2):
            at = posted_at(
                int(row["Post Month"]), int(row["Post Weekday"]), int(row["Post Hour"]), n
            )
            text = f"row {n}"
            key = dedupe_key(None, at, text)
            s.add(
                SocialPost(
                    workspace_id=ws.id,
                    account_id=acc.id,
                    network="facebook",
                    dedupe_key=key,
                    posted_at=at,
                    text=text,
                    content_type=content_type(row["Type"]),
                    hashtags=[],
                    labels=[],
                    segment=f"category {row['Category']}",
                    source="import",
                )
            )
            for column, measure in COLUMNS.items():
                if row[column].strip() == "":
                    continue  # an empty cell is unknown, not zero
                s.add(
                    MetricSnapshot(
                        workspace_id=ws.id,
                        account_id=acc.id,
                        remote_id=key,
                        network="facebook",
                        metric=measure,
                        value=int(row[column]),
                        cumulative=True,
                        api_version="import:uci",
                        taken_at=at,
                        fresh_as_of=at,
                    )
                )
            rows += 1
        return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{tmp}/uci.db")
        Base.metadata.create_all(db.engine)
        rows = load(db, DATA)
        with db.read_session() as s:
            posts = load_posts(s, 1, start=None, end=None)
            kinds = {p.id: p.content_type for p in s.query(SocialPost)}
        by_type: dict[str, list[int]] = {}
        ids = sorted(kinds)
        for pid, p in zip(ids, posts, strict=True):
            by_type.setdefault(kinds[pid] or "?", []).append(p.measures["consumers"])
        print(f"rows imported: {rows}")
        print("Lifetime Post Consumers by type (mean, median, posts):")
        for kind, values in sorted(by_type.items()):
            print(
                f"  {kind:<6} {statistics.fmean(values):8.1f}"
                f" {statistics.median(values):7.0f} {len(values):4d}"
            )
        text = statistics.fmean(by_type["text"])
        for other in ("link", "image", "video"):
            print(
                f"  text / {other}: {text / statistics.fmean(by_type[other]):.2f}x"
                " (paper: about 2x)"
            )
        result = best_times(db, 1)
        (g,) = result.groups
        print(f"best times: {g.posts} posts, base {g.base}, fallback {g.fallback}; {g.method}")
        print(
            f"  prior mean {g.prior['mean']:.4f},"
            f" between-slot var {g.prior['between_slot_var']:.3g},"
            f" within-slot var {g.prior['within_slot_var']:.3g}; notes: {g.notes}"
        )
        print("  top 8 slots (file weekday, hour): score [90% interval], posts, own mean")
        for sl in g.best(8):
            print(
                f"    weekday {sl.weekday + 1} {sl.hour:02d}h: {sl.score:.4f}"
                f" [{sl.low:.4f}, {sl.high:.4f}], {sl.posts} posts,"
                f" own {None if sl.shrunk_from is None else round(sl.shrunk_from, 4)}"
            )
        busy = sorted((sl for sl in g.slots if sl.posts), key=lambda sl: -sl.posts)[:8]
        print(
            "  busiest slots: "
            + ", ".join(f"w{sl.weekday + 1} {sl.hour:02d}h={sl.posts}" for sl in busy)
        )
        print(f"  slots with posts: {g.prior['slots_with_posts']} of 168")
        with db.read_session() as s:
            seg = best_times_in(s, 1, by="segment")
        for sg in seg.groups:
            top = sg.best(1)[0]
            print(
                f"  {sg.key}: {sg.posts} posts, best weekday {top.weekday + 1} {top.hour:02d}h"
                f" {top.score:.4f} [{top.low}, {top.high}] ({top.posts} posts)"
            )
        db.dispose()


if __name__ == "__main__":
    main()
