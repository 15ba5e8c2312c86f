"""A workspace made with `sociable init` on the test database, plus accounts, for CLI tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from sociable.store.db import Database, open_database
from sociable.store.models import Account, Workspace
from sociable.store.models.publish import Post, Publication, PublicationEvent, Variant


@dataclass
class Env:
    cli: Callable[..., Any]
    url: str
    dir: Path

    def __post_init__(self) -> None:
        self.db: Database = open_database(self.url)

    def run(self, *args: str) -> Any:
        return self.cli(
            "--database-url", self.url, "--config", str(self.dir / "sociable.toml"), *args
        )

    def account(
        self, network: str, handle: str, *, slots: list[str] | None = None, tz: str | None = None
    ) -> int:
        settings: dict[str, Any] = {}
        if slots is not None:
            settings["slots"] = slots
        if tz is not None:
            settings["timezone"] = tz
        with self.db.session() as session:
            ws = session.scalars(select(Workspace)).one()
            acc = Account(
                workspace_id=ws.id,
                network=network,
                handle=handle,
                credentials=None,
                settings=settings,
            )
            session.add(acc)
            session.flush()
            return acc.id

    def media_dir(self) -> Path:
        """The workspace's media folder (``media/workspace-N`` beside the config), made."""
        with self.db.session() as session:
            ws_id = session.scalars(select(Workspace.id)).one()
        folder = self.dir / "media" / f"workspace-{ws_id}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def counts(self) -> tuple[int, int, int, int]:
        """(posts, variants, publications, events): to prove nothing was half-created."""
        with self.db.session() as session:
            return tuple(  # type: ignore[return-value]
                session.scalar(select(func.count()).select_from(m)) or 0
                for m in (Post, Variant, Publication, PublicationEvent)
            )

    def publications(self) -> list[Publication]:
        with self.db.session() as session:
            return list(session.scalars(select(Publication).order_by(Publication.id)).all())

    def close(self) -> None:
        self.db.dispose()


def make_env(cli: Callable[..., Any], url: str, tmp: Path, timezone: str = "Europe/Paris") -> Env:
    result = cli("--database-url", url, "init", str(tmp / "ws"), "--timezone", timezone)
    assert result.code == 0, result.err
    return Env(cli, url, tmp / "ws")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
