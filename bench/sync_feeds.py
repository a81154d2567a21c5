"""Sync benchmark: 1,000 feeds through fetch -> parse -> store, from a loopback server.

The feeds are the corpus's readable feed documents repeated with variations (each copy
gets its own title and loses its ``podcast:guid``, so every URL is a show of its own).
A share of them misbehave the way real servers do: slow answers, 500s, 429 with
Retry-After, redirect loops, HTML instead of a feed, bodies cut short. The server runs
in a child process; Liner's scheduler (a thread pool) syncs everything into a fresh
SQLite catalog (or ``--database-url``), then once more, when nothing has changed.

    python -m bench.sync_feeds [--feeds 1000] [--concurrency 16] [--database-url URL]
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import func, select, update

from liner.config import Settings
from liner.ingest.rss import parse_feed
from liner.ingest.rss.cadence import Cadence
from liner.ingest.rss.scheduler import FeedScheduler
from liner.ingest.rss.sync import FeedSyncer
from liner.kit.fetch import FetchPolicy
from liner.models import Episode, Feed
from liner.models.base import utcnow
from liner.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "podcast"
GUID = re.compile(rb"<podcast:guid>[^<]*</podcast:guid>")
TITLE = re.compile(rb"<title>")
# (kind, one feed in ...): the rest are plain feeds.
HOSTILE = (("slow", 40), ("error500", 100), ("busy429", 100), ("loop", 100), ("html", 100))
HOSTILE += (("truncated", 100),)


def _kind(index: int) -> str:
    for position, (kind, every) in enumerate(HOSTILE, start=1):
        if index % every == position:
            return kind
    return "feed"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        try:
            self._answer()
        except OSError:
            return

    def _send(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", headers.pop("length", str(len(body))))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _answer(self) -> None:
        match = re.fullmatch(r"/(feed|loop)/(\d+)\.xml", self.path)
        if match is None:
            self._send(404, b"")
            return
        if match.group(1) == "loop":
            self._send(301, b"", Location=f"/feed/{match.group(2)}.xml")
            return
        index = int(match.group(2))
        kind = _kind(index)
        body = self.server.bodies[index % len(self.server.bodies)]
        body = TITLE.sub(b"<title>#%d " % index, GUID.sub(b"", body), count=1)
        etag = f'"{index}"'
        if kind == "slow":
            time.sleep(1.5)
        if kind == "error500":
            self._send(500, b"internal error")
        elif kind == "busy429":
            self._send(429, b"", Retry_After="3600")
        elif kind == "loop":
            self._send(301, b"", Location=f"/loop/{index}.xml")
        elif kind == "html":
            self._send(200, b"<html><body>Moved to our new site</body></html>")
        elif kind == "truncated":
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
        elif self.headers.get("If-None-Match") == etag:
            self._send(304, b"", ETag=etag)
        else:
            self._send(200, body, ETag=etag, Content_Type="application/rss+xml")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, bodies: list[bytes]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies = bodies


def _serve(bodies: list[bytes], port: multiprocessing.Queue[int]) -> None:
    server = _Server(bodies)
    port.put(int(server.server_address[1]))
    server.serve_forever(poll_interval=0.1)


def _readable(corpus: Path) -> list[bytes]:
    bodies = []
    for path in sorted(corpus.rglob("*")):
        if path.suffix not in (".xml", ".rss"):
            continue
        data = path.read_bytes()
        try:
            if parse_feed(data).show.episodes:
                bodies.append(data)
        except Exception:
            continue
    return bodies


def _sync_all(runtime: Runtime, syncer: FeedSyncer, concurrency: int, count: int) -> float:
    scheduler = FeedScheduler(syncer, concurrency=concurrency, idle_s=0.05, lease_s=60)
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run, args=(stop,))
    started = time.perf_counter()
    thread.start()
    while scheduler.synced < count:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    stop.set()
    thread.join()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--deadline", type=float, default=5.0, help="fetch deadline, seconds")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    bodies = _readable(args.corpus)
    if not bodies:
        print(f"no readable feeds under {args.corpus}", file=sys.stderr)
        return 2
    context = multiprocessing.get_context("fork")
    ports: multiprocessing.Queue[int] = context.Queue()
    server = context.Process(target=_serve, args=(bodies, ports), daemon=True)
    server.start()
    port = ports.get(timeout=30)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'liner.db'}"
        settings = Settings.from_env(
            {"LINER_DATA_DIR": tmp, "LINER_DATABASE_URL": url, "LINER_LOG_LEVEL": "ERROR"}
        )
        runtime = Runtime.open(settings)
        try:
            policy = FetchPolicy(allow_hosts=("127.0.0.1",), deadline_s=args.deadline)
            syncer = FeedSyncer.for_runtime(runtime, policy=policy, cadence=Cadence())
            for index in range(args.feeds):
                syncer.register(f"http://127.0.0.1:{port}/feed/{index}.xml", "bench")
            first = _sync_all(runtime, syncer, args.concurrency, args.feeds)
            with runtime.sessions() as session:
                outcomes = Counter(
                    session.scalars(select(Feed.last_error_code).where(Feed.owner == "bench"))
                )
                episodes = session.scalar(select(func.count()).select_from(Episode)) or 0
                session.execute(update(Feed).values(next_fetch_at=utcnow()))
                session.commit()
            second = _sync_all(runtime, syncer, args.concurrency, args.feeds)
            project_started = time.perf_counter()
            runtime.project()
            projected = time.perf_counter() - project_started
        finally:
            runtime.close()
            server.terminate()
    stored = outcomes.pop(None, 0)
    print(
        f"{args.feeds} feeds from {len(bodies)} corpus documents, concurrency "
        f"{args.concurrency}, fetch deadline {args.deadline:.0f} s, {url.split(':')[0]}"
    )
    print(f"stored: {stored} feeds, {episodes} episodes; errors recorded: {dict(outcomes)}")
    print(f"first sync:  {first:7.2f} s  {args.feeds / first:8.1f} feeds/s")
    print(f"second sync: {second:7.2f} s  {args.feeds / second:8.1f} feeds/s (304 or same hash)")
    print(f"projecting the read model afterwards: {projected:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
