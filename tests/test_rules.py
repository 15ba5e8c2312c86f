"""The rules registry and ruff-style --select/--ignore."""

from __future__ import annotations

import pytest

from sociable import rules
from sociable.errors import UserError
from sociable.rules import Rule, RuleFilter, Severity


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_REGISTRY", {})
    # A fake registry: real rule modules must not register into it on first import.
    monkeypatch.setattr(rules, "RULE_MODULES", ())
    for code in ("SMO101", "SMO102", "SMO201", "POST101"):
        rules.register(
            Rule(
                code,
                f"title {code}",
                "why",
                "fix",
                Severity.WARNING,
                "cat",
                "post" if code.startswith("POST") else "audit",
            )
        )


def test_codes_are_validated_and_unique(registry: None) -> None:
    with pytest.raises(ValueError, match="must look like"):
        rules.register(Rule("bad", "t", "w", "f", Severity.INFO, "c", "audit"))
    with pytest.raises(ValueError, match="registered twice"):
        rules.register(Rule("SMO101", "other", "w", "f", Severity.INFO, "c", "audit"))


def test_all_rules_sorted_and_scoped(registry: None) -> None:
    assert [r.code for r in rules.all_rules()] == ["POST101", "SMO101", "SMO102", "SMO201"]
    assert [r.code for r in rules.all_rules("post")] == ["POST101"]


def test_select_and_ignore_prefixes(registry: None) -> None:
    f = RuleFilter(select=["SMO"], ignore=["SMO1"])
    assert [c for c in ("SMO101", "SMO102", "SMO201", "POST101") if f.enabled(c)] == ["SMO201"]
    g = RuleFilter(ignore=["SMO"], select=["SMO102"])
    assert g.enabled("SMO102") and not g.enabled("SMO101") and not g.enabled("POST101")
    assert RuleFilter().enabled("POST101")


def test_unknown_prefix_is_a_user_error(registry: None) -> None:
    with pytest.raises(UserError, match="no rule matches"):
        RuleFilter(select=["XYZ9"])
    with pytest.raises(UserError, match="not a rule code"):
        RuleFilter(select=["smo-1"])


def test_split_codes() -> None:
    assert rules.split_codes(["SMO1, SMO2", "POST"]) == ["SMO1", "SMO2", "POST"]


def test_rules_command_json(cli) -> None:  # type: ignore[no-untyped-def]
    import json

    result = cli("rules", "--format", "json")
    assert result.code == 0
    listed = json.loads(result.out)
    assert [r["code"] for r in listed] == [r.code for r in rules.all_rules()]
