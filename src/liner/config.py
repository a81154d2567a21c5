"""Settings, read from ``LINER_*`` environment variables into one typed, frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from liner.kit.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None
    public_url: str
    """The base URL that ``href`` fields in documents point at."""
    cache_entries: int
    """How many documents each server process keeps in memory."""
    max_body_bytes: int
    feed_allow_hosts: str
    log_level: str
    invalidation_interval_s: float
    """How often a server looks for documents that changed under its cache."""
    feed_scheduler: bool = False
    """Whether ``liner serve`` polls podcast feeds itself (else ``liner worker`` does)."""
    ddex_group_size: int = 50
    """DDEX messages of a batch applied per transaction."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("LINER_DATA_DIR", "data")).expanduser()
        database_url = env.get("LINER_DATABASE_URL") or f"sqlite:///{data_dir / 'liner.db'}"
        if not database_url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ConfigError(
                "LINER_DATABASE_URL must be a sqlite:/// or postgresql:// URL, "
                f"got {database_url!r}"
            )
        redis_url = env.get("LINER_REDIS_URL") or None
        if redis_url is not None and not redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(f"LINER_REDIS_URL must be a redis:// URL, got {redis_url!r}")
        public_url = env.get("LINER_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"LINER_PUBLIC_URL must be an http(s) URL, got {public_url!r}")
        log_level = env.get("LINER_LOG_LEVEL", "INFO").upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ConfigError(
                f"LINER_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {log_level!r}"
            )
        scheduler = env.get("LINER_FEED_SCHEDULER", "auto").lower()
        if scheduler not in ("auto", "on", "off"):
            raise ConfigError(f"LINER_FEED_SCHEDULER must be auto, on or off, not {scheduler!r}")
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            redis_url=redis_url,
            public_url=public_url,
            cache_entries=_int(env, "LINER_CACHE_ENTRIES", 50_000, minimum=0),
            max_body_bytes=_int(env, "LINER_MAX_BODY_BYTES", 8 * 1024 * 1024, minimum=1024),
            feed_allow_hosts=env.get("LINER_FEED_ALLOW_HOSTS", ""),
            log_level=log_level,
            invalidation_interval_s=_float(env, "LINER_INVALIDATION_INTERVAL", 0.5, minimum=0.01),
            # On the embedded default one process does everything; in production
            # (PostgreSQL) feeds are polled by ``liner worker`` processes.
            feed_scheduler=scheduler == "on"
            or (scheduler == "auto" and database_url.startswith("sqlite")),
            ddex_group_size=_int(env, "LINER_DDEX_GROUP_SIZE", 50, minimum=1),
        )


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value
