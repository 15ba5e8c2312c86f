"""A large CSV import: time and peak memory of `import_posts` beside csv.reader on the same file.

Generates N rows (default 100,000) of our columns for one Mastodon account, each at its own
time, and runs each side in a fresh child process so peak RSS is that side's alone:

- ours: ``import_posts`` into a migrated SQLite database (every row checked, linted,
  adapted, stored), in one transaction, as ``sociable import`` does;
- anchor: Python's ``csv.reader`` reading the same file row by row and doing nothing else
  (the floor: what reading the file costs), and a Python interpreter with our package
  imported and nothing run (the memory floor of any import).

    .venv/bin/python benchmarks/import_rows.py [--rows 100000]

Run it with PYTHONPATH pointing at another checkout's src/ to measure that version.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def write_csv(path: Path, rows: int) -> None:
    start = datetime(2031, 1, 6, 9, 0, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["scheduled_at", "accounts", "text"])
        for i in range(rows):
            when = (start + timedelta(minutes=15 * i)).strftime("%Y-%m-%dT%H:%MZ")
            w.writerow([when, "mastodon", f"Post {i}"])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child_ours(csv_path: Path, db_path: Path) -> dict[str, float]:
    from sqlalchemy import func, select

    from sociable.publish.importers import import_posts
    from sociable.store import migrate
    from sociable.store.db import open_database
    from sociable.store.models import Account, Workspace
    from sociable.store.models.publish import Publication
    from sociable.store.secrets import SecretBox, generate_key, use_box

    use_box(SecretBox(generate_key()))
    db = open_database(f"sqlite:///{db_path}")
    migrate.upgrade(db)
    with db.session() as s:
        ws = Workspace(slug="bench", name="Bench", timezone="Europe/Paris")
        s.add(ws)
        s.flush()
        s.add(Account(workspace_id=ws.id, network="mastodon", handle="@acme@m.social", settings={}))
    t0 = time.perf_counter()
    with db.session() as s:
        ws = s.scalars(select(Workspace)).one()
        report = import_posts(s, ws, csv_path, now=datetime(2030, 1, 1, tzinfo=UTC))
    seconds = time.perf_counter() - t0
    assert not report.problems, report.problems[:3]
    with db.session() as s:
        stored = s.scalar(select(func.count()).select_from(Publication))
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "publications": float(stored or 0)}


def child_anchor(csv_path: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    with csv_path.open(newline="", encoding="utf-8") as fh:
        rows = sum(1 for _ in csv.reader(fh))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "rows": float(rows)}


def child_baseline() -> dict[str, float]:
    # What any import loads first.
    import sociable.publish.importers
    import sociable.store.models  # noqa: F401

    return {"seconds": 0.0, "peak_rss_mb": peak_rss_mb()}


def run_child(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *paths = args.child
        if kind == "ours":
            result = child_ours(Path(paths[0]), Path(paths[1]))
        elif kind == "anchor":
            result = child_anchor(Path(paths[0]))
        else:
            result = child_baseline()
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "posts.csv"
        write_csv(path, args.rows)
        size = path.stat().st_size
        anchor = run_child("anchor", str(path))
        baseline = run_child("baseline")
        ours = run_child("ours", str(path), str(tmp / "bench.db"))
    n = args.rows
    print(f"rows: {n:,} ({size / 1e6:.1f} MB), one account, SQLite")
    print(
        f"anchor csv.reader:            {anchor['seconds']:7.2f} s  "
        f"{n / anchor['seconds']:>10,.0f} rows/s  peak RSS {anchor['peak_rss_mb']:6.0f} MB"
    )
    floor = baseline["peak_rss_mb"]
    print(f"anchor interpreter + imports: {'':39}peak RSS {floor:6.0f} MB")
    print(
        f"ours import_posts:            {ours['seconds']:7.2f} s  "
        f"{n / ours['seconds']:>10,.0f} rows/s  peak RSS {ours['peak_rss_mb']:6.0f} MB"
        f"  ({ours['publications']:,.0f} publications stored)"
    )


if __name__ == "__main__":
    main()
