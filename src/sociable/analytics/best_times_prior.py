"""The fallback when a group has no (or too little) history: published general guidance.

The windows live in ``best_times_guidance.toml`` with their source; a slot inside one scores
1, any other 0, with no interval (it is not an estimate from this brand's posts).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sociable.publish.slots import WEEKDAYS

DATA = Path(__file__).with_name("best_times_guidance.toml")


@dataclass(frozen=True)
class Guidance:
    network: str  # the network the windows are for, "*" for the cross-network finding
    slots: frozenset[tuple[int, int]]  # (weekday, hour) inside a window
    source: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "published guidance",
            "network": self.network,
            "own_evidence": False,
            **self.source,
        }


def _windows(raw: list[Any], where: str) -> frozenset[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    for item in raw:
        day, start, end = item
        if day not in WEEKDAYS or not (0 <= start < end <= 24):
            raise ValueError(f"{where}: bad window {item!r}")
        out.update((WEEKDAYS.index(day), h) for h in range(start, end))
    return frozenset(out)


@cache
def _table() -> tuple[dict[str, str], dict[str, frozenset[tuple[int, int]]]]:
    data = tomllib.loads(DATA.read_text(encoding="utf-8"))
    source = {k: str(v) for k, v in data["source"].items()}
    nets = {n["name"]: _windows(n["windows"], f"{DATA.name}:{n['name']}") for n in data["network"]}
    return source, nets


def guidance(network: str) -> Guidance:
    """The guidance for ``network`` (the cross-network finding when it has none of its own)."""
    source, nets = _table()
    name = network.lower()
    key = name if name in nets else "*"
    return Guidance(key, nets[key], source)
