"""Reading the catalog's tables back in the suites: counts, the outbox, documents."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from liner.catalog.serving import AlbumEntry, Entry, TrackItem, decode_entry
from liner.models import Base, Episode, OutboxRow, ReadDocument, Release, Show, Track

BASE62_ID = re.compile(r"[0-9A-Za-z]{22}")


@dataclass(frozen=True, slots=True)
class Change:
    entity_type: str
    public_id: str
    operation: str
    revision: int


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table: equal before and after means nothing was written."""
    with engine.connect() as connection:
        return {
            table.name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


def outbox(sessions: sessionmaker[Session], *, after: int = 0) -> list[Change]:
    with sessions() as session:
        rows = session.scalars(
            select(OutboxRow).where(OutboxRow.id > after).order_by(OutboxRow.id)
        ).all()
        return [Change(r.entity_type, r.public_id, r.operation, r.revision) for r in rows]


def last_outbox_id(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.max(OutboxRow.id))) or 0)


def load_release(sessions: sessionmaker[Session], public_id: str) -> Release:
    with sessions() as session:
        return session.scalars(
            select(Release)
            .where(Release.public_id == public_id)
            .options(selectinload(Release.tracks), selectinload(Release.credits))
        ).one()


def tracks_by_key(release: Release) -> dict[str, Track]:
    return {t.track_key: t for t in release.tracks}


def load_show(sessions: sessionmaker[Session], public_id: str) -> Show:
    with sessions() as session:
        return session.scalars(
            select(Show).where(Show.public_id == public_id).options(selectinload(Show.episodes))
        ).one()


def episodes_by_number(show: Show) -> dict[int | None, Episode]:
    return {e.episode_number: e for e in show.episodes}


def documents(sessions: sessionmaker[Session]) -> dict[str, bytes | None]:
    with sessions() as session:
        rows = session.execute(select(ReadDocument.key, ReadDocument.body)).all()
        return {row.key: row.body for row in rows}


def entry(sessions: sessionmaker[Session], key: str) -> Entry | None:
    """The decoded document under ``key``; None for a tombstone. Fails when absent."""
    body = documents(sessions)[key]
    return decode_entry(body) if body is not None else None


def track_entry(sessions: sessionmaker[Session], public_id: str) -> TrackItem:
    found = entry(sessions, f"track:{public_id}")
    assert isinstance(found, TrackItem)
    return found


def album_entry(sessions: sessionmaker[Session], public_id: str) -> AlbumEntry:
    found = entry(sessions, f"album:{public_id}")
    assert isinstance(found, AlbumEntry)
    return found


def json_of(prefix: bytes) -> dict[str, Any]:
    """A stored document prefix (the object without its closing brace) as a dict."""
    value = orjson.loads(prefix + b"}")
    assert isinstance(value, dict)
    return value
