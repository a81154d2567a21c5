"""Document stores for the read model: one interface, an in-memory, a SQL and a Redis
implementation, and a tiered store that reads Redis and falls back to SQL.

SQL (the ``read_documents`` table) is where the projector writes; Redis is a serving
copy kept up to date by :class:`RedisMirror`. Losing Redis loses speed, never data and
never availability.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Protocol

import redis
from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from liner.catalog.projector import SEQ, _state, write_documents
from liner.models import ReadDocument

log = logging.getLogger(__name__)


class DocumentStore(Protocol):
    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The documents that exist among ``keys``; missing keys and tombstones are absent."""
        ...

    def put_many(self, documents: Mapping[str, bytes | None]) -> None:
        """Write documents; ``None`` removes the key."""
        ...

    def clear(self) -> None: ...


class MemoryDocumentStore:
    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        data = self._data
        return {k: data[k] for k in keys if k in data}

    def put_many(self, documents: Mapping[str, bytes | None]) -> None:
        with self._lock:
            for key, body in documents.items():
                if body is None:
                    self._data.pop(key, None)
                else:
                    self._data[key] = body

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class SqlDocumentStore:
    """The ``read_documents`` table, on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine)

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        if not keys:
            return {}
        with self._engine.connect().execution_options(readonly=True) as connection:
            rows = connection.execute(
                select(ReadDocument.key, ReadDocument.body).where(ReadDocument.key.in_(list(keys)))
            ).all()
        return {key: body for key, body in rows if body is not None}

    def put_many(self, documents: Mapping[str, bytes | None]) -> None:
        with self._sessions() as session, session.begin():
            seq = _state(session, SEQ)
            seq.position += 1
            write_documents(session, dict(documents), seq.position)

    def clear(self) -> None:
        with self._sessions() as session, session.begin():
            session.query(ReadDocument).delete()

    def max_seq(self) -> int:
        with self._engine.connect().execution_options(readonly=True) as connection:
            return int(connection.scalar(select(func.max(ReadDocument.seq))) or 0)

    def changes_since(self, seq: int, *, limit: int = 10_000) -> tuple[list[str], int]:
        """Keys written after ``seq`` and the highest seq seen (for cache invalidation)."""
        with self._engine.connect().execution_options(readonly=True) as connection:
            rows = connection.execute(
                select(ReadDocument.key, ReadDocument.seq)
                .where(ReadDocument.seq > seq)
                .order_by(ReadDocument.seq)
                .limit(limit)
            ).all()
        if not rows:
            return [], seq
        return [key for key, _ in rows], max(s for _, s in rows)

    def rows_after(
        self, seq: int, key: str, *, limit: int = 2_000
    ) -> list[tuple[str, bytes | None, int]]:
        """Rows after the position (seq, key), in (seq, key) order."""
        with self._engine.connect().execution_options(readonly=True) as connection:
            rows = connection.execute(
                select(ReadDocument.key, ReadDocument.body, ReadDocument.seq)
                .where(
                    or_(
                        ReadDocument.seq > seq,
                        and_(ReadDocument.seq == seq, ReadDocument.key > key),
                    )
                )
                .order_by(ReadDocument.seq, ReadDocument.key)
                .limit(limit)
            ).all()
        return [(k, body, s) for k, body, s in rows]


class RedisDocumentStore:
    """Documents under ``<prefix>doc:<key>`` in Redis."""

    def __init__(self, client: redis.Redis, *, prefix: str = "liner:") -> None:
        self.client = client
        self.prefix = prefix

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        if not keys:
            return {}
        values = self.client.mget([f"{self.prefix}doc:{k}" for k in keys])
        return {k: v for k, v in zip(keys, values, strict=True) if isinstance(v, bytes)}

    def put_many(self, documents: Mapping[str, bytes | None]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for key, body in documents.items():
            if body is None:
                pipe.delete(f"{self.prefix}doc:{key}")
            else:
                pipe.set(f"{self.prefix}doc:{key}", body)
        pipe.execute()

    def clear(self) -> None:
        cursor = 0
        while True:
            cursor, keys = self.client.scan(cursor, match=f"{self.prefix}doc:*", count=1000)
            if keys:
                self.client.delete(*keys)
            if cursor == 0:
                return

    @property
    def position_key(self) -> str:
        return f"{self.prefix}mirrored"

    def mirrored_position(self) -> tuple[int, str]:
        """How far the mirror has copied: (seq, key); (0, "") for an empty Redis."""
        value = self.client.get(self.position_key)
        if not isinstance(value, bytes):
            return 0, ""
        seq, _, key = value.decode().partition(" ")
        return int(seq), key

    @property
    def complete_key(self) -> str:
        return f"{self.prefix}mirrored_complete"

    def mirrored_seq(self) -> int:
        """Every document written at or before this seq is in Redis."""
        value = self.client.get(self.complete_key)
        return int(value) if isinstance(value, bytes) else 0


class TieredDocumentStore:
    """Reads Redis first; on a miss or any Redis error, reads SQL. Writes go to SQL."""

    def __init__(self, primary: RedisDocumentStore, fallback: SqlDocumentStore) -> None:
        self.primary = primary
        self.fallback = fallback

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        try:
            found = self.primary.get_many(keys)
        except redis.RedisError as exc:
            log.warning("redis read failed, reading from SQL", extra={"error": str(exc)})
            return self.fallback.get_many(keys)
        missing = [k for k in keys if k not in found]
        if missing:
            found.update(self.fallback.get_many(missing))
        return found

    def put_many(self, documents: Mapping[str, bytes | None]) -> None:
        self.fallback.put_many(documents)

    def clear(self) -> None:
        self.fallback.clear()
        try:
            self.primary.clear()
        except redis.RedisError as exc:
            log.warning("redis clear failed", extra={"error": str(exc)})


class RedisMirror:
    """Copies documents from SQL to Redis in seq order. Its position lives in Redis, so a
    Redis that restarted empty is refilled from the start."""

    def __init__(self, source: SqlDocumentStore, target: RedisDocumentStore) -> None:
        self._source = source
        self._target = target

    def run_once(self) -> int:
        seq, key = self._target.mirrored_position()
        rows = self._source.rows_after(seq, key)
        if not rows:
            # Nothing after the position: everything up to its seq is in Redis, even when
            # the last batch ended exactly at the end of that seq.
            if seq > self._target.mirrored_seq():
                self._target.client.set(self._target.complete_key, seq)
            return 0
        self._target.put_many({k: body for k, body, _ in rows})
        last_key, _, last_seq = rows[-1]
        complete = last_seq if len(rows) < 2_000 else last_seq - 1
        pipe = self._target.client.pipeline(transaction=True)
        pipe.set(self._target.position_key, f"{last_seq} {last_key}")
        pipe.set(self._target.complete_key, complete)
        pipe.execute()
        return len(rows)

    def run_until_idle(self) -> int:
        total = 0
        while done := self.run_once():
            total += done
        return total


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
