"""The metrics each network offers, as data (``metrics.toml`` beside this module).

One place to edit when a network renames or drops a metric: connectors ask
:func:`requestable` for the names to read, so a name past its ``deprecated_on`` date is
never requested again (Meta's insights calls fail whole on one bad name, error #100).
Each name maps to a canonical ``measure``
(:mod:`sociable.analytics.measures`), the vocabulary reports speak. This module knows no HTTP
and imports nothing from the connectors.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

from sociable.analytics.measures import MEASURES
from sociable.errors import UserError

DATA = Path(__file__).with_name("metrics.toml")
Scope = Literal["post", "account"]
SCOPES: tuple[Scope, ...] = ("post", "account")
Via = Literal["fields", "insights"]
VIAS: tuple[Via, ...] = ("fields", "insights")


class CatalogError(UserError):
    """The metrics file is malformed; the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class Metric:
    network: str
    name: str
    scope: Scope
    meaning: str
    api_version: str
    source: str
    deprecated_on: date | None = None
    via: Via = "fields"
    # The canonical measure reports read it as (sociable.analytics.measures.MEASURES); None
    # for a number no report uses (LinkedIn's own engagement ratio).
    measure: str | None = None

    def live_on(self, day: date) -> bool:
        """Still served on ``day`` (a metric dies on its deprecation date)."""
        return self.deprecated_on is None or day < self.deprecated_on


@dataclass(frozen=True, slots=True)
class Catalog:
    metrics: tuple[Metric, ...]
    checked: dict[str, date]

    def of(self, network: str, scope: Scope | None = None) -> list[Metric]:
        return [
            m for m in self.metrics if m.network == network and (scope is None or m.scope == scope)
        ]

    def get(self, network: str, name: str) -> Metric | None:
        return next((m for m in self.metrics if m.network == network and m.name == name), None)

    def networks(self) -> list[str]:
        return sorted({m.network for m in self.metrics})


def parse(data: dict[str, Any], where: str) -> Catalog:
    """Validate the TOML document ``data``; ``where`` names it in errors."""
    metrics: list[Metric] = []
    checked: dict[str, date] = {}
    for network, section in data.items():
        at = f"{where}: [{network}]"
        if not isinstance(section, dict):
            raise CatalogError(f"{at} must be a table")
        unknown = set(section) - {"api_version", "source", "checked", "metrics"}
        if unknown:
            raise CatalogError(f"{at}: unknown field(s) {', '.join(sorted(unknown))}")
        version = _text(section, "api_version", at)
        source = _url(section, "source", at)
        checked[network] = _date(section.get("checked"), f"{at}.checked", required=True)  # type: ignore[assignment]
        rows = section.get("metrics")
        if not isinstance(rows, list) or not rows:
            raise CatalogError(f"{at}.metrics must be a non-empty list")
        seen: set[str] = set()
        for index, row in enumerate(rows):
            here = f"{at}.metrics[{index}]"
            if not isinstance(row, dict):
                raise CatalogError(f"{here} must be a table")
            unknown = set(row) - {
                "name",
                "scope",
                "meaning",
                "api_version",
                "deprecated_on",
                "source",
                "via",
                "measure",
            }
            if unknown:
                raise CatalogError(f"{here}: unknown field(s) {', '.join(sorted(unknown))}")
            name = _text(row, "name", here)
            if name in seen:
                raise CatalogError(f"{here}.name: {name!r} is listed twice")
            seen.add(name)
            scope = row.get("scope")
            if scope not in SCOPES:
                raise CatalogError(f"{here}.scope must be one of {SCOPES}, not {scope!r}")
            via = row.get("via", "fields")
            if via not in VIAS:
                raise CatalogError(f"{here}.via must be one of {VIAS}, not {via!r}")
            measure = row.get("measure")
            if measure is not None and measure not in MEASURES:
                raise CatalogError(
                    f"{here}.measure must be one of {', '.join(MEASURES)}, not {measure!r}"
                )
            metrics.append(
                Metric(
                    network=network,
                    name=name,
                    scope=scope,
                    meaning=_text(row, "meaning", here),
                    api_version=_text(row, "api_version", here)
                    if "api_version" in row
                    else version,
                    source=_url(row, "source", here) if "source" in row else source,
                    deprecated_on=_date(row.get("deprecated_on"), f"{here}.deprecated_on"),
                    via=via,
                    measure=measure,
                )
            )
    return Catalog(tuple(metrics), checked)


def load(path: Path = DATA) -> Catalog:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"{path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: {exc}") from exc
    return parse(data, str(path))


@cache
def catalog() -> Catalog:
    """The packaged catalog, read once."""
    return load()


def requestable(network: str, scope: Scope, day: date, via: Via | None = None) -> list[str]:
    """The metric names to ask ``network`` for on ``day``: listed and not deprecated
    (and read ``via`` fields or insights, when given)."""
    return [
        m.name
        for m in catalog().of(network, scope)
        if m.live_on(day) and (via is None or m.via == via)
    ]


def measure_of(network: str, name: str) -> str | None:
    """The canonical measure of ``network``'s metric ``name``: the catalog's mapping, or the
    name itself when it already is a measure (imports write measures directly)."""
    metric = catalog().get(network, name)
    if metric is not None:
        return metric.measure
    return name if name in MEASURES else None


def _text(row: dict[str, Any], key: str, at: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{at}.{key} must be a non-empty string")
    return value


def _url(row: dict[str, Any], key: str, at: str) -> str:
    value = _text(row, key, at)
    if not value.startswith("https://"):
        raise CatalogError(f"{at}.{key} must be an https:// URL, not {value!r}")
    return value


def _date(value: Any, at: str, *, required: bool = False) -> date | None:
    if value is None:
        if required:
            raise CatalogError(f"{at} is required (an ISO date)")
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CatalogError(f"{at} must be an ISO date (YYYY-MM-DD), not {value!r}")
