"""Exactly once, at full scale, on PostgreSQL: four `sociable worker` processes.

Three runs against a loopback webhook receiver that counts raw requests per Idempotency-Key:

- ``chaos``: 5,000 publications due at once; 5% of keys fail (HTTP 500), rate-limit (429) or
  hang past the client timeout; a random running worker is SIGKILLed every second and a
  replacement started. Verdict: each publication received exactly once, or visibly
  failed/unknown with a reason; none lost, none duplicated.
- ``burst``: the same 5,000 at once without faults or kills: publications per second.
- ``steady``: 100 publications due per second (``--steady-rate``) for 30 s: due-to-sent
  lag p50/p99.

The anchor, from the same run: the receiver's own ceiling, i.e. the same signed POSTs sent by
a bare thread pool with no database (requests per second). Our figure is printed beside it.

    .venv/bin/python benchmarks/publish_exactly_once.py [--runs chaos,burst,steady]
        [--publications 5000] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.publish.chaos import ChaosConfig, ChaosResult, percentile, run
from tests.publish.receiver import Receiver

from sociable import net
from sociable.publish.connectors.base import ConnectorError, PublishRequest
from sociable.publish.connectors.webhook import WebhookConnector

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def anchor(n: int, threads: int) -> float:
    """Signed webhook POSTs per second with no database at all: the ceiling here."""
    receiver = Receiver().start()
    http = net.client(net.NetPolicy(allow_private=True, timeout=5))
    conn = WebhookConnector({"secret": receiver.secret}, {"url": receiver.url}, http)

    def post(i: int) -> bool:
        try:
            conn.publish(PublishRequest(i, f"p{i}", idempotency_key=f"a{i}"))
        except ConnectorError:
            return False
        return True

    try:
        start = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            ok = sum(pool.map(post, range(n)))
        return ok / (time.perf_counter() - start)
    finally:
        http.close()
        receiver.stop()


def report(name: str, result: ChaosResult) -> dict[str, object]:
    lags = result.lags
    row = {
        "run": name,
        "publications": result.config.publications,
        "states": dict(result.states),
        "kills": result.kills,
        "settled": result.settled,
        "exactly_once": not result.problems,
        "problems": result.problems[:5],
        "duplicates": sum(1 for n in result.applied.values() if n > 1),
        "raw_requests": sum(result.raw.values()),
        "publications_per_s": round(result.throughput, 1),
        "lag_p50_s": round(percentile(lags, 0.50), 3),
        "lag_p99_s": round(percentile(lags, 0.99), 3),
    }
    print(json.dumps(row), flush=True)
    return row


def ratio(row: dict[str, object], ceiling: float) -> float:
    return float(str(row["publications_per_s"])) / ceiling


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", default="chaos,burst,steady")
    parser.add_argument("--publications", type=int, default=5000)
    parser.add_argument("--pg", default=PG)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--steady-rate", type=float, default=100.0, help="due per second")
    args = parser.parse_args()
    runs = args.runs.split(",")
    n = args.publications
    base = {"workers": 4, "concurrency": args.concurrency, "batch_size": 32}

    ceiling = anchor(min(n, 3000), threads=args.concurrency)
    print(
        json.dumps(
            {"anchor": "bare signed POSTs, no database", "requests_per_s": round(ceiling, 1)}
        )
    )
    rows = []
    ok = True
    if "chaos" in runs:
        cfg = ChaosConfig(publications=n, kill_every=1.0, settle_timeout=900, **base)
        row = report("chaos", run(args.pg, cfg))
        ok &= bool(row["exactly_once"])
        rows.append(row)
    if "burst" in runs:
        cfg = ChaosConfig(
            publications=n,
            kill_every=None,
            fault_percent=0,
            settle_timeout=900,
            **base,
        )
        row = report("burst", run(args.pg, cfg))
        ok &= bool(row["exactly_once"])
        rows.append(row)
    if "steady" in runs:
        cfg = ChaosConfig(
            publications=int(args.steady_rate * 30),
            kill_every=None,
            fault_percent=0,
            due_per_second=args.steady_rate,
            settle_timeout=900,
            **base,
        )
        row = report("steady", run(args.pg, cfg))
        ok &= bool(row["exactly_once"])
        rows.append(row)
    for row in rows:
        print(
            f"{row['run']:>6}: {row['publications_per_s']} publications/s "
            f"(anchor {ceiling:.0f} req/s, ratio {ratio(row, ceiling):.2f}); "
            f"lag p50 {row['lag_p50_s']} s, p99 {row['lag_p99_s']} s; "
            f"exactly once: {row['exactly_once']}; states {row['states']}; kills {row['kills']}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
