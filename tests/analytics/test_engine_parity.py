"""Every report kind on DuckDB and on Spark (local[2]) over the same data: the same rows.

One SQLite database built once and one Spark session for the module (Spark takes seconds to
start), so this runs once, not per database backend.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

import sociable.store.models  # noqa: F401
from sociable.analytics.reports import run_report
from sociable.store.base import Base
from sociable.store.db import Database, open_database
from tests.analytics.builder import Builder, utc

pytestmark = pytest.mark.slow

CASES = [
    ("engagement", []),
    ("engagement", ["network", "label"]),
    ("engagement", ["weekday", "hour"]),
    ("cadence", []),
    ("cadence", ["hashtag"]),
    ("cadence", ["account", "content_type"]),
    ("growth", []),
    ("growth", ["network"]),
    ("funnel", ["campaign"]),
    ("funnel", ["network", "segment"]),
    ("funnel", ["post"]),
    ("top", []),
    ("top", ["network"]),
]
START, END = date(2026, 10, 1), date(2026, 11, 30)


@pytest.fixture(scope="module")
def spark_ready() -> None:
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        if os.environ.get("CI"):
            pytest.fail("Java is needed for the Spark parity test and CI is set")
        pytest.skip("no Java (JAVA_HOME or java on PATH): the Spark engine cannot start here")
    from sociable.analytics.engine import spark_session

    spark_session()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, int]]:
    path: Path = tmp_path_factory.mktemp("parity") / "parity.db"
    db = open_database(f"sqlite:///{path}")
    Base.metadata.create_all(db.engine)
    b = Builder(db, timezone="Europe/Paris", slug="parity")
    networks = [("x", "@x"), ("bluesky", "@b"), ("linkedin", "@l")]
    for n, (net, handle) in enumerate(networks):
        for d in range(0, 60, 10):
            b.followers(net, handle, 1000 + 37 * d + n, utc(2026, 10, 1) + timedelta(days=d))
    for i in range(45):
        net, handle = networks[i % 3]
        at = utc(2026, 10, 2) + timedelta(hours=29 * i + 7)
        metrics = {"likes": (i * 7) % 23, "comments": i % 4}
        if net == "x":
            metrics["impressions"] = 300 + 11 * i
        if net == "linkedin":
            metrics["reach"] = 200 + 5 * i
            metrics["impressions"] = 400 + 5 * i
        b.post(
            net,
            handle,
            at,
            metrics=metrics,
            labels=[["a"], ["a", "b"], []][i % 3 if i % 2 else 0],
            hashtags=[f"h{i % 4}"] if i % 5 else [],
            content_type=["text", "image", "video"][i % 3],
            campaign=["spring", None][i % 2],
            segment=["s1", "s2", None][i % 3],
            post_id=100 + i,
        )
        if i % 4 == 0:
            link = b.link(f"k{i}", post_id=100 + i, network=net, campaign="spring")
            clicks = [b.click(link, f"k{i}", at + timedelta(hours=h + 1)) for h in range(3)]
            b.conversion(
                f"o{i}", at + timedelta(hours=5), 1000 + i, ["EUR", "USD"][i % 2], clicks[:1]
            )
    try:
        yield db, b.workspace_id
    finally:
        db.dispose()


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def test_duckdb_and_spark_give_the_same_reports(
    spark_ready: None, data: tuple[Database, int]
) -> None:
    db, ws = data
    for kind, by in CASES:
        duck = run_report(db, ws, kind, by=by, start=START, end=END, engine="duckdb", limit=3)
        spark = run_report(db, ws, kind, by=by, start=START, end=END, engine="spark", limit=3)
        assert duck.rows, (kind, by)
        assert same(duck.rows, spark.rows), (kind, by, duck.rows, spark.rows)
        assert same(duck.comparisons, spark.comparisons), (kind, by)
        assert duck.notes == spark.notes, (kind, by)
