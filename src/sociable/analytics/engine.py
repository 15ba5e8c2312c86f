"""The engine the report expressions run on: DuckDB in memory (default) or Spark.

Both are Ibis backends, so a report is one set of expressions whatever runs it. Spark is
PySpark on ``local[2]`` with its UI off and the session time zone UTC; the one session is
started once per process and reused (it takes seconds to start).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from typing import Any

import ibis
import pyarrow as pa
from ibis.backends import BaseBackend

from sociable.errors import UserError

ENGINES = ("duckdb", "spark")

_spark_lock = threading.Lock()
_spark_session: Any = None


class EngineError(UserError):
    """The analytics engine named cannot run here (unknown, or its parts are missing)."""


def check_engine(name: str) -> str:
    """``name`` as one of :data:`ENGINES`, or an EngineError naming the choices."""
    value = name.strip().lower()
    if value not in ENGINES:
        raise EngineError(f"unknown analytics engine {name!r}: choose {', '.join(ENGINES)}")
    return value


def connect(engine: str = "duckdb") -> BaseBackend:
    """A fresh Ibis backend on ``engine`` (Spark shares the process's one session)."""
    name = check_engine(engine)
    if name == "duckdb":
        return ibis.duckdb.connect()
    return ibis.pyspark.connect(spark_session())


def spark_session() -> Any:
    """The process's Spark session, started on first use."""
    global _spark_session
    with _spark_lock:
        if _spark_session is None:
            _spark_session = _start_spark()
        return _spark_session


def _start_spark() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(
            "the spark engine needs PySpark: pip install 'sociable[spark]' (and Java 17)"
        ) from None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise EngineError("the spark engine needs Java 17: install a JDK or set JAVA_HOME")
    try:
        session = (
            SparkSession.builder.master("local[2]")
            .appName("sociable-analytics")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.sql.catalogImplementation", "in-memory")
            .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="sociable-spark-"))
            .getOrCreate()
        )
    except Exception as exc:  # Java missing or broken shows up here as a py4j/runtime error
        raise EngineError(f"the spark engine could not start: {exc}") from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def load(backend: BaseBackend, name: str, table: pa.Table) -> ibis.Table:
    """``table`` as a table ``backend`` can read.

    DuckDB copies it into its in-memory database under ``name``; Spark reads it as an Ibis
    memtable (a temporary view under a name of its own), since Spark's ``create_table`` would
    write a warehouse table to disk.
    """
    if backend.name == "duckdb":
        return backend.create_table(name, table, overwrite=True)
    return ibis.memtable(table)
