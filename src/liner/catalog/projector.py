"""The projector: turns committed outbox rows into serving documents.

It reads the outbox after its cursor, works out which documents those changes touch,
rebuilds them from SQL, and writes them to the ``read_documents`` table together with
its new cursor, in one transaction. Each run gets a fresh ``seq`` so that servers can
evict exactly what changed. The read model can always be rebuilt from SQL.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, bindparam, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload, sessionmaker

from liner.catalog.discographies import Discographies
from liner.catalog.documents import (
    DEAL_COLUMNS,
    Deal,
    Links,
    ReleaseFacts,
    TrackFacts,
    album_prefix,
    dumps,
    load_releases,
    plain_rows,
    prefix_of,
    show_base,
    simplified_album,
    simplified_episode,
    simplified_track,
    track_document,
)
from liner.catalog.markets import MARKETS, available_markets
from liner.catalog.release_rows import next_boundary
from liner.catalog.shows import sha
from liner.kit.db import lock_writes
from liner.models import (
    Artist,
    AvailabilityRow,
    Episode,
    OutboxRow,
    ProjectorState,
    ReadDocument,
    Release,
    Show,
    Track,
)
from liner.models.base import table_of, utcnow

log = logging.getLogger(__name__)

CURSOR = "read_model"
SEQ = "read_model_seq"
BATCH = 500
ALBUM_CHUNK = 100
LOOKUP_CHUNK = 500
SHOW_CHUNK = 50


MEMBER_COLUMNS = (
    Track.id,
    Track.public_id,
    Track.relink_group_id,
    Track.release_id,
    Release.status,
)
"""A relink group's member: the track, its group, its release and the release's status."""


def save_boundaries(session: Session, releases: Iterable[ReleaseFacts], now: datetime) -> None:
    """Store each release's next deal boundary (none for a release that is not active:
    a purged release has no deal windows left to wait for), where it moved."""
    moved = []
    for release in releases:
        boundary = None
        if release.status == "active":
            boundary = next_boundary(
                release.availability + [d for t in release.tracks for d in t.availability], now
            )
        if boundary != release.availability_changes_at:
            moved.append({"release": release.id, "at": boundary})
    if moved:
        table = table_of(Release)
        session.execute(
            update(table)
            .where(table.c.id == bindparam("release"))
            .values(availability_changes_at=bindparam("at")),
            moved,
        )


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
        self._simplified: dict[int, dict[str, Any] | None] = {}
        """The simplified album of each release built here (None: not active), for the
        discographies."""
        self._relink_candidates: dict[int, list[tuple[int, str, list[str]]]] = {}
        """The tracks the current chunk's tracks may relink to, by relink group."""

    def build(self, work: Work) -> dict[str, bytes | None]:
        album_ids = sorted(work.albums | self._relinked_releases(work.albums))
        for start in range(0, len(album_ids), ALBUM_CHUNK):
            chunk = album_ids[start : start + ALBUM_CHUNK]
            releases = load_releases(self._session, chunk)
            self._relink_candidates = self._load_relink_candidates(releases.values())
            for release_id in chunk:
                release = releases.get(release_id)
                if release is not None:
                    self._album(release, work)
            save_boundaries(self._session, releases.values(), self._now)
        show_ids = sorted(work.shows)
        for start in range(0, len(show_ids), SHOW_CHUNK):
            self._shows(show_ids[start : start + SHOW_CHUNK])
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

    def _markets(self, deals: list[Deal], release_markets: list[str]) -> list[str]:
        """A track's markets: its own deals', else its release's."""
        if deals:
            return available_markets(deals, self._now)
        return release_markets

    def _album(self, release: ReleaseFacts, work: Work) -> None:
        if release.upc:
            work.upcs.add(release.upc)
        work.isrcs.update(t.isrc for t in release.tracks if t.isrc)
        work.artists.update(c.artist_id for c in release.credits)
        work.artists.update(c.artist_id for t in release.tracks for c in t.credits)
        if release.status != "active":
            self._simplified[release.id] = None
            self.documents[f"album:{release.public_id}"] = None
            for track in release.tracks:
                self.documents[f"track:{track.public_id}"] = None
            return
        active = [t for t in release.tracks if t.status == "active"]
        release_markets = available_markets(release.availability, self._now)
        track_markets = {t.id: self._markets(t.availability, release_markets) for t in active}
        if not release.availability and active:
            release_markets = sorted({m for ms in track_markets.values() for m in ms})
        album_simple = simplified_album(release, self._links, release_markets, len(active))
        self._simplified[release.id] = album_simple
        items = []
        for track in active:
            simplified = simplified_track(track, release.credits, self._links)
            items.append({"p": prefix_of(simplified), "m": track_markets[track.id]})
            document = track_document(track, simplified, album_simple)
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

    def _load_relink_candidates(
        self, releases: Iterable[ReleaseFacts]
    ) -> dict[int, list[tuple[int, str, list[str]]]]:
        """For the relink groups of these releases' active tracks that hold active tracks
        on more than one release (only those can relink): each active track of the group
        on an active release, with its markets, in track order. Two queries per chunk."""
        groups = {
            t.relink_group_id
            for release in releases
            for t in release.tracks
            if t.status == "active" and t.relink_group_id is not None
        }
        if not groups:
            return {}
        members = list(
            plain_rows(
                self._session,
                select(*MEMBER_COLUMNS)
                .join(Release, Release.id == Track.release_id)
                .where(Track.relink_group_id.in_(groups), Track.status == "active")
                .order_by(Track.id),
            )
        )
        releases_of: dict[int, set[int]] = defaultdict(set)
        for _, _, group, release_id, _ in members:
            releases_of[group].add(release_id)
        siblings = [m for m in members if len(releases_of[m[2]]) > 1 and m[4] == "active"]
        if not siblings:
            return {}
        release_deals: dict[int, list[Deal]] = defaultdict(list)
        track_deals: dict[int, list[Deal]] = defaultdict(list)
        for release_id, track_id, *deal in plain_rows(
            self._session,
            select(AvailabilityRow.release_id, AvailabilityRow.track_id, *DEAL_COLUMNS).where(
                AvailabilityRow.release_id.in_(sorted({m[3] for m in siblings}))
            ),
        ):
            if track_id is None:
                release_deals[release_id].append(Deal(*deal))
            else:
                track_deals[track_id].append(Deal(*deal))
        release_markets = {
            release_id: available_markets(release_deals[release_id], self._now)
            for release_id in {m[3] for m in siblings}
        }
        candidates: dict[int, list[tuple[int, str, list[str]]]] = defaultdict(list)
        for track_id, public_id, group, release_id, _ in siblings:
            markets = self._markets(track_deals[track_id], release_markets[release_id])
            candidates[group].append((track_id, public_id, markets))
        return candidates

    def _relinks(self, track: TrackFacts, markets: set[str]) -> dict[str, str]:
        """For markets where this track is not available, the same recording on another
        release that is: the read API serves that one with ``linked_from``."""
        if track.relink_group_id is None or len(markets) == len(MARKETS):
            return {}
        links: dict[str, str] = {}
        for sibling_id, public_id, sibling_markets in self._relink_candidates.get(
            track.relink_group_id, ()
        ):
            if sibling_id == track.id:
                continue
            for market in sibling_markets:
                if market not in markets and market not in links:
                    links[market] = public_id
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

    def _shows(self, show_ids: list[int]) -> None:
        """The documents of a chunk of shows, read in two queries (shows, episodes)."""
        shows = self._session.scalars(
            select(Show)
            .where(Show.id.in_(show_ids))
            .options(selectinload(Show.episodes))
            .order_by(Show.id)
        )
        for show in shows:
            self._show(show)

    def _show(self, show: Show) -> None:
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
        simplified = {e.id: simplified_episode(e, self._links) for e in show.episodes}
        items = [dumps(simplified[e.id]).decode() for e in active]
        self.documents[f"show:{show.public_id}"] = dumps(
            {"k": "show", "p": prefix_of(base), "i": items}
        )
        for episode in show.episodes:
            # The show's items are serialised above; the episode document adds its show.
            document = simplified[episode.id]
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


def _begin(session: Session) -> None:
    """Take the write lock and, on PostgreSQL, plan this transaction's reads with
    indexes only.

    Every read that builds documents is driven by a batch's keys (ids, ISRCs, UPCs)
    that an index covers; the few whole-table reads of a rebuild (every release, show
    and artist id) then read the primary key index, which costs little more. Without
    fresh statistics (a catalog that grew since the last ``ANALYZE``)
    the planner takes a long list of keys for most of a table and scans all of it, or
    loops over every release, so that each batch grew with the catalog. Just-in-time
    compilation goes off too: it would take a disabled scan's cost for a reason to
    compile a query that reads a few rows. ``SET LOCAL`` lasts until the end of the
    transaction.
    """
    lock_writes(session)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL enable_seqscan = off"))
        session.execute(text("SET LOCAL jit = off"))


class Projector:
    def __init__(self, sessions: sessionmaker[Session], links: Links) -> None:
        self._sessions = sessions
        self._links = links

    def run_once(self, *, batch: int = BATCH) -> int:
        """Project one batch of outbox rows; returns how many rows it consumed."""
        with self._sessions() as session, session.begin():
            _begin(session)
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
            _begin(session)
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
            _begin(session)
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
