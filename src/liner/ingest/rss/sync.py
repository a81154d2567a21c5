"""Syncing one podcast feed: fetch -> parse -> catalog upsert -> record the result.

:meth:`FeedSyncer.sync` never raises for anything a feed or its server can do: every
failure is recorded on the feed row (error count, last error, backoff) and returned in
the :class:`SyncOutcome`. The order of writes makes a crash at any point harmless:

1. the catalog write (show and episodes, one transaction, idempotent by natural keys);
2. then the feed row: validators (ETag, Last-Modified), the body's hash, counts, the
   next fetch time. A crash between 1 and 2 only means the next sync fetches and parses
   the same body again and writes nothing.

Moves: a permanent redirect (301/308 all along the chain) moves the feed to its target;
a temporary one does not. ``itunes:new-feed-url`` moves it only once confirmed: the
target must be a feed of the same show (the same ``podcast:guid``, or at least half of
the episodes in common). Whatever the feed URL becomes, the show keeps the identity it
was first written with, so a move never creates a second show.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from liner.catalog.releases import WriteResult
from liner.catalog.service import CatalogService
from liner.catalog.shows import episode_key, normalise_enclosure_url
from liner.ingest.records import Provenance, ShowRecord
from liner.ingest.rss.cadence import Cadence
from liner.ingest.rss.errors import FeedError
from liner.ingest.rss.fit import MAX_KEY, fit_show
from liner.ingest.rss.model import ParsedFeed
from liner.ingest.rss.parser import parse_feed
from liner.ingest.rss.repository import FeedRepository, url_hash
from liner.kit.errors import InputError, LinerError
from liner.kit.fetch import (
    FetchError,
    FetchHttpStatusError,
    FetchPolicy,
    FetchResult,
    Resolver,
    check_url,
    fetch,
)
from liner.models import Feed, FeedFetch
from liner.models.base import utcnow

if TYPE_CHECKING:
    from liner.runtime import Runtime

log = logging.getLogger(__name__)

MAX_PROBLEMS = 100
"""Problems kept on a feed row; the rest are counted in a final ``problems_truncated``."""


def _bounded(problems: list[dict[str, str]]) -> list[dict[str, str]]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = len(problems) - (MAX_PROBLEMS - 1)
    return [
        *problems[: MAX_PROBLEMS - 1],
        {
            "code": "problems_truncated",
            "severity": "info",
            "message": f"{rest} more problems were not kept",
            "location": "",
        },
    ]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


@dataclass(slots=True)
class SyncOutcome:
    """What one sync of one feed did."""

    url: str
    status: str
    """The feed's status afterwards: ``active``, ``erroring``, ``dead``, ``moved``, or
    ``rejected`` when the URL or file could not even be registered."""
    outcome: str
    """``created``, ``updated``, ``unchanged``, ``not_modified``, ``moved`` or ``error``."""
    feed_id: str | None = None
    show_id: str | None = None
    added: int = 0
    updated: int = 0
    removed: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)
    error: dict[str, str] | None = None
    moved_to: str | None = None
    http_status: int | None = None
    next_fetch_at: datetime | None = None

    @property
    def changed(self) -> bool:
        return self.outcome in ("created", "updated")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.feed_id,
            "url": self.url,
            "status": self.status,
            "outcome": self.outcome,
            "show_id": self.show_id,
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "problems": self.problems,
            "error": self.error,
            "moved_to": self.moved_to,
            "http_status": self.http_status,
            "next_fetch_at": _iso(self.next_fetch_at),
        }


@dataclass(slots=True)
class _Attempt:
    feed: Feed
    url: str
    started: datetime = field(default_factory=utcnow)
    clock: float = field(default_factory=time.monotonic)
    http_status: int | None = None
    body_bytes: int | None = None
    checked_new_url: str | None = None
    release: str | None = None

    def history(self, outcome: str, **values: Any) -> FeedFetch:
        return FeedFetch(
            started_at=self.started,
            elapsed_ms=int((time.monotonic() - self.clock) * 1000),
            outcome=outcome,
            http_status=self.http_status,
            url=self.url,
            body_bytes=self.body_bytes,
            added=values.get("added", 0),
            updated=values.get("updated", 0),
            removed=values.get("removed", 0),
            error_code=values.get("error_code"),
            error=values.get("error"),
        )


def _identity(record: ShowRecord) -> set[str]:
    found: set[str] = set()
    for episode in record.episodes:
        if episode.guid:
            found.add("g:" + episode.guid.strip())
        elif episode.enclosure is not None:
            found.add("e:" + normalise_enclosure_url(episode.enclosure.url))
    return found


def same_show(old: ShowRecord, new: ShowRecord) -> bool:
    """Whether ``new`` (the target of ``itunes:new-feed-url``) is the show ``old`` is."""
    if old.podcast_guid and new.podcast_guid:
        return old.podcast_guid.strip().lower() == new.podcast_guid.strip().lower()
    old_ids = _identity(old)
    if old_ids:
        return 2 * len(old_ids & _identity(new)) >= len(old_ids)
    return bool(old.title.strip()) and old.title.strip() == new.title.strip()


class FeedSyncer:
    """Syncs feeds into the catalog; safe to use from several threads at once."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        catalog: CatalogService,
        *,
        policy: FetchPolicy,
        cadence: Cadence | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self.repository = FeedRepository(sessions)
        self._catalog = catalog
        self.policy = policy
        self.cadence = cadence or Cadence()
        self._resolver = resolver

    @classmethod
    def for_runtime(cls, runtime: Runtime, **options: Any) -> FeedSyncer:
        """A syncer over a :class:`liner.runtime.Runtime`, fetching under
        ``LINER_FEED_ALLOW_HOSTS``; ``options`` override policy, cadence or resolver."""
        options.setdefault("policy", FetchPolicy.from_allow_list(runtime.settings.feed_allow_hosts))
        return cls(runtime.sessions, runtime.catalog, **options)

    # entry points

    def normalise_url(self, url: str) -> str:
        """The canonical form of a feed URL; raises a FetchError (an InputError) for URLs
        that are never fetched (other schemes, credentials, forbidden IP literals)."""
        return check_url(url.strip(), self.policy).url

    def register(self, url: str, owner: str) -> tuple[Feed, bool]:
        return self.repository.register(self.normalise_url(url), owner)

    def sync_url(self, url: str, owner: str) -> SyncOutcome:
        """Register ``url`` for ``owner`` (if new) and sync it now."""
        try:
            feed, _ = self.register(url, owner)
        except LinerError as exc:
            return SyncOutcome(url=url, status="rejected", outcome="error", error=_error(exc))
        return self.sync(feed)

    def sync(self, feed: Feed, *, release: str | None = None) -> SyncOutcome:
        """Fetch, parse and store one feed; ``release`` is the worker whose claim ends."""
        attempt = _Attempt(feed, feed.url, release=release)
        try:
            return self._sync(attempt)
        except LinerError as exc:
            return self._failed(attempt, exc)
        except Exception as exc:
            log.exception("feed sync failed", extra={"feed": feed.public_id})
            return self._failed(
                attempt, LinerError(f"internal error: {exc!r}"[:500], code="internal_error")
            )

    def sync_file(self, path: Path, owner: str) -> SyncOutcome:
        """Sync a feed document from a file (imports, tests): registered by its path,
        never polled, skipped when the bytes did not change."""
        url = path.expanduser().resolve().as_uri()
        try:
            feed, _ = self.repository.register(url, owner, kind="file")
        except LinerError as exc:
            return SyncOutcome(url=url, status="rejected", outcome="error", error=_error(exc))
        attempt = _Attempt(feed, url)
        try:
            data = _read_file(path, self.policy.max_body_bytes)
            attempt.body_bytes = len(data)
            digest = hashlib.sha256(data).hexdigest()
            if feed.show_id is not None and digest == feed.content_hash:
                return self._unchanged(attempt, "unchanged", None, None)
            parsed = parse_feed(data)
            return self._store(attempt, parsed, validators=(None, None), content_hash=digest)
        except LinerError as exc:
            return self._failed(attempt, exc)
        except Exception as exc:
            log.exception("feed file sync failed", extra={"feed": feed.public_id})
            return self._failed(
                attempt, LinerError(f"internal error: {exc!r}"[:500], code="internal_error")
            )

    # the steps

    def _sync(self, attempt: _Attempt) -> SyncOutcome:
        feed = attempt.feed
        result = fetch(
            feed.url,
            policy=self.policy,
            etag=feed.etag,
            last_modified=feed.last_modified,
            resolver=self._resolver,
        )
        attempt.http_status = result.status
        attempt.body_bytes = len(result.body)
        if result.permanent_url is not None and result.permanent_url != feed.url:
            moved = self._move(attempt, result.permanent_url)
            if moved is not None:
                return moved
        validators = (result.etag, result.last_modified)
        if result.not_modified:
            return self._unchanged(attempt, "not_modified", *validators)
        if feed.show_id is not None and result.content_sha256 == feed.content_hash:
            return self._unchanged(attempt, "unchanged", *validators)
        parsed = parse_feed(result.body, content_type=result.content_type, url=attempt.url)
        target = self._confirmed_new_feed_url(attempt, parsed)
        if target is not None:
            target_result, target_parsed = target
            moved = self._move(attempt, target_result.permanent_url or target_result.url)
            if moved is not None:
                return moved
            result, parsed = target_result, target_parsed
            validators = (result.etag, result.last_modified)
        return self._store(
            attempt, parsed, validators=validators, content_hash=result.content_sha256
        )

    def _move(self, attempt: _Attempt, new_url: str) -> SyncOutcome | None:
        """Follow a permanent move; an outcome when another feed row already has the URL."""
        other = self.repository.move(attempt.feed.id, new_url)
        if other is None:
            attempt.url = new_url
            return None
        log.info("feed moved to a URL already followed", extra={"feed": attempt.feed.public_id})
        row = self.repository.record(
            attempt.feed.id, lambda r: attempt.history("moved"), release=attempt.release
        )
        return SyncOutcome(
            url=row.url,
            status=row.status,
            outcome="moved",
            feed_id=row.public_id,
            show_id=row.show_id,
            moved_to=new_url,
            http_status=attempt.http_status,
        )

    def _confirmed_new_feed_url(
        self, attempt: _Attempt, parsed: ParsedFeed
    ) -> tuple[FetchResult, ParsedFeed] | None:
        feed = attempt.feed
        raw = (parsed.show.new_feed_url or "").strip()
        if not raw or feed.kind != "http":
            return None
        try:
            candidate = self.normalise_url(raw)
        except FetchError:
            return None
        if candidate in (attempt.url, feed.new_feed_url_checked, *feed.previous_urls):
            return None
        attempt.checked_new_url = candidate
        try:
            target = fetch(candidate, policy=self.policy, resolver=self._resolver)
            target_parsed = parse_feed(
                target.body, content_type=target.content_type, url=target.permanent_url or candidate
            )
        except LinerError as exc:
            log.info("new-feed-url not confirmed", extra={"url": candidate, "error": exc.code})
            return None
        if not same_show(parsed.show, target_parsed.show):
            return None
        attempt.checked_new_url = None
        return target, target_parsed

    def _prepare(self, feed: Feed, parsed: ParsedFeed) -> tuple[ShowRecord, list[dict[str, str]]]:
        """Pin the show's identity and drop episodes that repeat another's key."""
        problems = [p.to_json() for p in parsed.problems]
        record = fit_show(parsed.show, problems)
        key = record.natural_key()
        if feed.show_key is not None and key != feed.show_key:
            if key is not None and key.startswith("guid:") and feed.show_key.startswith("feed:"):
                # The feed now carries a podcast:guid (perhaps at the URL it just moved
                # to): the show it wrote under its URL is re-keyed to the guid.
                record = replace(record, replaces_key=feed.show_key)
            else:
                record = replace(record, source_key=feed.show_key)
        elif key is None or len(key) > MAX_KEY:
            # No guid and no URL (a file without a self link), or a URL too long to be a
            # key: the feed row itself is the show's identity.
            record = replace(record, source_key=f"feed-row:{url_hash(feed.url)}")
        seen: set[str] = set()
        kept = []
        for index, episode in enumerate(record.episodes, start=1):
            try:
                ekey = episode_key(episode)
            except InputError as exc:
                problems.append(_problem("episode_no_key", exc.message, index))
                continue
            if ekey in seen:
                problems.append(
                    _problem(
                        "duplicate_episode_key",
                        f"episode {episode.title[:80]!r} has the GUID or enclosure of an"
                        " earlier episode; it was skipped",
                        index,
                    )
                )
                continue
            seen.add(ekey)
            kept.append(episode)
        if len(kept) != len(record.episodes):
            record = replace(record, episodes=tuple(kept))
        return record, problems

    def _store(
        self,
        attempt: _Attempt,
        parsed: ParsedFeed,
        *,
        validators: tuple[str | None, str | None],
        content_hash: str | None,
    ) -> SyncOutcome:
        feed = attempt.feed
        record, problems = self._prepare(feed, parsed)
        provenance = Provenance(
            kind="rss",
            sender=feed.owner,
            reference=attempt.url[:1000],
            created_at=utcnow(),
            extra={"feed": feed.public_id},
        )
        write = self._catalog.upsert_show(record, provenance)
        added, updated, removed = self._counts(write)
        show_key = self.repository.show_key(write.public_id) if write.public_id else None
        now = utcnow()
        interval = self.cadence.publish_interval((e.published_at for e in record.episodes), now)
        next_at = self.cadence.after_success(now, interval, complete=record.complete)
        stale = write.status == "stale"
        outcome = "unchanged" if stale or not write.changed else str(write.status)
        kept = _bounded(problems)

        def apply(row: Feed) -> FeedFetch:
            _succeeded(row, attempt, now, outcome, next_at)
            row.show_id = write.public_id
            row.show_key = show_key
            if not stale:
                # A stale write applied nothing: fetch and parse this body again next time.
                row.etag, row.last_modified = validators
                row.content_hash = content_hash
            row.last_problems = kept
            row.publish_interval_s = interval
            row.last_added, row.last_updated, row.last_removed = added, updated, removed
            return attempt.history(outcome, added=added, updated=updated, removed=removed)

        row = self.repository.record(feed.id, apply, release=attempt.release)
        return _outcome(row, attempt, outcome, problems=kept, counts=(added, updated, removed))

    def _counts(self, write: WriteResult) -> tuple[int, int, int]:
        upserted = [pid for kind, pid, op in write.changed if kind == "episode" and op != "delete"]
        removed = sum(1 for kind, _, op in write.changed if kind == "episode" and op == "delete")
        revisions = self.repository.revisions(upserted)
        added = sum(1 for pid in upserted if revisions.get(pid) == 1)
        return added, len(upserted) - added, removed

    def _unchanged(
        self, attempt: _Attempt, outcome: str, etag: str | None, last_modified: str | None
    ) -> SyncOutcome:
        now = utcnow()

        def apply(row: Feed) -> FeedFetch:
            next_at = self.cadence.after_success(now, row.publish_interval_s)
            _succeeded(row, attempt, now, outcome, next_at)
            row.etag, row.last_modified = etag, last_modified
            row.last_added = row.last_updated = row.last_removed = 0
            return attempt.history(outcome)

        row = self.repository.record(attempt.feed.id, apply, release=attempt.release)
        return _outcome(row, attempt, outcome, problems=list(row.last_problems))

    def _failed(self, attempt: _Attempt, exc: LinerError) -> SyncOutcome:
        now = utcnow()
        http_status = exc.status if isinstance(exc, FetchHttpStatusError) else None
        retry_after = exc.retry_after_s if isinstance(exc, FetchHttpStatusError) else None
        if http_status is not None:
            attempt.http_status = http_status
        error = _error(exc)

        def apply(row: Feed) -> FeedFetch:
            row.consecutive_errors += 1
            row.error_count += 1
            dead = self.cadence.is_dead(row.consecutive_errors, http_status)
            if row.status != "moved":
                row.status = "dead" if dead else "erroring"
            row.last_error_code = error["code"][:64]
            row.last_error = error["message"][:2000]
            row.last_error_at = now
            row.last_fetch_at = now
            row.last_outcome = "error"
            row.last_http_status = attempt.http_status
            row.retry_after_s = round(retry_after) if retry_after is not None else None
            row.last_added = row.last_updated = row.last_removed = 0
            if attempt.checked_new_url is not None:
                row.new_feed_url_checked = attempt.checked_new_url
            if isinstance(exc, FeedError):
                row.last_problems = [{**error, "severity": "error", "location": exc.location}]
            if row.kind == "http" and row.status != "moved":
                row.next_fetch_at = self.cadence.after_error(
                    now, row.consecutive_errors, retry_after_s=retry_after, dead=dead
                )
            return attempt.history("error", error_code=row.last_error_code, error=row.last_error)

        try:
            row = self.repository.record(attempt.feed.id, apply, release=attempt.release)
        except Exception:
            log.exception("could not record a failed feed sync", extra={"feed": attempt.feed.id})
            return SyncOutcome(
                url=attempt.url,
                status="erroring",
                outcome="error",
                feed_id=attempt.feed.public_id,
                show_id=attempt.feed.show_id,
                error=error,
                http_status=attempt.http_status,
            )
        return _outcome(row, attempt, "error", problems=list(row.last_problems), error=error)


