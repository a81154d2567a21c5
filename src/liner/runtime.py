"""Wiring: settings in, the engine, stores, services and background loops out.

One :class:`Runtime` per process. ``liner serve`` starts its background loops (the
projector, deal-window refresh, the Redis mirror and cache invalidation); the CLI uses
the same object and runs the projector synchronously instead.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import redis
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from liner.catalog.documents import Links
from liner.catalog.projector import Projector
from liner.catalog.service import CatalogService
from liner.catalog.serving import CatalogReader
from liner.catalog.stores import (
    DocumentStore,
    RedisDocumentStore,
    RedisMirror,
    SqlDocumentStore,
    TieredDocumentStore,
)
from liner.config import Settings
from liner.kit.db import make_engine, make_sessionmaker
from liner.kit.migrate import upgrade

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    sql_store: SqlDocumentStore
    redis_store: RedisDocumentStore | None
    reader: CatalogReader
    catalog: CatalogService
    projector: Projector
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> Runtime:
        if migrate:
            upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        sessions = make_sessionmaker(engine)
        sql_store = SqlDocumentStore(engine)
        redis_store: RedisDocumentStore | None = None
        store: DocumentStore = sql_store
        if settings.redis_url:
            client = redis.Redis.from_url(
                settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
            )
            redis_store = RedisDocumentStore(client)
            store = TieredDocumentStore(redis_store, sql_store)
        reader = CatalogReader(store, max_entries=settings.cache_entries)
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            sql_store=sql_store,
            redis_store=redis_store,
            reader=reader,
            catalog=CatalogService(sessions),
            projector=Projector(sessions, Links(settings.public_url)),
        )

    def project(self) -> int:
        """Bring the read model (and its Redis copy) up to date, synchronously."""
        done = self.projector.run_until_idle()
        self.mirror()
        return done

    def mirror(self) -> None:
        if self.redis_store is None:
            return
        try:
            RedisMirror(self.sql_store, self.redis_store).run_until_idle()
        except redis.RedisError as exc:
            log.warning("redis mirror failed; reads fall back to SQL", extra={"error": str(exc)})

    def rebuild_read_model(self) -> int:
        written = self.projector.rebuild()
        if self.redis_store is not None:
            try:
                self.redis_store.clear()
                self.redis_store.client.delete(
                    self.redis_store.position_key, self.redis_store.complete_key
                )
            except redis.RedisError as exc:
                log.warning("could not clear redis", extra={"error": str(exc)})
        self.mirror()
        self.reader.clear()
        return written

    def check_database(self) -> None:
        with self.engine.connect().execution_options(readonly=True) as connection:
            connection.execute(text("SELECT 1"))

    def check_redis(self) -> None:
        if self.redis_store is not None:
            self.redis_store.client.ping()

    # background loops

    def start_background(self) -> None:
        # The cache is empty now: everything already written is what it will read.
        self._seen_seq = self._seen_mirror = self.sql_store.max_seq()
        self._spawn("projector", self._projector_loop, 0.2)
        self._spawn("invalidation", self._invalidation_loop, self.settings.invalidation_interval_s)

    def _spawn(self, name: str, body: object, interval: float) -> None:
        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    body()  # type: ignore[operator]
                except Exception:
                    log.exception("background loop failed", extra={"loop": name})

        thread = threading.Thread(target=loop, name=f"liner-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _projector_loop(self) -> None:
        self.projector.run_until_idle()
        self.projector.refresh_due()
        self.mirror()

    _seen_seq: int = -1
    _seen_mirror: int = -1

    def _evict_since(self, seq: int) -> int:
        """Evict what changed after ``seq``; returns the newest seq seen."""
        limit = 10_000
        keys, newest = self.sql_store.changes_since(seq, limit=limit)
        if len(keys) >= limit:
            self.reader.clear()
            return self.sql_store.max_seq()
        if keys:
            self.reader.evict(keys)
        return newest

    def _invalidation_loop(self) -> None:
        """Evict cached documents that changed: once when SQL has them, and again once
        Redis has them (a read in between may have cached Redis's older copy)."""
        if self._seen_seq < 0:
            self._seen_seq = self._seen_mirror = self.sql_store.max_seq()
            return
        self._seen_seq = self._evict_since(self._seen_seq)
        if self.redis_store is None:
            return
        try:
            mirrored = self.redis_store.mirrored_seq()
        except redis.RedisError:
            return
        if mirrored > self._seen_mirror:
            self._evict_since(self._seen_mirror)
            self._seen_mirror = mirrored

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        if self.redis_store is not None:
            self.redis_store.client.close()
        self.engine.dispose()
