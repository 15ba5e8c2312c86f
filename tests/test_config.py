"""Settings precedence: flags over environment over sociable.toml over defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from sociable.config import load_settings, private_hosts_hint
from sociable.errors import ConfigError


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.config_path is None
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'sociable.db'}"


def test_env_beats_file_and_flag_beats_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "sociable.toml"
    cfg.write_text(
        'database_url = "sqlite:///from-file.db"\n[workspace]\nname = "F"\ntimezone = "UTC"\n'
    )
    assert load_settings(cfg).database_url == "sqlite:///from-file.db"
    monkeypatch.setenv("SOCIABLE_DATABASE_URL", "sqlite:///from-env.db")
    monkeypatch.setenv("SOCIABLE_WORKSPACE__TIMEZONE", "Europe/Berlin")
    settings = load_settings(cfg)
    assert settings.database_url == "sqlite:///from-env.db"
    assert settings.workspace.timezone == "Europe/Berlin"
    assert settings.workspace.name == "F"  # the file still fills what env does not set
    assert load_settings(cfg, database_url="sqlite:///flag.db").database_url == "sqlite:///flag.db"


def test_default_database_sits_next_to_the_config(tmp_path: Path) -> None:
    sub = tmp_path / "brand"
    sub.mkdir()
    (sub / "sociable.toml").write_text("")
    settings = load_settings(sub)
    assert settings.resolved_database_url == f"sqlite:///{sub / 'sociable.db'}"
    assert settings.key_path == sub / ".sociable.key"


def test_missing_explicit_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_money_settings(tmp_path: Path) -> None:
    cfg = tmp_path / "sociable.toml"
    cfg.write_text(
        '[money]\ncurrency = "eur"\n'
        '[[money.rates]]\ndate = "2026-01-31"\nfrom = "USD"\nto = "EUR"\nrate = "0.92"\n'
    )
    money = load_settings(cfg).money
    assert money.currency == "EUR" and money.rates[0].from_ == "USD"
    cfg.write_text('[money]\ncurrency = "EURO"\n')
    with pytest.raises(ConfigError, match=r"money\.currency"):
        load_settings(cfg)


@pytest.mark.parametrize("section", ["audit", "publish"])
def test_private_hosts_hint_names_settings_that_work(
    section: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both ways the hint names (the file line, the variable) really turn the setting on."""
    hint = private_hosts_hint(section)
    file_line, env = hint.split(" or ")
    header, assignment = file_line.split("] ")
    cfg = tmp_path / "sociable.toml"
    cfg.write_text(f"{header}]\n{assignment}\n")
    assert getattr(load_settings(cfg), section).allow_private is True
    name, value = env.split("=")
    monkeypatch.setenv(name, value)
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")  # no sociable.toml here: the variable alone
    assert getattr(load_settings(), section).allow_private is True
    assert private_hosts_hint(section, "--allow-private").startswith("--allow-private, [")


def test_private_hosts_hint_refuses_a_setting_that_does_not_exist() -> None:
    with pytest.raises(KeyError):
        private_hosts_hint("workspace")


def test_workspace_locale_is_checked_and_canonical(tmp_path: Path) -> None:
    cfg = tmp_path / "sociable.toml"
    cfg.write_text('[workspace]\nname = "F"\nlocale = "fr-CA"\n')
    assert load_settings(cfg).workspace.locale == "fr_CA"
    cfg.write_text('[workspace]\nname = "F"\nlocale = "klingon"\n')
    with pytest.raises(ConfigError, match="locale") as err:
        load_settings(cfg)
    assert "klingon" in str(err.value)
