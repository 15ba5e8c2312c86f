"""Schemathesis against our own OpenAPI schema with every check it has (``--checks all``).

No 5xx, no response that breaks the schema, no schema-invalid request accepted and no
schema-valid one refused with a 422 (the repository's ``schemathesis.toml`` says why a 400,
a rule's refusal, is allowed). Runs as an owner (every route reachable) on a SQLite
workspace with data in it, so the generated calls hit real rows as well as missing ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig

from sociable.store.base import Base
from sociable.store.db import open_database
from sociable.store.secrets import SecretBox, generate_key, use_box
from tests.web.conftest import WebApp, start_web

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fuzz_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    use_box(SecretBox(generate_key()))
    path: Path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    db = open_database(f"sqlite:///{path}")
    Base.metadata.create_all(db.engine)
    for app in start_web(db):
        with app.as_token("owner") as c:
            c.post("/api/v1/accounts", json={"network": "x", "handle": "@acme"})
            when = (datetime.now(UTC) + timedelta(days=2)).isoformat()
            c.post("/api/v1/posts", json={"text": "seed post", "accounts": ["x"], "when": when})
        yield app
    db.dispose()


def test_api_conforms(fuzz_web: WebApp) -> None:
    config = SchemathesisConfig.from_path(ROOT / "schemathesis.toml")
    schema = schemathesis.openapi.from_url(f"{fuzz_web.base}/api/v1/openapi.json", config=config)
    headers = {"Authorization": f"Bearer {fuzz_web.tokens['owner']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers=headers)  # every check the config enables

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    assert not failures, "\n\n".join(failures)
