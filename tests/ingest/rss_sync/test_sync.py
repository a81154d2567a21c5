"""One feed synced over HTTP: storing, conditional GET, unchanged bodies, identity,
moves, and how failures are recorded, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from liner.ingest.rss.repository import FeedRepository
from liner.ingest.rss.sync import FeedSyncer
from liner.models import Episode, Feed, FeedFetch, OutboxRow, Show
from liner.models.base import utcnow
from liner.runtime import Runtime

from .feed_server import FeedServer
from .support import SyntheticFeed, active_titles, episodes_of

CRITICAL_ROLE = "critrolesync+critrolesync.github.io/feed-archive/critical-role"


def _feed(runtime: Runtime, feed_id: str | None) -> Feed:
    assert feed_id is not None
    found = FeedRepository(runtime.sessions).get(feed_id)
    assert found is not None
    return found


def _count(runtime: Runtime, model: type) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_feed_is_stored_with_its_episodes(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    show = SyntheticFeed.weekly(5)
    url = server.serve("/feed.xml", show.xml(), etag='"v1"')
    outcome = syncer.sync_url(url, "creator")
    assert (outcome.outcome, outcome.status) == ("created", "active")
    assert (outcome.added, outcome.updated, outcome.removed) == (5, 0, 0)
    assert outcome.show_id is not None
    assert active_titles(runtime.sessions, outcome.show_id) == {i.guid: i.title for i in show.items}
    feed = _feed(runtime, outcome.feed_id)
    assert feed.etag == '"v1"'
    assert feed.owner == "creator"
    assert feed.consecutive_errors == 0
    assert feed.publish_interval_s is not None
    assert feed.next_fetch_at is not None
    assert feed.next_fetch_at > utcnow() + timedelta(minutes=14)
    user_agent = server.requests[0][1]["User-Agent"]
    assert user_agent.startswith("Liner/")
    runtime.project()
    entry = runtime.reader.load([f"show:{outcome.show_id}"])[f"show:{outcome.show_id}"]
    assert entry is not None


def test_not_modified_and_same_body_write_nothing(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    body = SyntheticFeed.weekly(3).xml()
    url = server.serve("/etag.xml", body, etag='"abc"')
    first = syncer.sync_url(url, "creator")
    assert first.outcome == "created"
    outbox, episodes = _count(runtime, OutboxRow), _count(runtime, Episode)

    again = syncer.sync(_feed(runtime, first.feed_id))
    assert again.outcome == "not_modified"
    assert server.requests[-1][1]["If-None-Match"] == '"abc"'
    # The server ignores conditional requests now: the body's hash says it is the same.
    server.serve("/etag.xml", body)
    same = syncer.sync(_feed(runtime, first.feed_id))
    assert same.outcome == "unchanged"
    assert (same.added, same.updated, same.removed) == (0, 0, 0)
    assert (_count(runtime, OutboxRow), _count(runtime, Episode)) == (outbox, episodes)
    feed = _feed(runtime, first.feed_id)
    assert feed.last_outcome == "unchanged"
    assert feed.etag is None
    history = FeedRepository(runtime.sessions).history(feed.id)
    assert [h.outcome for h in history] == ["unchanged", "not_modified", "created"]


def test_a_changed_feed_adds_updates_and_removes(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    show = SyntheticFeed.weekly(4)
    url = server.serve("/changing.xml", show.xml())
    first = syncer.sync_url(url, "creator")
    assert first.show_id is not None
    ids = {e.guid: e.public_id for e in episodes_of(runtime.sessions, first.show_id)}
    show.items[1].title = "A better title"
    removed = show.items.pop(0)
    show.add(5)
    server.serve("/changing.xml", show.xml())
    second = syncer.sync(_feed(runtime, first.feed_id))
    assert (second.outcome, second.added, second.updated, second.removed) == (
        "updated",
        1,
        1,
        1,
    )
    episodes = {e.guid: e for e in episodes_of(runtime.sessions, first.show_id)}
    assert len(episodes) == 5
    assert episodes[removed.guid].status == "removed"
    assert episodes[removed.guid].public_id == ids[removed.guid]
    assert all(episodes[g].public_id == i for g, i in ids.items())


def test_critical_role_pair_updates_in_place(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer, corpus: Path
) -> None:
    base = corpus / CRITICAL_ROLE
    url = server.serve("/critical-role.xml", (base / "feed-2025-08-12.xml").read_bytes())
    first = syncer.sync_url(url, "critical-role")
    assert (first.outcome, first.added) == ("created", 370), first.error
    assert first.show_id is not None
    before = {e.guid: e.public_id for e in episodes_of(runtime.sessions, first.show_id)}
    assert len(before) == 370
    server.serve("/critical-role.xml", (base / "feed-2025-08-19.xml").read_bytes())
    second = syncer.sync(_feed(runtime, first.feed_id))
    assert (second.outcome, second.added, second.updated, second.removed) == (
        "updated",
        2,
        370,
        0,
    )
    assert second.show_id == first.show_id
    after = episodes_of(runtime.sessions, first.show_id)
    assert len(after) == 372
    assert all(e.status == "active" for e in after)
    assert {e.guid: e.public_id for e in after if e.guid in before} == before
    assert not any("tracking.swap.fm" in (e.enclosure_url or "") for e in after)
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Show)) == 1
    # The feed's itunes:new-feed-url names a host that does not resolve here: no move.
    feed = _feed(runtime, first.feed_id)
    assert feed.url == url
    assert feed.new_feed_url_checked is not None


def test_a_permanent_redirect_moves_the_feed_and_a_temporary_one_does_not(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    show = SyntheticFeed.weekly(2)
    new_url = server.serve("/new.xml", show.xml())
    server.serve("/permanent.xml", status=301, headers={"Location": new_url})
    old_url = server.serve("/old.xml", status=302, headers={"Location": "/permanent.xml"})
    first = syncer.sync_url(old_url, "creator")
    assert first.outcome == "created", first.error
    assert _feed(runtime, first.feed_id).url == old_url, "302 then 301 is not a move"

    server.serve("/old.xml", status=301, headers={"Location": new_url})
    moved = syncer.sync(_feed(runtime, first.feed_id))
    assert moved.outcome == "unchanged"
    feed = _feed(runtime, first.feed_id)
    assert feed.url == new_url
    assert feed.previous_urls == [old_url]
    assert moved.show_id == first.show_id

    # Later syncs go straight to the new URL and still write the same show.
    show.add(3)
    server.serve("/new.xml", show.xml())
    hits = server.hits["/old.xml"]
    third = syncer.sync(feed)
    assert (third.outcome, third.added, third.show_id) == ("updated", 1, first.show_id)
    assert server.hits["/old.xml"] == hits
    with runtime.sessions() as session:
        stored = session.scalars(select(Show)).one()
        assert stored.feed_url == new_url


def test_a_move_onto_a_followed_url_marks_the_feed_moved(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    target = server.serve("/target.xml", SyntheticFeed.weekly(2).xml())
    assert syncer.sync_url(target, "creator").outcome == "created"
    old = server.serve("/older.xml", status=308, headers={"Location": target})
    outcome = syncer.sync_url(old, "creator")
    assert (outcome.outcome, outcome.status, outcome.moved_to) == ("moved", "moved", target)
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Show)) == 1
    feed = _feed(runtime, outcome.feed_id)
    assert feed.next_fetch_at is None


def test_a_confirmed_new_feed_url_moves_the_feed(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    port = server.server_address[1]
    new_url = f"http://new.example.test:{port}/moved.xml"
    show = SyntheticFeed.weekly(3, podcast_guid="9b024349-ccf0-5f69-a609-6b82873eab3c")
    server.serve("/moved.xml", show.xml())
    show.new_feed_url = new_url
    old_url = server.serve("/announcing.xml", show.xml())
    outcome = syncer.sync_url(old_url, "creator")
    assert outcome.outcome == "created", outcome.error
    feed = _feed(runtime, outcome.feed_id)
    assert feed.url == new_url
    assert feed.previous_urls == [old_url]
    assert server.hits["/moved.xml"] == 1


def test_an_unconfirmed_new_feed_url_is_checked_once_and_ignored(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    port = server.server_address[1]
    other_url = f"http://new.example.test:{port}/someone-else.xml"
    server.serve("/someone-else.xml", SyntheticFeed.weekly(3, name="other").xml())
    show = SyntheticFeed.weekly(3, new_feed_url=other_url)
    url = server.serve("/hijack.xml", show.xml())
    outcome = syncer.sync_url(url, "creator")
    assert outcome.outcome == "created"
    feed = _feed(runtime, outcome.feed_id)
    assert (feed.url, feed.new_feed_url_checked) == (url, other_url)
    show.add(4)
    server.serve("/hijack.xml", show.xml())
    assert syncer.sync(feed).outcome == "updated"
    assert server.hits["/someone-else.xml"] == 1


def test_errors_back_off_and_honour_retry_after(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    url = server.serve("/busy.xml", status=429, headers={"Retry-After": "7200"})
    first = syncer.sync_url(url, "creator")
    assert (first.outcome, first.status) == ("error", "erroring")
    assert first.error is not None
    assert first.error["code"] == "fetch_http_status"
    feed = _feed(runtime, first.feed_id)
    assert (feed.consecutive_errors, feed.retry_after_s, feed.last_http_status) == (1, 7200, 429)
    assert feed.next_fetch_at is not None
    assert feed.next_fetch_at >= utcnow() + timedelta(seconds=7190)

    server.serve("/busy.xml", status=500)
    delays = []
    for _ in range(3):
        started = utcnow()
        outcome = syncer.sync(_feed(runtime, first.feed_id))
        assert outcome.next_fetch_at is not None
        delays.append((outcome.next_fetch_at - started).total_seconds())
    assert delays[0] < delays[1] < delays[2], "exponential backoff"
    feed = _feed(runtime, first.feed_id)
    assert (feed.consecutive_errors, feed.error_count, feed.status) == (4, 4, "erroring")
    assert feed.last_error == "HTTP status 500"

    server.serve("/busy.xml", SyntheticFeed.weekly(1).xml())
    recovered = syncer.sync(feed)
    assert (recovered.outcome, recovered.status) == ("created", "active")
    feed = _feed(runtime, first.feed_id)
    assert (feed.consecutive_errors, feed.error_count) == (0, 4)


def test_a_long_run_of_failures_marks_a_feed_dead(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    url = server.serve("/gone.xml", status=503)
    outcome = syncer.sync_url(url, "creator")
    for _ in range(syncer.cadence.dead_after - 1):
        outcome = syncer.sync(_feed(runtime, outcome.feed_id))
    assert outcome.status == "dead"
    assert outcome.next_fetch_at is not None
    assert outcome.next_fetch_at >= utcnow() + timedelta(days=6)
    server.serve("/gone.xml", status=410)
    gone = syncer.sync_url(server.serve("/410.xml", status=410), "creator")
    assert gone.status == "dead", "410 Gone is dead at once"


def test_unreadable_feeds_record_a_typed_error(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    url = server.serve("/html.xml", b"<html><body>Not a feed</body></html>")
    outcome = syncer.sync_url(url, "creator")
    assert outcome.error is not None
    assert outcome.error["code"] == "not_a_feed"
    feed = _feed(runtime, outcome.feed_id)
    assert feed.last_error_code == "not_a_feed"
    assert feed.last_problems[0]["severity"] == "error"
    assert feed.show_id is None


def test_forbidden_urls_are_refused_before_any_request(
    runtime: Runtime, syncer: FeedSyncer
) -> None:
    for url in ("http://10.1.2.3/feed", "ftp://example.com/feed", "http://u:p@example.com/"):
        outcome = syncer.sync_url(url, "creator")
        assert (outcome.status, outcome.feed_id) == ("rejected", None)
    assert _count(runtime, Feed) == 0


def test_a_feed_belongs_to_the_account_that_registered_it(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    url = server.serve("/mine.xml", SyntheticFeed.weekly(1).xml())
    assert syncer.sync_url(url, "first").outcome == "created"
    taken = syncer.sync_url(url, "second")
    assert taken.status == "rejected"
    assert taken.error is not None
    assert taken.error["code"] == "feed_owned_by_other"
    # The same content at another URL is another feed, and (without a guid) another show.
    copy = server.serve("/copy.xml", SyntheticFeed.weekly(1).xml())
    assert syncer.sync_url(copy, "second").outcome == "created", "keyed by its own URL"


def test_slow_and_huge_servers_end_within_the_deadline(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    body = SyntheticFeed.weekly(40).xml()
    url = server.serve("/drip.xml", body, drip_s=0.2)
    started = utcnow()
    outcome = syncer.sync_url(url, "creator")
    assert (utcnow() - started).total_seconds() < syncer.policy.deadline_s + 2
    assert outcome.error is not None
    assert outcome.error["code"] == "fetch_timeout"
    with runtime.sessions() as session:
        fetches = session.scalars(select(FeedFetch)).all()
        assert [f.outcome for f in fetches] == ["error"]


def test_history_keeps_the_newest_fetches(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    url = server.serve("/many.xml", SyntheticFeed.weekly(1).xml(), etag='"x"')
    outcome = syncer.sync_url(url, "creator")
    for _ in range(25):
        syncer.sync(_feed(runtime, outcome.feed_id))
    assert _count(runtime, FeedFetch) == 20


@pytest.mark.parametrize("name", ["feed-2025-08-12.xml"])
def test_files_sync_once_and_skip_unchanged_bytes(
    runtime: Runtime, syncer: FeedSyncer, corpus: Path, name: str
) -> None:
    path = corpus / CRITICAL_ROLE / name
    first = syncer.sync_file(path, "importer")
    assert (first.outcome, first.added) == ("created", 370)
    again = syncer.sync_file(path, "importer")
    assert again.outcome == "unchanged"
    feed = _feed(runtime, first.feed_id)
    assert (feed.kind, feed.next_fetch_at) == ("file", None)
    missing = syncer.sync_file(path.with_name("missing.xml"), "importer")
    assert missing.error is not None
    assert missing.error["code"] == "file_unreadable"


def test_a_feed_that_moves_and_gains_a_podcast_guid_at_once_keeps_its_show(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    show = SyntheticFeed.weekly(3)
    old_url = server.serve("/plain.xml", show.xml())
    first = syncer.sync_url(old_url, "creator")
    assert first.outcome == "created", first.error
    assert _feed(runtime, first.feed_id).show_key == f"feed:{old_url}"
    with runtime.sessions() as session:
        episode_ids = set(session.scalars(select(Episode.public_id)))

    # One fetch: a permanent redirect to a new URL whose feed now carries a guid.
    guid = "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    show.podcast_guid = guid
    new_url = server.serve("/with-guid.xml", show.xml())
    server.serve("/plain.xml", status=301, headers={"Location": new_url})
    moved = syncer.sync(_feed(runtime, first.feed_id))

    assert moved.outcome == "updated", moved.error
    assert moved.show_id == first.show_id
    feed = _feed(runtime, first.feed_id)
    assert (feed.url, feed.show_key) == (new_url, f"guid:{guid}")
    with runtime.sessions() as session:
        stored = session.scalars(select(Show)).one()
        assert (stored.source_key, stored.feed_url) == (f"guid:{guid}", new_url)
        assert set(session.scalars(select(Episode.public_id))) == episode_ids
