"""The projector: turns committed outbox rows into serving documents.

It reads the outbox after its cursor, works out which documents those changes touch,
rebuilds them from SQL, and writes them to the ``read_documents`` table together with
its new cursor, in one transaction. Each run gets a fresh ``seq`` so that servers can
evict exactly what changed. The read model can always be rebuilt from SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload, sessionmaker
from sqlalchemy.orm.strategy_options import _AbstractLoad

from liner.catalog.discographies import Discographies
from liner.catalog.documents import (
    Links,
    album_prefix,
    dumps,
    prefix_of,
    show_base,
    simplified_album,
    simplified_episode,
    simplified_track,
    track_document,
)
from liner.catalog.markets import MARKETS, available_markets
from liner.catalog.releases import next_boundary
from liner.catalog.shows import sha
from liner.kit.db import lock_writes
from liner.models import (
    Artist,
    ArtistCreditRow,
    ContributorRow,
    Episode,
    OutboxRow,
    ProjectorState,
    ReadDocument,
    Release,
    Show,
    Track,
)
from liner.models.base import utcnow

log = logging.getLogger(__name__)

CURSOR = "read_model"
SEQ = "read_model_seq"
BATCH = 500
ALBUM_CHUNK = 100
LOOKUP_CHUNK = 500


def _credited_artists(credits: _AbstractLoad, artist: Any) -> list[_AbstractLoad]:
    """A credit's artist comes with the credit (one join), without the localised names
    and external ids an artist otherwise loads: albums and tracks name artists by their
    id and display name only."""
    return [
        credits.joinedload(artist).lazyload(Artist.names),
        credits.joinedload(artist).lazyload(Artist.external_ids),
    ]


ALBUM_LOAD: tuple[_AbstractLoad, ...] = (
    *_credited_artists(
        selectinload(Release.tracks).selectinload(Track.credits), ArtistCreditRow.artist
    ),
    *_credited_artists(
        selectinload(Release.tracks).selectinload(Track.contributors), ContributorRow.artist
    ),
    selectinload(Release.tracks).selectinload(Track.availability),
    *_credited_artists(selectinload(Release.credits), ArtistCreditRow.artist),
    selectinload(Release.availability),
)
"""What an album's documents read: tracks with their credits, contributors and deals,
the release's credits and deals."""


@dataclass(slots=True)
class Work:
    albums: set[int] = field(default_factory=set)
    shows: set[int] = field(default_factory=set)
    artists: set[int] = field(default_factory=set)
    isrcs: set[str] = field(default_factory=set)
    upcs: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.albums or self.shows or self.artists or self.isrcs or self.upcs)


def _state(session: Session, name: str) -> ProjectorState:
    state = session.get(ProjectorState, name)
    if state is None:
        state = ProjectorState(name=name, position=0)
        session.add(state)
        session.flush()
    return state


def write_documents(session: Session, documents: dict[str, bytes | None], seq: int) -> None:
    """Upsert documents (``None`` writes a tombstone) at ``seq``."""
    if not documents:
        return
    dialect = session.get_bind().dialect.name
    rows = [{"key": k, "body": v, "seq": seq} for k, v in documents.items()]
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table: Table = ReadDocument.__table__  # type: ignore[assignment]
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["key"],
        set_={"body": statement.excluded.body, "seq": statement.excluded.seq},
    )
    # One cached statement, executed for many rows: no SQL to compile per batch.
    for start in range(0, len(rows), 500):
        session.execute(statement, rows[start : start + 500])


