"""One contract for every document store (memory, SQL on SQLite and PostgreSQL, Redis,
Redis tiered over SQL), then what only the tiered store and the Redis mirror promise."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy import Engine

from liner.catalog.stores import (
    DocumentStore,
    MemoryDocumentStore,
    RedisDocumentStore,
    RedisMirror,
    SqlDocumentStore,
    TieredDocumentStore,
)
from liner.kit.db import make_engine


def _sqlite_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    template: Path = request.getfixturevalue("_sqlite_template")
    path = tmp_path / "documents.db"
    shutil.copyfile(template, path)
    return make_engine(f"sqlite:///{path}")


def _postgres_engine(request: pytest.FixtureRequest) -> Engine:
    url: str = request.getfixturevalue("_postgres_database")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("TRUNCATE read_documents, projector_state"))
    return engine


@pytest.fixture(
    params=[
        "memory",
        "sql-sqlite",
        pytest.param("sql-postgresql", marks=pytest.mark.postgres),
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("tiered", marks=pytest.mark.redis),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStore]:
    engines: list[Engine] = []
    built: DocumentStore
    if request.param == "memory":
        built = MemoryDocumentStore()
    elif request.param == "sql-sqlite":
        engines.append(_sqlite_engine(request, tmp_path))
        built = SqlDocumentStore(engines[0])
    elif request.param == "sql-postgresql":
        engines.append(_postgres_engine(request))
        built = SqlDocumentStore(engines[0])
    else:
        client: redis.Redis = request.getfixturevalue("redis_client")
        prefix: str = request.getfixturevalue("redis_prefix")
        cache = RedisDocumentStore(client, prefix=prefix)
        if request.param == "redis":
            built = cache
        else:
            engines.append(_sqlite_engine(request, tmp_path))
            built = TieredDocumentStore(cache, SqlDocumentStore(engines[0]))
    yield built
    for engine in engines:
        engine.dispose()


def test_missing_keys_are_absent(store: DocumentStore) -> None:
    assert store.get_many([]) == {}
    assert store.get_many(["album:nothing", "track:nothing"]) == {}


def test_put_then_get(store: DocumentStore) -> None:
    store.put_many({"album:a": b'{"k":"album"}', "track:t": b'{"k":"track"}'})

    assert store.get_many(["album:a", "track:t"]) == {
        "album:a": b'{"k":"album"}',
        "track:t": b'{"k":"track"}',
    }
    assert store.get_many(["track:t"]) == {"track:t": b'{"k":"track"}'}


def test_a_mixed_read_returns_only_what_exists(store: DocumentStore) -> None:
    store.put_many({"a": b"1", "c": b"3"})

    assert store.get_many(["a", "b", "c", "d"]) == {"a": b"1", "c": b"3"}


def test_overwrite_replaces_the_body(store: DocumentStore) -> None:
    store.put_many({"album:a": b"first"})
    store.put_many({"album:a": b"second", "album:b": b"other"})

    assert store.get_many(["album:a", "album:b"]) == {"album:a": b"second", "album:b": b"other"}


def test_none_deletes_the_key(store: DocumentStore) -> None:
    store.put_many({"album:a": b"body", "album:b": b"kept"})

    store.put_many({"album:a": None, "album:never-written": None})

    assert store.get_many(["album:a", "album:b", "album:never-written"]) == {"album:b": b"kept"}
    store.put_many({"album:a": b"back"})
    assert store.get_many(["album:a"]) == {"album:a": b"back"}


def test_clear_removes_everything(store: DocumentStore) -> None:
    store.put_many({f"track:{n}": b"x" for n in range(20)})

    store.clear()

    assert store.get_many([f"track:{n}" for n in range(20)]) == {}
    store.put_many({"track:1": b"after"})
    assert store.get_many(["track:1", "track:2"]) == {"track:1": b"after"}


def test_bodies_are_bytes_exactly(store: DocumentStore) -> None:
    odd = bytes(range(256)) + "ä €".encode()
    store.put_many({"odd": odd, "empty-json": b"{}", "unicode-key:\u00e9\u65e5": b"1"})

    assert store.get_many(["odd", "empty-json", "unicode-key:\u00e9\u65e5"]) == {
        "odd": odd,
        "empty-json": b"{}",
        "unicode-key:\u00e9\u65e5": b"1",
    }


def test_a_large_batch(store: DocumentStore) -> None:
    documents = {f"track:{n:05d}": f'{{"n":{n}}}'.encode() for n in range(1_200)}

    store.put_many(documents)

    assert store.get_many(list(documents)) == documents
    store.put_many(dict.fromkeys(list(documents)[:600]))
    remaining = store.get_many(list(documents))
    assert set(remaining) == set(list(documents)[600:])


# The tiered store and the Redis mirror.


@pytest.fixture
def sql_store(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[SqlDocumentStore]:
    engine = _sqlite_engine(request, tmp_path)
    yield SqlDocumentStore(engine)
    engine.dispose()


@pytest.fixture
def cache(redis_client: redis.Redis, redis_prefix: str) -> RedisDocumentStore:
    return RedisDocumentStore(redis_client, prefix=redis_prefix)


@pytest.fixture
def dead_redis() -> Iterator[RedisDocumentStore]:
    client = redis.Redis.from_url(
        "redis://127.0.0.1:1/0", socket_timeout=0.2, socket_connect_timeout=0.2
    )
    yield RedisDocumentStore(client, prefix="liner-test-dead:")
    client.close()


def test_tiered_keeps_answering_from_sql_when_redis_is_unreachable(
    sql_store: SqlDocumentStore, dead_redis: RedisDocumentStore
) -> None:
    with pytest.raises(redis.RedisError):
        dead_redis.get_many(["album:a"])
    tiered = TieredDocumentStore(dead_redis, sql_store)

    tiered.put_many({"album:a": b"A", "album:b": b"B"})
    assert tiered.get_many(["album:a", "album:b", "album:c"]) == {"album:a": b"A", "album:b": b"B"}

    tiered.put_many({"album:a": None})
    assert tiered.get_many(["album:a", "album:b"]) == {"album:b": b"B"}

    tiered.clear()
    assert tiered.get_many(["album:b"]) == {}


def test_tiered_reads_redis_first_and_sql_for_what_redis_lacks(
    sql_store: SqlDocumentStore, cache: RedisDocumentStore
) -> None:
    tiered = TieredDocumentStore(cache, sql_store)
    sql_store.put_many({"a": b"sql-a", "b": b"sql-b"})
    cache.put_many({"a": b"redis-a"})

    assert tiered.get_many(["a", "b", "c"]) == {"a": b"redis-a", "b": b"sql-b"}


def test_tiered_follows_the_mirror(sql_store: SqlDocumentStore, cache: RedisDocumentStore) -> None:
    tiered = TieredDocumentStore(cache, sql_store)
    mirror = RedisMirror(sql_store, cache)
    tiered.put_many({"a": b"1", "b": b"2"})
    mirror.run_until_idle()

    tiered.put_many({"a": b"1-new", "b": None})
    mirror.run_until_idle()

    assert cache.get_many(["a", "b"]) == {"a": b"1-new"}
    assert tiered.get_many(["a", "b"]) == {"a": b"1-new"}


def test_mirror_copies_sql_to_redis_in_order(
    sql_store: SqlDocumentStore, cache: RedisDocumentStore
) -> None:
    sql_store.put_many({"album:a": b"A", "album:b": b"B"})
    sql_store.put_many({"album:b": b"B2", "track:t": b"T"})
    sql_store.put_many({"album:a": None})
    mirror = RedisMirror(sql_store, cache)

    assert mirror.run_until_idle() == 3

    assert cache.get_many(["album:a", "album:b", "track:t"]) == {
        "album:b": b"B2",
        "track:t": b"T",
    }
    assert cache.mirrored_seq() == sql_store.max_seq()
    assert mirror.run_until_idle() == 0


def test_mirror_resumes_from_its_position(
    sql_store: SqlDocumentStore, cache: RedisDocumentStore
) -> None:
    mirror = RedisMirror(sql_store, cache)
    sql_store.put_many({f"k{n}": b"old" for n in range(5)})
    assert mirror.run_until_idle() == 5
    first_position = cache.mirrored_position()

    sql_store.put_many({"k1": b"new", "k9": b"nine"})

    assert mirror.run_once() == 2
    assert cache.mirrored_position() > first_position
    assert cache.get_many(["k0", "k1", "k9"]) == {"k0": b"old", "k1": b"new", "k9": b"nine"}
    assert RedisMirror(sql_store, cache).run_once() == 0


def test_mirror_refills_a_flushed_redis_from_the_start(
    sql_store: SqlDocumentStore,
    cache: RedisDocumentStore,
    redis_client: redis.Redis,
    redis_prefix: str,
) -> None:
    mirror = RedisMirror(sql_store, cache)
    sql_store.put_many({"a": b"1", "b": b"2"})
    sql_store.put_many({"c": b"3", "a": None})
    mirror.run_until_idle()
    assert cache.get_many(["b", "c"]) == {"b": b"2", "c": b"3"}

    flushed = list(redis_client.scan_iter(match=f"{redis_prefix}*"))
    assert len(flushed) == 4
    redis_client.delete(*flushed)
    assert cache.get_many(["b", "c"]) == {}
    assert cache.mirrored_position() == (0, "")

    assert mirror.run_until_idle() == 3

    assert cache.get_many(["a", "b", "c"]) == {"b": b"2", "c": b"3"}
    assert cache.mirrored_seq() == sql_store.max_seq()


def test_mirror_pages_through_more_than_one_batch_at_one_seq(
    sql_store: SqlDocumentStore, cache: RedisDocumentStore
) -> None:
    documents = {f"track:{n:05d}": str(n).encode() for n in range(2_500)}
    sql_store.put_many(documents)
    seq = sql_store.max_seq()
    mirror = RedisMirror(sql_store, cache)

    assert mirror.run_once() == 2_000
    assert cache.mirrored_seq() == seq - 1
    assert mirror.run_once() == 500
    assert cache.mirrored_seq() == seq
    assert mirror.run_once() == 0

    assert cache.get_many(list(documents)) == documents


def test_mirror_completes_a_seq_of_exactly_one_batch(
    sql_store: SqlDocumentStore, cache: RedisDocumentStore
) -> None:
    documents = {f"track:{n:05d}": b"x" for n in range(2_000)}
    sql_store.put_many(documents)
    mirror = RedisMirror(sql_store, cache)

    assert mirror.run_until_idle() == 2_000

    assert cache.mirrored_seq() == sql_store.max_seq()
    assert len(cache.get_many(list(documents))) == 2_000


@pytest.mark.postgres
def test_mirror_pages_on_postgresql(
    request: pytest.FixtureRequest, cache: RedisDocumentStore
) -> None:
    engine = _postgres_engine(request)
    try:
        source = SqlDocumentStore(engine)
        keys = [f"Track:{n:04d}" for n in range(1_200)] + [f"album:{n:04d}" for n in range(1_200)]
        source.put_many({k: k.encode() for k in keys})
        source.put_many({"album:0001": None, "zz": b"last"})
        mirror = RedisMirror(source, cache)

        assert mirror.run_until_idle() == 2_401

        found = cache.get_many([*keys, "zz"])
        assert len(found) == 2_400
        assert "album:0001" not in found
        assert found["zz"] == b"last"
        assert cache.mirrored_seq() == source.max_seq()
    finally:
        engine.dispose()


def test_changes_since_lists_keys_written_after_a_seq(sql_store: SqlDocumentStore) -> None:
    sql_store.put_many({"a": b"1", "b": b"2"})
    first = sql_store.max_seq()
    sql_store.put_many({"b": None, "c": b"3"})

    keys, newest = sql_store.changes_since(first)

    assert sorted(keys) == ["b", "c"]
    assert newest == sql_store.max_seq() == first + 1
    assert sql_store.changes_since(newest) == ([], newest)
