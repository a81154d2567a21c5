"""The feed scheduler: claims due feeds and syncs them on a bounded thread pool.

Each worker (a ``liner worker`` process, or a thread inside ``liner serve``) claims at
most as many due feeds as it has free threads, with a lease (see
:meth:`FeedRepository.claim_due`). A slow or hostile feed occupies one thread for at
most the fetch deadline, never the others. Killing a worker loses nothing: its claims
expire after the lease and another worker (or the same one, restarted) syncs those
feeds again; the catalog write is idempotent, so nothing is duplicated either.

When to fetch a feed next is decided by :mod:`liner.ingest.rss.cadence` and recorded by
the syncer; the scheduler only asks "what is due now?".
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from liner.ingest.rss.sync import FeedSyncer, SyncOutcome
from liner.models import Feed

if TYPE_CHECKING:
    from liner.runtime import Runtime

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 8
DEFAULT_LEASE_S = 120.0
"""Longer than any one sync can take (a 15 s fetch, a confirmation fetch, the write)."""
DEFAULT_IDLE_S = 2.0


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class FeedScheduler:
    """Polls due feeds until stopped. ``on_change`` runs (on the scheduler's thread)
    after syncs that changed the catalog, at most about once a second: the worker
    process projects the read model there."""

    def __init__(
        self,
        syncer: FeedSyncer,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        lease_s: float = DEFAULT_LEASE_S,
        idle_s: float = DEFAULT_IDLE_S,
        worker: str | None = None,
        on_change: Callable[[], Any] | None = None,
        on_outcome: Callable[[SyncOutcome], None] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.syncer = syncer
        self.concurrency = concurrency
        self.lease_s = lease_s
        self.idle_s = idle_s
        self.worker = worker or worker_name()
        self._on_change = on_change
        self._on_outcome = on_outcome
        self.synced = 0
        self.failed = 0

    def _claim(self, limit: int) -> list[Feed]:
        try:
            return self.syncer.repository.claim_due(self.worker, limit=limit, lease_s=self.lease_s)
        except Exception:
            log.exception("could not claim due feeds")
            return []

    def _sync(self, feed: Feed) -> SyncOutcome:
        try:
            return self.syncer.sync(feed, release=self.worker)
        except Exception as exc:  # the syncer records every failure; this is a last guard
            log.exception("feed sync crashed", extra={"feed": feed.public_id})
            return SyncOutcome(
                url=feed.url,
                status=feed.status,
                outcome="error",
                feed_id=feed.public_id,
                error={"code": "internal_error", "message": repr(exc)[:500]},
            )

    def _changed(self) -> None:
        if self._on_change is None:
            return
        try:
            self._on_change()
        except Exception:
            log.exception("after-sync hook failed")

    def _done(self, future: Future[SyncOutcome]) -> bool:
        outcome = future.result()
        self.synced += 1
        if outcome.outcome == "error":
            self.failed += 1
        if self._on_outcome is not None:
            try:
                self._on_outcome(outcome)
            except Exception:
                log.exception("outcome hook failed")
        return outcome.changed

    def run_once(self) -> list[SyncOutcome]:
        """Claim what is due now (up to ``concurrency`` feeds), sync it, and return."""
        feeds = self._claim(self.concurrency)
        if not feeds:
            return []
        with ThreadPoolExecutor(len(feeds), thread_name_prefix="liner-feed") as pool:
            outcomes = list(pool.map(self._sync, feeds))
        self.synced += len(outcomes)
        self.failed += sum(1 for o in outcomes if o.outcome == "error")
        if any(o.changed for o in outcomes):
            self._changed()
        return outcomes

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; then finish the syncs under way and return."""
        log.info("feed scheduler started", extra={"worker": self.worker})
        running: set[Future[SyncOutcome]] = set()
        pending_change = False
        last_change = 0.0
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="liner-feed") as pool:
            while not stop.is_set():
                free = self.concurrency - len(running)
                if free > 0:
                    running.update(pool.submit(self._sync, feed) for feed in self._claim(free))
                if running:
                    done, _ = wait(running, timeout=self.idle_s, return_when=FIRST_COMPLETED)
                    for future in done:
                        running.discard(future)
                        pending_change = self._done(future) or pending_change
                else:
                    stop.wait(self.idle_s)
                if pending_change and (not running or time.monotonic() - last_change > 1.0):
                    self._changed()
                    pending_change = False
                    last_change = time.monotonic()
            for future in running:
                pending_change = self._done(future) or pending_change
        if pending_change:
            self._changed()
        log.info("feed scheduler stopped", extra={"worker": self.worker, "synced": self.synced})


class BackgroundScheduler:
    """A :class:`FeedScheduler` on a daemon thread: ``start()``, then ``stop()``."""

    def __init__(self, scheduler: FeedScheduler) -> None:
        self.scheduler = scheduler
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> BackgroundScheduler:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="liner-feed-scheduler", daemon=True
            )
            self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.scheduler.run(self._stop)
        except Exception:
            log.exception("feed scheduler failed")

    def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming feeds and wait (up to ``timeout``) for the syncs under way."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


def start_in_process(
    runtime: Runtime, *, project: bool = False, **options: Any
) -> BackgroundScheduler:
    """Run the feed scheduler inside this process (``liner serve`` on the embedded
    default): returns the started :class:`BackgroundScheduler`; call ``stop()`` before
    closing the runtime. ``project=True`` projects the read model after changes (not
    needed when the runtime's own background projector runs); other ``options`` go to
    :class:`FeedScheduler` (``concurrency``, ``lease_s``, ``idle_s``)."""
    syncer = FeedSyncer.for_runtime(runtime)
    scheduler = FeedScheduler(syncer, on_change=runtime.project if project else None, **options)
    return BackgroundScheduler(scheduler).start()