class DocumentBuilder:
    """Builds every document a set of changes touches, from SQL."""

    def __init__(self, session: Session, links: Links, now: datetime) -> None:
        self._session = session
        self._links = links
        self._now = now
        self.documents: dict[str, bytes | None] = {}
        self._shared_groups: set[int] = set()
        self._simplified: dict[int, dict[str, Any] | None] = {}
        """The simplified album of each release built here (None: not active), for the
        discographies."""

    def build(self, work: Work) -> dict[str, bytes | None]:
        album_ids = sorted(work.albums | self._relinked_releases(work.albums))
        for start in range(0, len(album_ids), ALBUM_CHUNK):
            chunk = album_ids[start : start + ALBUM_CHUNK]
            # One query per relationship for a whole chunk, not one set per album.
            loaded = self._session.scalars(
                select(Release).where(Release.id.in_(chunk)).options(*ALBUM_LOAD)
            ).all()
            by_id = {release.id: release for release in loaded}
            self._shared_groups = self._groups_across_releases(loaded)
            for release_id in chunk:
                release = by_id.get(release_id)
                if release is not None:
                    self._album(release, work)
        for show_id in sorted(work.shows):
            self._show(show_id)
        Discographies(self._session, self._links, self._now, self._simplified).build(
            sorted(work.artists), self.documents
        )
        self._isrcs(sorted(work.isrcs))
        self._upcs(sorted(work.upcs))
        return self.documents

    def _relinked_releases(self, release_ids: set[int]) -> set[int]:
        """Releases sharing a recording (ISRC) with the changed ones: their relinking
        depends on where the changed ones are available."""
        if not release_ids:
            return set()
        groups = select(Track.relink_group_id).where(
            Track.release_id.in_(release_ids), Track.relink_group_id.is_not(None)
        )
        found = self._session.scalars(
            select(Track.release_id).where(Track.relink_group_id.in_(groups)).distinct()
        )
        return set(found) - release_ids

    def _deals_markets(self, track: Track, release_markets: list[str]) -> list[str]:
        if track.availability:
            return available_markets(track.availability, self._now)
        return release_markets

    def _album(self, release: Release, work: Work) -> None:
        if release.upc:
            work.upcs.add(release.upc)
        work.isrcs.update(t.isrc for t in release.tracks if t.isrc)
        work.artists.update(c.artist_id for c in release.credits)
        work.artists.update(c.artist_id for t in release.tracks for c in t.credits)
        if release.status != "active":
            # A purged release has no deal windows left to wait for.
            release.availability_changes_at = None
            self._simplified[release.id] = None
            self.documents[f"album:{release.public_id}"] = None
            for track in release.tracks:
                self.documents[f"track:{track.public_id}"] = None
            return
        release.availability_changes_at = next_boundary(
            list(release.availability) + [a for t in release.tracks for a in t.availability],
            self._now,
        )
        active = [t for t in release.tracks if t.status == "active"]
        release_markets = available_markets(release.availability, self._now)
        track_markets = {t.id: self._deals_markets(t, release_markets) for t in active}
        if not release.availability and active:
            release_markets = sorted({m for ms in track_markets.values() for m in ms})
        album_simple = simplified_album(release, self._links, release_markets, len(active))
        self._simplified[release.id] = album_simple
        items = []
        for track in active:
            items.append(
                {
                    "p": prefix_of(simplified_track(track, self._links)),
                    "m": track_markets[track.id],
                }
            )
            document = track_document(track, album_simple, self._links)
            self.documents[f"track:{track.public_id}"] = dumps(
                {
                    "k": "track",
                    "p": prefix_of(document),
                    "m": track_markets[track.id],
                    "l": self._relinks(track, set(track_markets[track.id])),
                }
            )
        for track in release.tracks:
            if track.status != "active":
                self.documents[f"track:{track.public_id}"] = None
        self.documents[f"album:{release.public_id}"] = dumps(
            {
                "k": "album",
                "p": prefix_of(album_prefix(release, self._links, release_markets, len(active))),
                "t": items,
            }
        )

    def _groups_across_releases(self, releases: Iterable[Release]) -> set[int]:
        """The relink groups of these releases' active tracks that hold active tracks
        on more than one release: only those can relink. One query per chunk."""
        groups = {
            t.relink_group_id
            for release in releases
            for t in release.tracks
            if t.status == "active" and t.relink_group_id is not None
        }
        if not groups:
            return set()
        found = self._session.scalars(
            select(Track.relink_group_id)
            .where(Track.relink_group_id.in_(groups), Track.status == "active")
            .group_by(Track.relink_group_id)
            .having(func.count(Track.release_id.distinct()) > 1)
        )
        return {group for group in found if group is not None}

    def _relinks(self, track: Track, markets: set[str]) -> dict[str, str]:
        """For markets where this track is not available, the same recording on another
        release that is: the read API serves that one with ``linked_from``."""
        if (
            track.relink_group_id is None
            or track.relink_group_id not in self._shared_groups
            or len(markets) == len(MARKETS)
        ):
            return {}
        siblings = self._session.scalars(
            select(Track)
            .join(Release)
            .where(
                Track.relink_group_id == track.relink_group_id,
                Track.id != track.id,
                Track.status == "active",
                Release.status == "active",
            )
            .options(selectinload(Track.availability), selectinload(Track.release))
            .order_by(Track.id)
        ).all()
        links: dict[str, str] = {}
        for sibling in siblings:
            release_markets = available_markets(sibling.release.availability, self._now)
            for market in self._deals_markets(sibling, release_markets):
                if market not in markets and market not in links:
                    links[market] = sibling.public_id
        return links

    def _isrcs(self, isrcs: list[str]) -> None:
        """The ``isrc:`` lookups, one query per chunk of ISRCs."""
        for start in range(0, len(isrcs), LOOKUP_CHUNK):
            chunk = isrcs[start : start + LOOKUP_CHUNK]
            rows = self._session.execute(
                select(Track.isrc, Track.public_id)
                .join(Release)
                .where(Track.isrc.in_(chunk), Track.status == "active", Release.status == "active")
                .order_by(Track.id)
            )
            self._lookups("isrc", chunk, rows)

    def _upcs(self, upcs: list[str]) -> None:
        """The ``upc:`` lookups, one query per chunk of UPCs."""
        for start in range(0, len(upcs), LOOKUP_CHUNK):
            chunk = upcs[start : start + LOOKUP_CHUNK]
            rows = self._session.execute(
                select(Release.upc, Release.public_id)
                .where(Release.upc.in_(chunk), Release.status == "active")
                .order_by(Release.id)
            )
            self._lookups("upc", chunk, rows)

    def _lookups(self, prefix: str, keys: list[str], rows: Iterable[Row[str | None, str]]) -> None:
        found: dict[str, list[str]] = {key: [] for key in keys}
        for key, public_id in rows:
            if key is not None:
                found[key].append(public_id)
        for key, ids in found.items():
            self.documents[f"{prefix}:{key}"] = dumps({"k": "ids", "ids": ids}) if ids else None

    def _show(self, show_id: int) -> None:
        show = self._session.scalars(
            select(Show).where(Show.id == show_id).options(selectinload(Show.episodes))
        ).one()
        if show.feed_url:
            self.documents[f"feed:{sha(show.feed_url)}"] = dumps(
                {"k": "ids", "ids": [show.public_id]}
            )
        if show.podcast_guid:
            self.documents[f"guid:{show.podcast_guid}"] = dumps(
                {"k": "ids", "ids": [show.public_id]}
            )
        if show.status != "active":
            self.documents[f"show:{show.public_id}"] = None
            for episode in show.episodes:
                self.documents[f"episode:{episode.public_id}"] = None
            return
        active = [e for e in show.episodes if e.status == "active"]
        active.sort(key=lambda e: (e.published_at or e.created_at, e.id), reverse=True)
        base = show_base(show, self._links, len(active), MARKETS)
        episodes = [simplified_episode(e, self._links) for e in active]
        self.documents[f"show:{show.public_id}"] = dumps(
            {"k": "show", "p": prefix_of(base), "i": [dumps(e).decode() for e in episodes]}
        )
        for episode in show.episodes:
            document = simplified_episode(episode, self._links)
            document["show"] = base
            self.documents[f"episode:{episode.public_id}"] = dumps(
                {"k": "episode", "b": dumps(document).decode()}
            )


