"""X weighted-length counting: our speed and results beside ``twitter-text-parser``'s.

Usage::

    .venv/bin/python benchmarks/x_counting.py            # needs benchmarks/.side (see below)
    .venv/bin/python benchmarks/x_counting.py --setup    # create the side venv first

The anchor is the PyPI package ``twitter-text-parser`` (3.0.0, a Python port of
twitter-text), installed in its own venv ``benchmarks/.side`` so it never touches ours. It
runs in a subprocess on the same posts; both sides time only the counting loop, on one core
(this process and the subprocess run one after the other, not at the same time).

Posts: the ``text`` column of ../shared/datasets/pfizer_vaccine_tweets (8,082 real tweets,
with t.co links, emoji, hashtags). The claim checked: at least 20,000 posts/s on one core.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = SHARED / "datasets" / "pfizer_vaccine_tweets" / "vaccination_tweets.csv"
SIDE = REPO / "benchmarks" / ".side"
SIDE_PY = SIDE / "bin" / "python"
ANCHOR = "twitter-text-parser==3.0.0"
TARGET = 20_000

ANCHOR_SCRIPT = r"""
import json, sys, time
from twitter_text import parse_tweet
texts = json.load(open(sys.argv[1], encoding="utf-8"))
rounds = int(sys.argv[2])
best = float("inf")
for _ in range(rounds):
    t0 = time.process_time()
    for t in texts:
        parse_tweet(t)
    best = min(best, time.process_time() - t0)
out = [[r.weightedLength, r.valid] for r in (parse_tweet(t) for t in texts)]
json.dump({"seconds": best, "results": out}, sys.stdout)
"""


TCO = re.compile(r"https://t\.co/\w+")


def load_posts(limit: int | None, raw_links: bool = False) -> list[str]:
    with DATA.open(newline="", encoding="utf-8") as fh:
        texts = [row["text"] for row in csv.DictReader(fh) if row.get("text")]
    if raw_links:  # posts as a composer sees them: full links, not X's t.co wrappers
        texts = [
            TCO.sub(lambda m: f"https://www.example.org/news/2021/{len(m.group(0))}?ref=tw", t)
            for t in texts
        ]
    return texts[:limit] if limit else texts


def setup_side() -> None:
    subprocess.run([sys.executable, "-m", "venv", str(SIDE)], check=True)
    subprocess.run([str(SIDE_PY), "-m", "pip", "install", "-q", ANCHOR], check=True)


def time_ours(texts: list[str], rounds: int) -> tuple[float, list[tuple[int, bool]]]:
    from sociable.content.twitter import parse_tweet

    for t in texts[:200]:  # warm caches (compiled regexes, TLD table)
        parse_tweet(t)
    best = float("inf")
    for _ in range(rounds):
        t0 = time.process_time()
        for t in texts:
            parse_tweet(t)
        best = min(best, time.process_time() - t0)
    results = [(r.weighted_length, r.valid) for r in (parse_tweet(t) for t in texts)]
    return best, results


def time_anchor(texts: list[str], rounds: int) -> tuple[float, list[tuple[int, bool]]]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(texts, fh, ensure_ascii=False)
        path = fh.name
    try:
        proc = subprocess.run(
            [str(SIDE_PY), "-c", ANCHOR_SCRIPT, path, str(rounds)],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        Path(path).unlink()
    data = json.loads(proc.stdout)
    return data["seconds"], [(int(w), bool(v)) for w, v in data["results"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup", action="store_true", help="create benchmarks/.side first")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds; best is kept")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N posts")
    parser.add_argument("--show", type=int, default=10, help="disagreements to print")
    parser.add_argument(
        "--raw-links", action="store_true", help="replace t.co links by full URLs first"
    )
    args = parser.parse_args()
    if args.setup or not SIDE_PY.exists():
        if not args.setup:
            print(f"{SIDE} missing; creating it (pip install {ANCHOR})", file=sys.stderr)
        setup_side()
    texts = load_posts(args.limit, args.raw_links)
    ours_s, ours = time_ours(texts, args.rounds)
    theirs_s, theirs = time_anchor(texts, args.rounds)
    n = len(texts)
    ours_rate, theirs_rate = n / ours_s, n / theirs_s
    kind = " (t.co links replaced by full URLs)" if args.raw_links else ""
    print(f"posts: {n} real tweets from {DATA.relative_to(SHARED.parent)}{kind}")
    print("timing: best of the rounds, CPU time of one process (time.process_time)")
    print(f"sociable (content.twitter.parse_tweet): {ours_rate:>10,.0f} posts/s")
    print(f"twitter-text-parser 3.0.0:              {theirs_rate:>10,.0f} posts/s")
    print(
        f"ratio ours/anchor: {ours_rate / theirs_rate:.2f}x   target {TARGET:,} posts/s: "
        f"{'met' if ours_rate >= TARGET else 'NOT met'}"
    )
    diffs = [i for i in range(n) if ours[i] != theirs[i]]
    print(f"disagreements (weightedLength, valid): {len(diffs)} of {n}")
    for i in diffs[: args.show]:
        print(f"  ours {ours[i]} anchor {theirs[i]}: {texts[i]!r}")
    return 0 if ours_rate >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
