"""The one registry of checks (audit rules and post lint rules).

Each check describes itself, Lighthouse-style: a stable code, a title, why it matters, how
to fix it, a severity, a category and a docs anchor. Reports, ``sociable rules``, the docs
and the ``--select/--ignore`` filters all read from here, like ruff's rule table.

Domain packages register their rules at import; :func:`all_rules` imports every module
listed in :data:`RULE_MODULES` first, so the registry is complete wherever it is read.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sociable.errors import UserError

# Modules that register rules when imported. Add yours here.
RULE_MODULES: tuple[str, ...] = (
    "sociable.content.media_rules",
    "sociable.audit.rules",
    "sociable.content.lint_rules",
)

DOCS_BASE = "https://sociable.dev/rules/"
CODE_PATTERN = re.compile(r"^[A-Z]{2,6}[0-9]{3}$")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    title: str
    why: str
    fix: str
    severity: Severity
    category: str
    # The area the rule belongs to: "audit" for site checks, "post" for lint checks.
    scope: str

    @property
    def docs_anchor(self) -> str:
        return f"{DOCS_BASE}#{self.code.lower()}"

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "title": self.title,
            "why": self.why,
            "fix": self.fix,
            "severity": self.severity.value,
            "category": self.category,
            "scope": self.scope,
            "docs": self.docs_anchor,
        }


_REGISTRY: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add a rule; codes are unique and never reused."""
    if not CODE_PATTERN.match(rule.code):
        raise ValueError(f"rule code {rule.code!r} must look like SMO101 or POST201")
    existing = _REGISTRY.get(rule.code)
    if existing is not None and existing != rule:
        raise ValueError(f"rule code {rule.code} registered twice")
    _REGISTRY[rule.code] = rule
    return rule


def _load() -> None:
    for module in RULE_MODULES:
        importlib.import_module(module)


def all_rules(scope: str | None = None) -> list[Rule]:
    """Every registered rule, sorted by code, optionally of one scope."""
    _load()
    rules = sorted(_REGISTRY.values(), key=lambda r: r.code)
    return [r for r in rules if scope is None or r.scope == scope]


def get_rule(code: str) -> Rule:
    _load()
    try:
        return _REGISTRY[code]
    except KeyError:
        raise UserError(f"unknown rule code {code!r}; see `sociable rules`") from None


class RuleFilter:
    """ruff-style ``--select``/``--ignore``: prefixes of codes (``SMO1``, ``POST201``, ``ALL``).

    A code is enabled when the longest matching select prefix is longer than the longest
    matching ignore prefix (so ``--select SMO --ignore SMO1`` drops SMO1xx only).
    """

    def __init__(self, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> None:
        self.select = [self._check(p) for p in select] or ["ALL"]
        self.ignore = [self._check(p) for p in ignore]

    @staticmethod
    def _check(prefix: str) -> str:
        prefix = prefix.strip().upper()
        if prefix != "ALL" and not re.fullmatch(r"[A-Z]{1,6}[0-9]{0,3}", prefix):
            raise UserError(f"not a rule code or prefix: {prefix!r}")
        if prefix != "ALL":
            _load()
            if not any(code.startswith(prefix) for code in _REGISTRY):
                raise UserError(f"no rule matches {prefix!r}; see `sociable rules`")
        return prefix

    @staticmethod
    def _match(code: str, prefixes: list[str]) -> int:
        best = -1
        for p in prefixes:
            if p == "ALL":
                best = max(best, 0)
            elif code.startswith(p):
                best = max(best, len(p))
        return best

    def enabled(self, code: str) -> bool:
        sel = self._match(code, self.select)
        return sel >= 0 and sel > self._match(code, self.ignore)


def split_codes(values: Iterable[str] | None) -> list[str]:
    """Flatten ``["SMO1,SMO2", "POST"]`` into ``["SMO1", "SMO2", "POST"]``."""
    out: list[str] = []
    for value in values or ():
        out.extend(part for part in (p.strip() for p in value.split(",")) if part)
    return out
