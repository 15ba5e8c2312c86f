"""SMO audit rules, one module per Bhargava rule group (SMO1xx ... SMO7xx).

Importing this package registers every audit rule in :mod:`sociable.rules`.
"""

from sociable.audit.rules import (  # noqa: F401 - imported to register
    cards,
    crawlers,
    inbound,
    linkability,
    mashup,
    tagging,
    travel,
)
from sociable.audit.rules.base import CHECKS, NOT_CHECKED, Check, Outcome, PageContext

CHECKS.sort(key=lambda c: c.rule.code)

__all__ = ["CHECKS", "NOT_CHECKED", "Check", "Outcome", "PageContext"]
