"""SQL for podcast feeds: registering them, claiming due ones, recording what a sync
found, and the reads the API and the syncer need. Catalog writes go through
:class:`liner.catalog.service.CatalogService` only."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from liner.kit.db import read_only
from liner.kit.errors import ConflictError
from liner.kit.ids import new_public_id
from liner.models import Episode, Feed, FeedFetch, Show
from liner.models.base import utcnow

HISTORY_KEPT = 20
"""Fetch history rows kept per feed."""


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


class FeedRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    # registering

    def register(self, url: str, owner: str, *, kind: str = "http") -> tuple[Feed, bool]:
        """The feed row for ``url``, created for ``owner`` if new; ``(feed, created)``.

        Raises :class:`ConflictError` when another account registered the URL.
        """
        for _ in range(2):
            try:
                return self._register(url, owner, kind)
            except IntegrityError:
                continue  # registered concurrently: read it back
        return self._register(url, owner, kind)

    def _register(self, url: str, owner: str, kind: str) -> tuple[Feed, bool]:
        digest = url_hash(url)
        with self._sessions() as session, session.begin():
            row = session.scalars(select(Feed).where(Feed.url_hash == digest)).first()
            if row is not None:
                if row.owner != owner:
                    raise ConflictError(
                        "this feed is registered by another account",
                        code="feed_owned_by_other",
                        location=url,
                    )
                return row, False
            now = utcnow()
            row = Feed(
                public_id=new_public_id(),
                url=url,
                url_hash=digest,
                kind=kind,
                owner=owner,
                status="active",
                previous_urls=[],
                last_problems=[],
                consecutive_errors=0,
                error_count=0,
                last_added=0,
                last_updated=0,
                last_removed=0,
                next_fetch_at=now if kind == "http" else None,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            return row, True

    # reads

    def get(self, public_id: str) -> Feed | None:
        with self._sessions() as session:
            read_only(session)
            return session.scalars(select(Feed).where(Feed.public_id == public_id)).first()

    def get_by_url(self, url: str) -> Feed | None:
        with self._sessions() as session:
            read_only(session)
            return session.scalars(select(Feed).where(Feed.url_hash == url_hash(url))).first()

    def get_for_owner(self, owner: str, public_id: str) -> Feed | None:
        feed = self.get(public_id)
        return feed if feed is not None and feed.owner == owner else None

    def list_for_owner(
        self, owner: str, *, limit: int, offset: int, status: str | None = None
    ) -> tuple[list[Feed], int]:
        """The owner's feeds, newest registration first, and how many there are."""
        with self._sessions() as session:
            read_only(session)
            where = [Feed.owner == owner]
            if status is not None:
                where.append(Feed.status == status)
            total = session.scalar(select(func.count()).select_from(Feed).where(*where)) or 0
            rows = session.scalars(
                select(Feed).where(*where).order_by(Feed.id.desc()).limit(limit).offset(offset)
            ).all()
            return list(rows), int(total)

    def history(self, feed_id: int, *, limit: int = 10) -> list[FeedFetch]:
        with self._sessions() as session:
            read_only(session)
            rows = session.scalars(
                select(FeedFetch)
                .where(FeedFetch.feed_id == feed_id)
                .order_by(FeedFetch.id.desc())
                .limit(limit)
            ).all()
            return list(rows)

    def revisions(self, episode_ids: Sequence[str]) -> dict[str, int]:
        """The current revision of each of these episodes (1 means it was just created)."""
        found: dict[str, int] = {}
        ids = list(episode_ids)
        with self._sessions() as session:
            read_only(session)
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows = session.execute(
                    select(Episode.public_id, Episode.revision).where(Episode.public_id.in_(chunk))
                )
                found.update((public_id, revision) for public_id, revision in rows)
        return found

    def show_key(self, show_public_id: str) -> str | None:
        with self._sessions() as session:
            read_only(session)
            return session.scalar(select(Show.source_key).where(Show.public_id == show_public_id))

    # scheduling

    def claim_due(
        self, worker: str, *, limit: int, lease_s: float, now: datetime | None = None
    ) -> list[Feed]:
        """Claim up to ``limit`` feeds that are due and not claimed by a live worker.

        A claim is a lease: it ends when the sync is recorded, or at ``claimed_until``
        if the worker died. On PostgreSQL concurrent claimers skip each other's rows
        (``FOR UPDATE SKIP LOCKED``); SQLite serialises write transactions anyway.
        """
        if limit <= 0:
            return []
        now = now or utcnow()
        due = select(Feed.id).where(
            Feed.kind == "http",
            Feed.status != "moved",
            Feed.next_fetch_at.is_not(None),
            Feed.next_fetch_at <= now,
            or_(Feed.claimed_until.is_(None), Feed.claimed_until < now),
        )
        with self._sessions() as session:
            # An idle worker polls often: look as a reader first, so that polling
            # takes no write lock (on SQLite) while nothing is due.
            read_only(session)
            if session.scalar(due.limit(1)) is None:
                return []
        with self._sessions() as session, session.begin():
            query = due.order_by(Feed.next_fetch_at, Feed.id).limit(limit)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(session.scalars(query))
            if not ids:
                return []
            session.execute(
                update(Feed)
                .where(Feed.id.in_(ids))
                .values(claimed_by=worker, claimed_until=now + timedelta(seconds=lease_s))
            )
            rows = session.scalars(select(Feed).where(Feed.id.in_(ids))).all()
            order = {feed_id: index for index, feed_id in enumerate(ids)}
            return sorted(rows, key=lambda row: order[row.id])

    def next_due(self) -> datetime | None:
        """When the earliest polled feed is due."""
        with self._sessions() as session:
            read_only(session)
            found: datetime | None = session.scalar(
                select(func.min(Feed.next_fetch_at)).where(
                    Feed.kind == "http", Feed.status != "moved"
                )
            )
            return found

    def release(self, feed_id: int, worker: str) -> None:
        with self._sessions() as session, session.begin():
            session.execute(
                update(Feed)
                .where(Feed.id == feed_id, Feed.claimed_by == worker)
                .values(claimed_by=None, claimed_until=None)
            )

    # recording

    def record(
        self,
        feed_id: int,
        apply: Callable[[Feed], FeedFetch | None],
        *,
        release: str | None = None,
    ) -> Feed:
        """Update one feed row under a row lock: ``apply`` changes it (and may return a
        history row to add); the claim of worker ``release`` ends; old history goes."""
        with self._sessions() as session, session.begin():
            query = select(Feed).where(Feed.id == feed_id)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update()
            row = session.scalars(query).one()
            fetch = apply(row)
            row.updated_at = utcnow()
            if release is not None and row.claimed_by == release:
                row.claimed_by = None
                row.claimed_until = None
            if fetch is not None:
                fetch.feed_id = row.id
                session.add(fetch)
                session.flush()
                self._prune(session, row.id)
            return row

    @staticmethod
    def _prune(session: Session, feed_id: int) -> None:
        keep_from = session.scalar(
            select(FeedFetch.id)
            .where(FeedFetch.feed_id == feed_id)
            .order_by(FeedFetch.id.desc())
            .offset(HISTORY_KEPT - 1)
            .limit(1)
        )
        if keep_from is not None:
            session.execute(
                delete(FeedFetch).where(FeedFetch.feed_id == feed_id, FeedFetch.id < keep_from)
            )

    def move(self, feed_id: int, new_url: str) -> Feed | None:
        """Point a feed at ``new_url``. When another feed row already follows that URL,
        this one becomes ``moved`` instead and that row is returned."""
        digest = url_hash(new_url)
        with self._sessions() as session, session.begin():
            other = session.scalars(
                select(Feed).where(Feed.url_hash == digest, Feed.id != feed_id)
            ).first()
            row = session.get(Feed, feed_id)
            if row is None:
                return None
            if other is not None:
                row.status = "moved"
                row.moved_to = new_url
                row.next_fetch_at = None
                row.claimed_by = None
                row.claimed_until = None
                row.updated_at = utcnow()
                return other
            previous = [u for u in row.previous_urls if u != new_url]
            previous.append(row.url)
            row.previous_urls = previous[-10:]
            row.url = new_url
            row.url_hash = digest
            row.updated_at = utcnow()
            return None
