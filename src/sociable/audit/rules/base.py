"""How an audit check is written: a registered Rule plus a function of the page context.

A check returns ``None`` when it does not apply to the page, :data:`NOT_CHECKED` when it
needs a fetched fact nobody supplied, or a list of hits ``(message, evidence)``: empty means
the page passed. Only applicable, checked rules count towards the score.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sociable.audit.cards import Card
from sociable.audit.context import FetchInfo
from sociable.audit.meta import PageMeta
from sociable.clock import system_clock
from sociable.rules import Rule, Severity, register


class _NotChecked:
    def __repr__(self) -> str:
        return "NOT_CHECKED"


NOT_CHECKED: Final = _NotChecked()

Hit = tuple[str, str]
Outcome = list[Hit] | _NotChecked | None


@dataclass(slots=True)
class PageContext:
    meta: PageMeta
    fetch: FetchInfo | None
    cards: dict[str, Card]
    resolved: dict[str, str | None]
    # The workspace's networks; empty = not configured (rules use sensible defaults).
    networks: tuple[str, ...] = ()
    now: datetime = field(default_factory=system_clock)


CheckFn = Callable[[PageContext], Outcome]


@dataclass(frozen=True, slots=True)
class Check:
    rule: Rule
    fn: CheckFn


CHECKS: list[Check] = []


def check(
    code: str,
    title: str,
    *,
    why: str,
    fix: str,
    severity: Severity,
    category: str,
) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` as the check for a new audit rule."""
    rule = register(Rule(code, title, why, fix, severity, category, scope="audit"))

    def wrap(fn: CheckFn) -> CheckFn:
        CHECKS.append(Check(rule, fn))
        return fn

    return wrap
