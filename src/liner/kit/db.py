"""Database engines: SQLite (embedded default) and PostgreSQL, configured the same way.

SQLite runs in WAL mode with ``synchronous=FULL`` and foreign keys on; write transactions
start with ``BEGIN IMMEDIATE`` so that writers serialise instead of failing late.
PostgreSQL writers serialise on an advisory transaction lock (see ``lock_writes``) so
that outbox ids are allocated in commit order.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

WRITE_LOCK_KEY = 0x4C494E4552  # an arbitrary constant for pg_advisory_xact_lock


def normalise_url(url: str) -> str:
    """Map plain ``postgresql://`` URLs onto the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def json_text(value: Any) -> str:
    """JSON columns are written by orjson (several times faster than the standard
    library on the deal and provenance documents every write stores)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    url = normalise_url(url)
    json_codec: dict[str, Any] = {"json_serializer": json_text, "json_deserializer": orjson.loads}
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **json_codec
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, **json_codec
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy issue BEGIN itself so that it can be BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Checkpoint every ~40 MB of WAL instead of every 4 MB: a bulk ingestion then
        # syncs the database file a tenth as often (measured about 8% faster on a busy
        # disk); readers are unaffected.
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get("readonly"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)


def lock_writes(session: Session) -> None:
    """Serialise catalog writers for the rest of this transaction (PostgreSQL only;
    SQLite's ``BEGIN IMMEDIATE`` already does). Readers pass the execution option
    ``readonly=True`` to start a deferred transaction on SQLite."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})


def read_only(session: Session) -> None:
    """Start this session's transaction as a reader: on SQLite a deferred ``BEGIN``,
    which neither takes nor waits for the write lock, so that reads go on while a long
    ingestion writes. Call before the session's first statement."""
    session.connection(execution_options={"readonly": True})


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session
