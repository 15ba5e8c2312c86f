"""Settings from ``sociable.toml`` and the environment.

Precedence, highest first: explicit arguments (CLI flags), environment variables
(``SOCIABLE_DATABASE_URL``, ``SOCIABLE_SECRET_KEY``, ``SOCIABLE_WORKSPACE__TIMEZONE`` ...),
the TOML file, then defaults. The config file is found from ``--config``, ``SOCIABLE_CONFIG``,
or ``./sociable.toml``.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from sociable.clock import zone
from sociable.errors import ConfigError, UserError
from sociable.money import currency_code

CONFIG_FILENAME = "sociable.toml"
KEY_FILENAME = ".sociable.key"
DB_FILENAME = "sociable.db"


class Section(BaseModel):
    """A config table; unknown keys are errors so typos are caught."""

    model_config = ConfigDict(extra="forbid")


class WorkspaceSettings(Section):
    name: str = "My brand"
    timezone: str = "UTC"
    locale: str | None = None  # dates and numbers; default: the time zone's (Europe/Paris: fr_FR)
    site_url: str | None = None
    networks: list[str] = Field(default_factory=list)

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from sociable.locale import parse_locale

        try:
            return parse_locale(value)
        except UserError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zone(value)
        except UserError as exc:
            raise ValueError(str(exc)) from None
        return value


class AuditSettings(Section):
    """Defaults for ``sociable audit``; flags override them."""

    select: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    fail_under: int | None = None
    max_pages: int = 500
    concurrency: int = 8
    allow_private: bool = False
    # Requests per second to the audited site (0: only the concurrency limit).
    rate_limit: float = Field(default=10.0, ge=0)


class PublishSettings(Section):
    """The dispatcher: leases, retries, the late-publish policy (see sociable.publish)."""

    # Publish up to this many minutes after the due time, else `missed`. A workspace's
    # PublishPolicy row overrides it.
    late_minutes: int = Field(default=60, ge=0)
    lease_seconds: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=6, ge=1)
    backoff_base_seconds: float = Field(default=30.0, gt=0)
    backoff_max_seconds: float = Field(default=3600.0, gt=0)
    batch_size: int = Field(default=32, ge=1, le=1000)
    concurrency: int = Field(default=8, ge=1, le=64)
    poll_seconds: float = Field(default=2.0, gt=0)
    http_timeout_seconds: float = Field(default=20.0, gt=0)
    refresh_margin_seconds: float = Field(default=300.0, ge=0)
    # Let connectors reach private/loopback addresses (an intranet webhook; tests).
    allow_private: bool = False


class CollectSettings(Section):
    """The read side (see sociable.collect): what is read back from the networks, how often."""

    # Post metrics follow a decaying schedule (hourly for 48 h, daily to 30 days, then
    # weekly) until a post is this old; older posts keep their last snapshots.
    max_age_days: int = Field(default=90, ge=2)
    account_every_hours: float = Field(default=24.0, gt=0)
    # Wait this long after a failure (or a rate limit that names no time) before trying again.
    retry_minutes: float = Field(default=60.0, gt=0)
    # Pages of the account's own timeline read per run (posts made outside Sociable).
    timeline_pages: int = Field(default=3, ge=0, le=50)
    # One collector reads an account at a time; a crashed one's hold ends after this.
    lease_seconds: float = Field(default=600.0, gt=0)
    # `sociable worker` and `serve` run a collection pass this often (0: never; use cron).
    every_minutes: float = Field(default=10.0, ge=0)
    http_timeout_seconds: float = Field(default=20.0, gt=0)
    allow_private: bool = False


class AnalyticsSettings(Section):
    """Reports (see sociable.analytics): which engine runs their Ibis expressions."""

    # "duckdb" (embedded, in memory) or "spark" (PySpark local[2]; needs the spark extra
    # and Java 17). `sociable analytics report --engine` overrides it.
    engine: str = "duckdb"

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        choices = ("duckdb", "spark")
        if value.strip().lower() not in choices:
            raise ValueError(f"unknown analytics engine {value!r}: choose {', '.join(choices)}")
        return value.strip().lower()


class TrackSettings(Section):
    """Short links, the redirect server and attribution (see sociable.track)."""

    base_url: str = "http://127.0.0.1:8000/l"
    shorten_links: bool = True
    # utm_medium for links: "social", or "paid_social" for promoted posts.
    medium: str = "social"
    # Where the redirect server appends clicks before answering (write-ahead log).
    log_dir: str = "track-log"
    flush_interval: float = 0.5
    batch_size: int = Field(default=10_000, ge=1, le=100_000)  # clicks per transaction
    # Unflushed log bytes above which requests wait for the flusher (backpressure).
    max_backlog_bytes: int = 64 * 1024 * 1024
    cache_ttl: float = 30.0
    # A header set by a trusted proxy: country (e.g. "CF-IPCountry"), client IP
    # (e.g. "X-Forwarded-For"). Unset: country unknown, the socket peer is the client.
    country_header: str | None = None
    client_ip_header: str | None = None
    not_found_per_minute: int = 60
    attribution_model: str = "last_click"
    attribution_window_days: int = 7
    # Shared secret for POST /c postbacks (or env SOCIABLE_TRACK__POSTBACK_SECRET).
    postback_secret: SecretStr | None = None
    cookie_days: int = 30


class RateSettings(Section):
    """One exchange rate: on ``date``, 1 ``from`` = ``rate`` ``to`` (see sociable.rates)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    date: str
    from_: str = Field(alias="from")
    to: str
    rate: str | float