def _work_from(rows: Iterable[OutboxRow]) -> Work:
    work = Work()
    for row in rows:
        if row.aggregate_type == "album":
            work.albums.add(row.aggregate_id)
        elif row.aggregate_type == "show":
            work.shows.add(row.aggregate_id)
        elif row.aggregate_type == "artist":
            work.artists.add(row.aggregate_id)
        related = row.related or {}
        work.artists.update(int(a) for a in related.get("artists", []))
        work.upcs.update(related.get("upcs", []))
        work.isrcs.update(related.get("isrcs", []))
    return work


class Projector:
    def __init__(self, sessions: sessionmaker[Session], links: Links) -> None:
        self._sessions = sessions
        self._links = links

    def run_once(self, *, batch: int = BATCH) -> int:
        """Project one batch of outbox rows; returns how many rows it consumed."""
        with self._sessions() as session, session.begin():
            lock_writes(session)
            cursor = _state(session, CURSOR)
            rows = session.scalars(
                select(OutboxRow)
                .where(OutboxRow.id > cursor.position)
                .order_by(OutboxRow.id)
                .limit(batch)
            ).all()
            if not rows:
                return 0
            now = utcnow()
            documents = DocumentBuilder(session, self._links, now).build(_work_from(rows))
            seq = _state(session, SEQ)
            seq.position += 1
            write_documents(session, documents, seq.position)
            cursor.position = rows[-1].id
            return len(rows)

    def run_until_idle(self) -> int:
        total = 0
        while True:
            done = self.run_once()
            total += done
            if done == 0:
                return total

    def refresh_due(self) -> int:
        """Rebuild the documents of releases whose deals started or ended since they were
        built (a window opening or closing changes availability without any message)."""
        with self._sessions() as session, session.begin():
            lock_writes(session)
            now = utcnow()
            due = set(
                session.scalars(
                    select(Release.id).where(
                        Release.availability_changes_at.is_not(None),
                        Release.availability_changes_at <= now,
                    )
                )
            )
            if not due:
                return 0
            documents = DocumentBuilder(session, self._links, now).build(Work(albums=due))
            seq = _state(session, SEQ)
            seq.position += 1
            write_documents(session, documents, seq.position)
            return len(due)

    def rebuild(self) -> int:
        """Throw the read model away and build it again from SQL; returns documents written."""
        with self._sessions() as session, session.begin():
            lock_writes(session)
            now = utcnow()
            session.execute(delete(ReadDocument))
            work = Work(
                albums=set(session.scalars(select(Release.id))),
                shows=set(session.scalars(select(Show.id))),
                artists=set(session.scalars(select(Artist.id))),
            )
            documents = DocumentBuilder(session, self._links, now).build(work)
            seq = _state(session, SEQ)
            seq.position += 1
            write_documents(session, documents, seq.position)
            cursor = _state(session, CURSOR)
            cursor.position = session.scalar(select(func.max(OutboxRow.id))) or 0
            return len(documents)


def episode_is_listed(episode: Episode) -> bool:
    return episode.status == "active"
