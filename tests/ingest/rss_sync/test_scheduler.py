"""The scheduler: claims are exclusive and expire, slow feeds hold up nobody else."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import update

from liner.ingest.rss.scheduler import FeedScheduler, start_in_process
from liner.ingest.rss.sync import FeedSyncer, SyncOutcome
from liner.kit.db import lock_writes
from liner.models import Feed
from liner.models.base import utcnow
from liner.runtime import Runtime

from .feed_server import FeedServer
from .support import SyntheticFeed


def _register(syncer: FeedSyncer, server: FeedServer, count: int, **route: object) -> list[str]:
    ids = []
    for n in range(count):
        url = server.serve(f"/feed-{n}.xml", SyntheticFeed.weekly(3, name=f"s{n}").xml(), **route)
        feed, created = syncer.register(url, "creator")
        assert created
        ids.append(feed.public_id)
    return ids


def test_claims_are_exclusive_and_expire(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    _register(syncer, server, 5)
    repository = syncer.repository
    first = repository.claim_due("a", limit=3, lease_s=60)
    second = repository.claim_due("b", limit=10, lease_s=60)
    assert len(first) == 3
    assert len(second) == 2
    assert not {f.id for f in first} & {f.id for f in second}
    assert repository.claim_due("c", limit=10, lease_s=60) == []
    # Worker "a" dies: once its lease is over, its feeds are claimable again.
    later = utcnow() + timedelta(seconds=61)
    again = repository.claim_due("c", limit=10, lease_s=60, now=later)
    assert {f.id for f in again} == {f.id for f in first} | {f.id for f in second}


def test_run_once_syncs_what_is_due_and_schedules_it(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    _register(syncer, server, 4)
    scheduler = FeedScheduler(syncer, concurrency=8, worker="w")
    outcomes = scheduler.run_once()
    assert sorted(o.outcome for o in outcomes) == ["created"] * 4
    assert scheduler.run_once() == [], "nothing is due until the next poll"
    with runtime.sessions() as session:
        feeds = session.query(Feed).all()
    assert all(f.claimed_by is None and f.next_fetch_at is not None for f in feeds)
    assert all(f.next_fetch_at > utcnow() + timedelta(minutes=14) for f in feeds)


def test_a_slow_feed_does_not_hold_the_others(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    _register(syncer, server, 1, delay_s=2.5)
    fast = _register_more(syncer, server, 6)
    finished: dict[str, float] = {}
    started = time.monotonic()

    def seen(outcome: SyncOutcome) -> None:
        assert outcome.feed_id is not None
        finished[outcome.feed_id] = time.monotonic() - started

    scheduler = FeedScheduler(syncer, concurrency=3, idle_s=0.05, on_outcome=seen, worker="w")
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 20
    while len(finished) < 7 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(10)
    assert len(finished) == 7
    assert max(finished[f] for f in fast) < 2.0, finished


def _register_more(syncer: FeedSyncer, server: FeedServer, count: int) -> list[str]:
    ids = []
    for n in range(count):
        url = server.serve(f"/fast-{n}.xml", SyntheticFeed.weekly(2, name=f"f{n}").xml())
        ids.append(syncer.register(url, "creator")[0].public_id)
    return ids


def test_in_process_scheduler_starts_and_stops(runtime: Runtime, server: FeedServer) -> None:
    ids = _register(FeedSyncer.for_runtime(runtime), server, 2)
    background = start_in_process(runtime, project=True, idle_s=0.05)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with runtime.sessions() as session:
                done = session.query(Feed).filter(Feed.show_id.is_not(None)).count()
            if done == len(ids):
                break
            time.sleep(0.05)
        assert done == len(ids)
    finally:
        background.stop()
    assert not background.running


def test_polling_with_nothing_due_waits_for_no_writer(
    runtime: Runtime, syncer: FeedSyncer, server: FeedServer
) -> None:
    """An idle worker's poll only reads: it answers at once while another writer (an
    ingestion) holds the catalog's write lock, instead of queueing behind it."""
    _register(syncer, server, 2)
    repository = syncer.repository
    assert len(repository.claim_due("a", limit=10, lease_s=600)) == 2
    answered: list[int] = []
    with runtime.sessions() as writer, writer.begin():
        lock_writes(writer)  # SQLite: this transaction began with BEGIN IMMEDIATE
        writer.execute(update(Feed).values(error_count=Feed.error_count))
        poll = threading.Thread(
            target=lambda: answered.append(len(repository.claim_due("b", limit=10, lease_s=60)))
        )
        poll.start()
        poll.join(timeout=10)
        assert answered == [0], "the poll queued behind the writer"
