"""Precision@5 of hashtag suggestions on a real account's history, beside simple baselines.

Data: ../shared/datasets/instagram_kharwal/Instagram_data.csv (176 posts of one account, one
a day, with a Date column). Time split: posts sorted by date, the last 20% are held out; the
suggestions for each held-out post see only its caption (hashtags stripped from it) and the
history before the split. A suggestion counts as a hit when the post actually used the tag.

The ranking's knobs are chosen on a validation split *inside* the training 80% (its last
20%), never on the held-out posts. Baselines from the same run:

- most-frequent: the 5 tags used most often in the training history, the same for every post;
- yake: the post's top 5 YAKE keywords written as tags;
- neighbours: the similar-posts vote alone (no keywords, no performance weighting).

Run: .venv/bin/python benchmarks/hashtags_eval.py [--csv PATH] [--k 5]
"""

from __future__ import annotations

import argparse
import itertools
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from sociable.content.hashtags import (
    HistoryIndex,
    Weights,
    keyword_candidates,
    rank_tags,
    tag_stats,
)
from sociable.content.history import PastPost, read_history

DEFAULT_CSV = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "datasets"
    / "instagram_kharwal"
    / "Instagram_data.csv"
)
TAG_IN_TEXT = re.compile(r"[#＃]\w+")

Suggester = Callable[[str], list[str]]


def caption(post: PastPost) -> str:
    return TAG_IN_TEXT.sub(" ", post.text)


def precision_at(k: int, suggester: Suggester, test: Sequence[PastPost]) -> float:
    hits = 0
    for post in test:
        used = set(post.tags)
        hits += sum(1 for t in suggester(caption(post))[:k] if t in used)
    return hits / (k * len(test))


def ours(train: Sequence[PastPost], weights: Weights) -> Suggester:
    index = HistoryIndex(train, weights.half_life)
    stats, _ = tag_stats(train, weights.shrink)

    def run(text: str) -> list[str]:
        ranked = rank_tags(text, train, weights=weights, index=index, stats=stats)
        return [s.tag for s in ranked]

    return run


def most_frequent(train: Sequence[PastPost]) -> Suggester:
    counts = Counter(t for p in train for t in p.tags)
    top = [t for t, _ in counts.most_common(20)]
    return lambda text: top


def yake_only(text: str) -> list[str]:
    return [t for t, _ in keyword_candidates(text)]


def neighbours_only(train: Sequence[PastPost], k: int) -> Suggester:
    index = HistoryIndex(train, None)

    def run(text: str) -> list[str]:
        votes = index.neighbour_votes(text, k)
        return [t for t, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))]

    return run


GRID = {
    "neighbours": (5, 10, 20, 40),
    "prior": (0.25, 0.5, 1.0, 2.0),
    "keyword": (0.0, 0.3, 0.6, 1.0),
    "half_life": (None, 30.0, 60.0, 120.0),
}


def tune(train: Sequence[PastPost], k: int) -> tuple[Weights, float]:
    """Grid search on the last 20% of the training posts (performance exponent fixed at 0)."""
    cut = int(len(train) * 0.8)
    fit, valid = train[:cut], train[cut:]
    best: tuple[float, Weights] | None = None
    for values in itertools.product(*GRID.values()):
        w = Weights(**dict(zip(GRID, values, strict=True)), performance=0.0)
        score = precision_at(k, ours(fit, w), valid)
        if best is None or score > best[0]:
            best = (score, w)
    assert best is not None
    return best[1], best[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    k = args.k

    history = read_history(args.csv)
    if history.errors:
        print(f"{len(history.errors)} rows rejected:", *history.errors[:5], sep="\n  ")
    order = "Date column" if history.has_dates else "file order (no date column)"
    posts = history.in_time_order()
    cut = int(len(posts) * 0.8)
    train, test = posts[:cut], posts[cut:]
    first, last = test[0].when, test[-1].when
    print(f"{args.csv.name}: {len(posts)} posts, time order from the {order}")
    print(f"train {len(train)} posts, held out {len(test)} ({first:%Y-%m-%d} .. {last:%Y-%m-%d})")
    print(f"mean tags per held-out post: {sum(len(p.tags) for p in test) / len(test):.1f}")

    start = time.perf_counter()
    tuned, valid_score = tune(train, k)
    print(
        f"tuned on the validation split in {time.perf_counter() - start:.1f}s: "
        f"neighbours={tuned.neighbours} prior={tuned.prior} keyword={tuned.keyword} "
        f"half_life={tuned.half_life} (validation P@{k} {valid_score:.3f})"
    )
    rows = [
        ("most-frequent (baseline)", most_frequent(train)),
        ("yake alone (baseline)", yake_only),
        (f"neighbours alone, k={tuned.neighbours}", neighbours_only(train, tuned.neighbours)),
        ("ours, defaults, performance 0.5", ours(train, Weights())),
        ("ours, tuned, performance 0", ours(train, tuned)),
        ("ours, tuned, performance 0.5", ours(train, replace(tuned, performance=0.5))),
    ]
    print(f"\n{'method':<36} P@{k}   hits of {k * len(test)}")
    for name, suggester in rows:
        p = precision_at(k, suggester, test)
        print(f"{name:<36} {p:.3f}  {round(p * k * len(test))}")


if __name__ == "__main__":
    main()
