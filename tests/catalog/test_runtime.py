"""The runtime's cache invalidation: a cached document is evicted once it changes, first
when SQL has the new copy and again when Redis has it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from liner.catalog.serving import AlbumEntry, IdsEntry
from liner.config import Settings
from liner.runtime import Runtime

from .factories import DEFAULT_UPC, provenance, release
from .rows import json_of


def open_runtime(database_url: str, tmp_path: Path, redis_url: str | None = None) -> Runtime:
    environ = {
        "LINER_DATA_DIR": str(tmp_path / "data"),
        "LINER_DATABASE_URL": database_url,
        "LINER_PUBLIC_URL": "http://test",
    }
    if redis_url is not None:
        environ["LINER_REDIS_URL"] = redis_url
    return Runtime.open(Settings.from_env(environ))


@pytest.fixture
def runtime(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    opened = open_runtime(database_url, tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def redis_runtime(
    database_url: str, tmp_path: Path, redis_client: redis.Redis, redis_prefix: str
) -> Iterator[Runtime]:
    url = redis_client.get_connection_kwargs()
    opened = open_runtime(
        database_url, tmp_path, f"redis://{url['host']}:{url['port']}/{url.get('db', 0)}"
    )
    assert opened.redis_store is not None
    opened.redis_store.prefix = redis_prefix
    yield opened
    opened.close()


def album_name(runtime: Runtime, album_id: str) -> str:
    found = runtime.reader.load([f"album:{album_id}"])[f"album:{album_id}"]
    assert isinstance(found, AlbumEntry)
    name = json_of(found.prefix)["name"]
    assert isinstance(name, str)
    return name


def cached_name(runtime: Runtime, album_id: str) -> str | None:
    found = runtime.reader.cached(f"album:{album_id}")
    if not isinstance(found, AlbumEntry):
        return None
    name = json_of(found.prefix)["name"]
    assert isinstance(name, str)
    return name


def test_invalidation_evicts_a_cached_document_after_it_changes(runtime: Runtime) -> None:
    assert runtime.redis_store is None
    album_id = runtime.catalog.upsert_release(release(), provenance()).public_id or ""
    runtime.project()
    runtime._invalidation_loop()
    assert album_name(runtime, album_id) == "Night Drive"
    assert cached_name(runtime, album_id) == "Night Drive"

    runtime.catalog.upsert_release(release(title="Night Drive II"), provenance(minutes=1))
    runtime.project()
    assert cached_name(runtime, album_id) == "Night Drive"

    runtime._invalidation_loop()

    assert runtime.reader.cached(f"album:{album_id}") is None
    assert album_name(runtime, album_id) == "Night Drive II"


def test_invalidation_starts_from_the_current_position(runtime: Runtime) -> None:
    album_id = runtime.catalog.upsert_release(release(), provenance()).public_id or ""
    runtime.project()
    album_name(runtime, album_id)

    runtime._invalidation_loop()
    assert cached_name(runtime, album_id) == "Night Drive"
    runtime._invalidation_loop()
    assert cached_name(runtime, album_id) == "Night Drive"


def test_invalidation_evicts_a_cached_miss_once_the_document_exists(runtime: Runtime) -> None:
    runtime._invalidation_loop()
    assert runtime.reader.load([f"upc:{DEFAULT_UPC}"]) == {f"upc:{DEFAULT_UPC}": None}

    album_id = runtime.catalog.upsert_release(release(), provenance()).public_id or ""
    runtime.project()
    runtime._invalidation_loop()

    found = runtime.reader.load([f"upc:{DEFAULT_UPC}"])
    assert found == {f"upc:{DEFAULT_UPC}": IdsEntry((album_id,))}


@pytest.mark.redis
def test_invalidation_evicts_again_once_redis_has_the_new_copy(redis_runtime: Runtime) -> None:
    runtime = redis_runtime
    album_id = runtime.catalog.upsert_release(release(), provenance()).public_id or ""
    runtime.project()
    runtime._invalidation_loop()
    assert album_name(runtime, album_id) == "Night Drive"

    runtime.catalog.upsert_release(release(title="Night Drive II"), provenance(minutes=1))
    runtime.projector.run_until_idle()
    runtime._invalidation_loop()
    assert runtime.reader.cached(f"album:{album_id}") is None
    assert album_name(runtime, album_id) == "Night Drive"

    runtime.mirror()
    runtime._invalidation_loop()

    assert runtime.reader.cached(f"album:{album_id}") is None
    assert album_name(runtime, album_id) == "Night Drive II"


@pytest.mark.redis
def test_the_runtime_serves_from_sql_when_redis_goes_away(
    database_url: str, tmp_path: Path
) -> None:
    runtime = open_runtime(database_url, tmp_path, "redis://127.0.0.1:1/0")
    try:
        album_id = runtime.catalog.upsert_release(release(), provenance()).public_id or ""
        runtime.project()
        runtime._invalidation_loop()
        assert album_name(runtime, album_id) == "Night Drive"
        runtime.catalog.upsert_release(release(title="Night Drive II"), provenance(minutes=1))
        runtime.project()
        runtime._invalidation_loop()
        assert album_name(runtime, album_id) == "Night Drive II"
    finally:
        runtime.close()
