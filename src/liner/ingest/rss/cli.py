"""``liner ingest feed``: register podcast feeds (URLs or files) and sync them once;
``liner worker``: keep polling every registered feed until stopped."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import orjson

from liner.config import Settings
from liner.ingest.rss.scheduler import (
    DEFAULT_CONCURRENCY,
    DEFAULT_IDLE_S,
    DEFAULT_LEASE_S,
    FeedScheduler,
)
from liner.ingest.rss.sync import FeedSyncer, SyncOutcome
from liner.kit.errors import InputError
from liner.runtime import Runtime

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``feed`` to the subcommands of ``liner ingest``."""
    parser = subparsers.add_parser(
        "feed",
        help="podcast RSS feeds: register URLs (or read files) and sync them now",
        description=__doc__,
    )
    parser.add_argument("urls", nargs="*", metavar="URL", help="feed URLs to register and sync")
    parser.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="PATH",
        help="a feed document on disk (repeatable); synced once, never polled",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per feed")
    parser.add_argument(
        "--owner", default="local", help="the account the feeds and their shows belong to"
    )
    parser.set_defaults(func=cmd_ingest_feed)


def register_worker(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``worker`` to the top-level ``liner`` subcommands."""
    parser = subparsers.add_parser(
        "worker",
        help="poll registered podcast feeds until SIGTERM or SIGINT",
        description="Sync every registered feed when it is due, on a bounded thread pool.",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help=f"feeds synced at once (default {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--lease",
        type=float,
        default=DEFAULT_LEASE_S,
        help="seconds a claim on a feed lasts if this worker dies (default %(default)s)",
    )
    parser.add_argument(
        "--idle",
        type=float,
        default=DEFAULT_IDLE_S,
        help="seconds between looks for due feeds (default %(default)s)",
    )
    parser.add_argument("--once", action="store_true", help="sync what is due now, then exit")
    parser.set_defaults(func=cmd_worker)


def _line(outcome: SyncOutcome) -> str:
    text = f"{outcome.outcome:<12} {outcome.url}"
    if outcome.show_id:
        text += f" -> show {outcome.show_id}"
    if outcome.outcome in ("created", "updated"):
        text += f" (+{outcome.added} ~{outcome.updated} -{outcome.removed} episodes)"
    if outcome.moved_to:
        text += f" moved to {outcome.moved_to}"
    if outcome.error:
        text += f": [{outcome.error['code']}] {outcome.error['message']}"
    warnings = sum(1 for p in outcome.problems if p.get("severity") != "info")
    if warnings and not outcome.error:
        text += f" ({warnings} problems)"
    return f"{text} [{outcome.status}]"


def _emit(outcome: SyncOutcome, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(orjson.dumps(outcome.to_json()).decode() + "\n")
    else:
        sys.stdout.write(_line(outcome) + "\n")
    sys.stdout.flush()


def cmd_ingest_feed(args: argparse.Namespace) -> int:
    if not args.urls and not args.file:
        raise InputError("give at least one feed URL or --file PATH", code="usage")
    owner = args.owner.strip()
    if not owner:
        raise InputError("--owner must not be empty", code="usage")
    runtime = Runtime.open(Settings.from_env())
    try:
        syncer = FeedSyncer.for_runtime(runtime)
        failed = 0
        for url in args.urls:
            outcome = syncer.sync_url(url, owner)
            failed += outcome.outcome == "error"
            _emit(outcome, args.json)
        for path in args.file:
            outcome = syncer.sync_file(Path(path), owner)
            failed += outcome.outcome == "error"
            _emit(outcome, args.json)
        runtime.project()
        return 1 if failed else 0
    finally:
        runtime.close()


def cmd_worker(args: argparse.Namespace) -> int:
    if args.concurrency < 1 or args.lease <= 0 or args.idle <= 0:
        raise InputError("--concurrency, --lease and --idle must be positive", code="usage")
    runtime = Runtime.open(Settings.from_env())
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("stopping the feed worker", extra={"signal": signum})
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler = FeedScheduler(
            FeedSyncer.for_runtime(runtime),
            concurrency=args.concurrency,
            lease_s=args.lease,
            idle_s=args.idle,
            on_change=runtime.project,
        )
        if args.once:
            scheduler.run_once()
        else:
            runtime.project()
            scheduler.run(stop)
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        runtime.close()