def _succeeded(
    row: Feed, attempt: _Attempt, now: datetime, outcome: str, next_at: datetime
) -> None:
    row.status = "active"
    row.last_fetch_at = now
    row.last_success_at = now
    row.last_outcome = outcome
    row.last_http_status = attempt.http_status
    row.consecutive_errors = 0
    row.retry_after_s = None
    row.next_fetch_at = next_at if row.kind == "http" else None
    if attempt.checked_new_url is not None:
        row.new_feed_url_checked = attempt.checked_new_url


def _outcome(
    row: Feed,
    attempt: _Attempt,
    outcome: str,
    *,
    problems: list[dict[str, str]],
    counts: tuple[int, int, int] = (0, 0, 0),
    error: dict[str, str] | None = None,
) -> SyncOutcome:
    return SyncOutcome(
        url=row.url,
        status=row.status,
        outcome=outcome,
        feed_id=row.public_id,
        show_id=row.show_id,
        added=counts[0],
        updated=counts[1],
        removed=counts[2],
        problems=problems,
        error=error,
        moved_to=row.moved_to,
        http_status=attempt.http_status,
        next_fetch_at=row.next_fetch_at,
    )


def _error(exc: LinerError) -> dict[str, str]:
    return {"code": exc.code, "message": exc.message[:2000]}


def _problem(code: str, message: str, index: int) -> dict[str, str]:
    return {"code": code, "severity": "warning", "message": message, "location": f"item[{index}]"}


def _read_file(path: Path, limit: int) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(
            f"cannot read {path}: {exc.strerror or exc}", code="file_unreadable"
        ) from None
    if len(data) > limit:
        raise InputError(f"{path} is larger than {limit} bytes", code="too_large")
    return data