class MoneySettings(Section):
    """Currencies: the one a conversion without a code is in, and rates given by the user."""

    # ISO 4217 code for conversions that name none, and for rows stored before amounts had
    # a currency (the 0014 migration reads it from `sociable db upgrade`).
    currency: str = "USD"
    rates: list[RateSettings] = Field(default_factory=list)

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        try:
            return currency_code(value, where="money.currency")
        except UserError as exc:
            raise ValueError(str(exc)) from None


class WebSettings(Section):
    """``sociable serve``: which proxies may say who the client is and which scheme it used."""

    # Addresses or networks whose X-Forwarded-For / X-Forwarded-Proto are believed (the
    # login throttle's client and the cookie's Secure flag come from them); [] believes none.
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for item in value:
            if item != "*":
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"not an IP address or network: {item!r}") from None
        return value


class HashtagSettings(Section):
    """``sociable hashtags``: tags never to suggest (banned) and tags to flag (overused)."""

    banned: list[str] = Field(default_factory=list)
    overused: list[str] = Field(default_factory=list)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SOCIABLE_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    database_url: str | None = None
    secret_key: SecretStr | None = None
    secret_key_file: str | None = None
    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    track: TrackSettings = Field(default_factory=TrackSettings)
    publish: PublishSettings = Field(default_factory=PublishSettings)
    collect: CollectSettings = Field(default_factory=CollectSettings)
    analytics: AnalyticsSettings = Field(default_factory=AnalyticsSettings)
    hashtags: HashtagSettings = Field(default_factory=HashtagSettings)
    money: MoneySettings = Field(default_factory=MoneySettings)
    web: WebSettings = Field(default_factory=WebSettings)
    # Per-network overrides of content/platforms facts, e.g. [platforms.instagram] max_hashtags = 5
    platforms: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Per-network handles for mentions: [handles.acme] x = "@acme", bluesky = "@acme.com"
    handles: dict[str, dict[str, str]] = Field(default_factory=dict)

    # Where the config came from; not read from the file.
    config_path: Path | None = Field(default=None, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)

    @property
    def base_dir(self) -> Path:
        """The folder that holds the config (or the current folder without one)."""
        return self.config_path.parent if self.config_path else Path.cwd()

    @property
    def media_dir(self) -> Path:
        """Uploaded media, one ``workspace-N`` folder each (``media/`` beside the config)."""
        return self.base_dir / "media"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.base_dir / DB_FILENAME).resolve()}"

    @property
    def key_path(self) -> Path:
        if self.secret_key_file:
            path = Path(self.secret_key_file)
            return path if path.is_absolute() else self.base_dir / path
        return self.base_dir / KEY_FILENAME


def find_config(explicit: str | Path | None = None) -> Path | None:
    """The config file to use, or None when there is none."""
    if explicit:
        path = Path(explicit)
        if path.is_dir():
            path = path / CONFIG_FILENAME
        if not path.exists():
            raise ConfigError(f"config file not found: {path}")
        return path
    env = os.environ.get("SOCIABLE_CONFIG")
    if env:
        return find_config(env)
    here = Path.cwd() / CONFIG_FILENAME
    return here if here.exists() else None


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_settings(config: str | Path | None = None, **overrides: Any) -> Settings:
    """Settings from the config file, the environment, and explicit overrides (non-None only)."""
    path = find_config(config)
    data = read_toml(path) if path else {}
    # Environment beats the file: build from env alone, then lay the file underneath.
    explicit = {k: v for k, v in overrides.items() if v is not None}
    try:
        from_env = Settings(**explicit).model_dump(exclude_unset=True)
        merged = _merge(data, from_env)
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        source = f"{path}: " if path else ""
        raise ConfigError(f"{source}{where}: {first['msg']}") from exc
    settings.config_path = path.resolve() if path else None
    return settings


def private_hosts_hint(section: str, flag: str | None = None) -> str:
    """How a user lets ``section`` reach private and loopback hosts, for the SSRF guard's
    refusal: the command's ``flag`` (if it has one), the file setting and its variable.

    Built from the settings model, so a message can only name a setting that exists.
    """
    model = Settings.model_fields[section].annotation
    if not (isinstance(model, type) and "allow_private" in getattr(model, "model_fields", {})):
        raise KeyError(f"[{section}] has no allow_private setting")
    setting = f"[{section}] allow_private = true"
    env = f"SOCIABLE_{section.upper()}__ALLOW_PRIVATE=true"
    return f"{flag}, {setting} or {env}" if flag else f"{setting} or {env}"
