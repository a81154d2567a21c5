"""Fixtures for the feed sync suites: a runtime over each database, a syncer allowed to
fetch from loopback only, and a loopback feed server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from liner.config import Settings
from liner.ingest.rss.cadence import Cadence
from liner.ingest.rss.sync import FeedSyncer
from liner.kit.fetch import FetchPolicy
from liner.runtime import Runtime

from .feed_server import FeedServer

NAMES = {"feeds.example.test": "127.0.0.1", "new.example.test": "127.0.0.1"}


def resolver(host: str, port: int) -> list[str]:
    """Test names resolve to loopback; any other name does not resolve (no real DNS)."""
    if host in NAMES:
        return [NAMES[host]]
    raise socket.gaierror(f"{host} is not a test name")


def settings_for(database_url: str, data_dir: Path, **extra: str) -> Settings:
    env = {
        "LINER_DATA_DIR": str(data_dir),
        "LINER_DATABASE_URL": database_url,
        "LINER_PUBLIC_URL": "http://liner.test",
        "LINER_LOG_LEVEL": "WARNING",
        "LINER_FEED_SCHEDULER": "off",
        "LINER_FEED_ALLOW_HOSTS": "127.0.0.1",
        "LINER_INVALIDATION_INTERVAL": "0.05",
    }
    env.update(extra)
    return Settings.from_env(env)


@pytest.fixture(scope="session")
def corpus(shared_dir: Path) -> Path:
    path = shared_dir / "corpus" / "podcast"
    if not path.is_dir():
        pytest.skip("the podcast corpus is not in ../shared")
    return path


@pytest.fixture
def runtime(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    opened = Runtime.open(settings_for(database_url, tmp_path / "data"))
    try:
        yield opened
    finally:
        opened.close()


TEST_CADENCE = Cadence(jitter=0.0)


@pytest.fixture
def syncer(runtime: Runtime) -> FeedSyncer:
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), deadline_s=3.0, connect_timeout_s=1.0)
    return FeedSyncer.for_runtime(runtime, policy=policy, cadence=TEST_CADENCE, resolver=resolver)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running
