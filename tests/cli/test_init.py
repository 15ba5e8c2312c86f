"""`sociable init`, `db`, `users`, `tour` and the error contract, as a user runs them."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from sociable import __version__


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_version(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"sociable {__version__}"


def test_help_lists_groups(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("--help")
    assert result.code == 0
    for group in ("init", "db", "rules", "users"):
        assert group in result.out


def test_init_writes_commented_config_key_and_database(cli, in_tmp: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "init",
        "brand",
        "--name",
        "Acme",
        "--timezone",
        "America/New_York",
        "--site-url",
        "https://acme.example",
        "--networks",
        "x,mastodon",
    )
    assert result.code == 0, result.err
    config = (in_tmp / "brand" / "sociable.toml").read_text()
    assert config.count("\n#") > 5  # commented for a person to read
    parsed = tomllib.loads(config)
    assert parsed["workspace"] == {
        "name": "Acme",
        "timezone": "America/New_York",
        "site_url": "https://acme.example",
        "networks": ["x", "mastodon"],
    }
    key = in_tmp / "brand" / ".sociable.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert (in_tmp / "brand" / "sociable.db").exists()
    current = cli("--config", "brand/sociable.toml", "db", "current")
    # the heads list may wrap at the terminal width
    assert current.code == 0 and "(up to date)" in " ".join(current.out.split())


def test_init_twice_keeps_the_first_config_and_key(cli, in_tmp: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("init", "w", "--name", "First").code == 0
    cfg = in_tmp / "w" / "sociable.toml"
    cfg.write_text(cfg.read_text() + "\n# my own note\n")
    before_cfg, before_key = cfg.read_text(), (in_tmp / "w" / ".sociable.key").read_bytes()
    result = cli("init", "w", "--name", "Second", "--timezone", "Asia/Tokyo")
    assert result.code == 0
    assert "kept existing" in result.out
    assert cfg.read_text() == before_cfg
    assert (in_tmp / "w" / ".sociable.key").read_bytes() == before_key


def test_init_on_postgres(cli, in_tmp: Path, database_url: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("--database-url", database_url, "init", "pg", "--name", "PG Brand")
    assert result.code == 0, result.err
    assert "created workspace 'PG Brand'" in result.out
    again = cli("--database-url", database_url, "init", "pg")
    assert "found workspace 'PG Brand'" in again.out


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nonsense", "not a database URL"),
        ("oracle://x@y/z", "unsupported database 'oracle'"),
        ("postgresql://nobody@127.0.0.1:1/x", "cannot open database"),
    ],
)
def test_bad_database_url_is_one_line_exit_2(cli, in_tmp: Path, url: str, message: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("--database-url", url, "init", "x")
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) <= 2


def test_bad_timezone_is_rejected(cli, in_tmp: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("init", "tz", "--timezone", "Mars/Olympus")
    assert result.code == 2
    assert "Mars/Olympus" in result.err
    assert not (in_tmp / "tz" / "sociable.toml").exists()


def test_broken_config_names_the_file_and_field(cli, in_tmp: Path) -> None:  # type: ignore[no-untyped-def]
    (in_tmp / "sociable.toml").write_text('[workspace]\ntimezone = "Nowhere/City"\n')
    result = cli("tour")
    assert result.code == 2
    assert "sociable.toml" in result.err and "workspace.timezone" in result.err
    (in_tmp / "sociable.toml").write_text("[workspace\n")
    assert "not valid TOML" in cli("tour").err


def test_unknown_config_key_is_an_error(cli, in_tmp: Path) -> None:  # type: ignore[no-untyped-def]
    (in_tmp / "sociable.toml").write_text('[workspace]\nnmae = "typo"\n')
    result = cli("tour")
    assert result.code == 2 and "nmae" in result.err


def test_behind_database_says_to_upgrade(cli, in_tmp: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("init").code == 0
    assert cli("db", "downgrade", "base").code == 0
    result = cli("tour")
    assert result.code == 2 and "sociable db upgrade" in result.err
    assert cli("db", "upgrade").code == 0
    empty = cli("tour")  # downgrading to base dropped the data: say so, do not crash
    assert empty.code == 2 and "run `sociable init`" in empty.err
    assert cli("init").code == 0
    assert cli("tour").code == 0


def test_users_and_tour(cli, in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    assert cli("init", "--name", "Tour Co").code == 0
    monkeypatch.setenv("SOCIABLE_PASSWORD", "correct horse")
    assert cli("users", "add", "Owner@Example.com", "--role", "owner").code == 0
    listed = cli("users", "list")
    assert "owner@example.com" in listed.out and "owner" in listed.out
    monkeypatch.setenv("SOCIABLE_PASSWORD", "short")
    bad = cli("users", "add", "x@example.com")
    assert bad.code == 2 and "at least 8" in bad.err
    tour = cli("tour")
    assert tour.code == 0
    assert "Tour Co" in tour.out and "people      1" in tour.out


def test_debug_shows_traceback(in_tmp: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sociable.cli.app", "--debug", "--database-url", "nonsense", "tour"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr
    quiet = subprocess.run(
        [sys.executable, "-m", "sociable.cli.app", "--database-url", "nonsense", "tour"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert quiet.returncode == 2 and "Traceback" not in quiet.stderr
