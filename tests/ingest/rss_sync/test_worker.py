"""``liner ingest feed`` and ``liner worker`` as real processes: JSON outcomes, and a
worker killed mid-sync again and again that still loses and duplicates nothing."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select, update

from liner.catalog.serving import ShowEntry
from liner.ingest.rss.sync import FeedSyncer
from liner.kit.db import read_only
from liner.models import Feed
from liner.models.base import utcnow
from liner.runtime import Runtime

from .conftest import settings_for
from .feed_server import FeedServer
from .support import SyntheticFeed, episodes_of

pytestmark = pytest.mark.e2e


def _env(database_url: str, data_dir: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("LINER_")}
    return {
        **base,
        "LINER_DATABASE_URL": database_url,
        "LINER_DATA_DIR": str(data_dir),
        "LINER_FEED_ALLOW_HOSTS": "127.0.0.1",
        "LINER_LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def runtime_env(database_url: str, tmp_path: Path) -> Iterator[tuple[Runtime, dict[str, str]]]:
    data_dir = tmp_path / "data"
    runtime = Runtime.open(settings_for(database_url, data_dir))
    try:
        yield runtime, _env(database_url, data_dir)
    finally:
        runtime.close()


def _liner(env: dict[str, str], *args: str) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run(
        [sys.executable, "-m", "liner", *args],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    lines = [orjson.loads(line) for line in done.stdout.splitlines() if line.startswith(b"{")]
    return done.returncode, lines


def test_ingest_feed_prints_one_json_object_per_feed(
    runtime_env: tuple[Runtime, dict[str, str]], server: FeedServer, tmp_path: Path
) -> None:
    runtime, env = runtime_env
    url = server.serve("/cli.xml", SyntheticFeed.weekly(4).xml())
    path = tmp_path / "import.xml"
    path.write_bytes(SyntheticFeed.weekly(2, name="file").xml())
    code, lines = _liner(env, "ingest", "feed", "--json", "--owner", "me", url, "--file", str(path))
    assert code == 0, lines
    assert [(o["url"], o["status"], o["added"]) for o in lines] == [
        (url, "active", 4),
        (path.resolve().as_uri(), "active", 2),
    ]
    assert all(o["show_id"] and o["problems"] == [] for o in lines)
    code, again = _liner(env, "ingest", "feed", "--json", "--owner", "me", url)
    assert (code, again[0]["outcome"], again[0]["updated"]) == (0, "unchanged", 0)
    code, refused = _liner(env, "ingest", "feed", "--json", "--owner", "me", "http://10.0.0.1/")
    assert (code, refused[0]["status"]) == (1, "rejected")
    key = f"show:{lines[0]['show_id']}"
    assert isinstance(runtime.reader.load([key])[key], ShowEntry), "the CLI projects"


def _body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def test_killing_the_worker_mid_sync_loses_and_duplicates_nothing(
    runtime_env: tuple[Runtime, dict[str, str]],
    server: FeedServer,
    tmp_path: Path,
    workers: list[subprocess.Popen[bytes]],
) -> None:
    runtime, env = runtime_env
    syncer = FeedSyncer.for_runtime(runtime)
    shows = {n: SyntheticFeed.weekly(120, name=f"k{n}") for n in range(10)}
    served: dict[int, bytes] = {}
    ever: dict[int, set[str]] = {n: {i.guid for i in s.items} for n, s in shows.items()}

    def publish(held: int | None = None, gate: threading.Event | None = None) -> None:
        """Serve every show's current feed; the ``held`` one answers only once ``gate``
        is set."""
        for n, show in shows.items():
            served[n] = show.xml()
            server.serve(
                f"/kill-{n}.xml", served[n], delay_s=0.02, gate=gate if n == held else None
            )
            ever[n].update(i.guid for i in show.items)

    publish()
    feed_ids = {n: syncer.register(server.url(f"/kill-{n}.xml"), "creator")[0].id for n in shows}
    log_path = tmp_path / "worker.log"
    args = ["worker", "--concurrency", "4", "--lease", "1", "--idle", "0.1"]

    def start() -> subprocess.Popen[bytes]:
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "liner", *args], env=env, stdout=log, stderr=log
            )
        workers.append(process)
        return process

    def behind() -> set[int]:
        """The shows whose feed row does not yet record the body served now. Read as a
        reader: on SQLite a polling writer would contend with the worker for the lock."""
        with runtime.sessions() as session:
            read_only(session)
            hashes = dict(session.execute(select(Feed.id, Feed.content_hash)).all())
        return {n for n in shows if hashes[feed_ids[n]] != _body_hash(served[n])}

    def synced() -> bool:
        return not behind()

    worker = start()
    _wait(synced, 90, "the first full sync")
    worker.kill()
    worker.wait(10)
    with runtime.sessions() as session:
        show_ids = {
            n: session.scalar(select(Feed.show_id).where(Feed.id == feed_ids[n])) for n in shows
        }
    first_ids = {
        n: {e.guid: e.public_id for e in episodes_of(runtime.sessions, show_ids[n] or "")}
        for n in shows
    }

    # Each round one feed's answer is held back until the worker is dead, and the kill
    # waits for the worker to have asked for it: every kill lands while a sync is under
    # way (however fast the other feeds go), at a random point of the others' syncs.
    rng = random.Random(20251119)
    for round_number in range(6):
        for n, show in shows.items():
            show.add(200 + 2 * round_number, name=f"k{n}")
            show.add(201 + 2 * round_number, name=f"k{n}")
            show.items[rng.randrange(len(show.items))].title += " (edited)"
            if round_number % 2:
                show.items.pop(rng.randrange(len(show.items)))
        held, gate = rng.randrange(len(shows)), threading.Event()
        publish(held, gate)
        with runtime.sessions() as session, session.begin():
            session.execute(update(Feed).values(next_fetch_at=utcnow()))
        asked = server.hits[f"/kill-{held}.xml"]

        def fetching(path: str = f"/kill-{held}.xml", before: int = asked) -> bool:
            return server.hits[path] > before

        worker = start()
        _wait(fetching, 60, "the worker to fetch the held feed")
        time.sleep(rng.uniform(0.0, 0.6))
        worker.kill()
        worker.wait(10)
        gate.set()
        assert held in behind(), f"round {round_number}: the held feed synced before the kill"

    # The last kill left the held feed (at least) unsynced, so the restarted worker has
    # work of its own, and has installed its signal handlers by the time that work is
    # recorded: SIGTERM then stops it cleanly. (Had the killed worker finished every
    # feed, SIGTERM would reach the new process while it starts, and end it as -15.)
    publish()
    worker = start()
    _wait(synced, 120, "the final sync")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(60) == 0, log_path.read_text()

    runtime.project()
    for n, show in shows.items():
        show_id = show_ids[n]
        assert show_id is not None
        episodes = episodes_of(runtime.sessions, show_id)
        guids = Counter(e.guid for e in episodes)
        assert max(guids.values()) == 1, "no duplicates"
        # Every episode ever stored is kept (removed ones as removed), plus what the last
        # fetch served; an episode that came and went between two fetches was never seen.
        final = {i.guid for i in show.items}
        assert final | set(first_ids[n]) <= set(guids) <= ever[n]
        active = {e.guid: e.title for e in episodes if e.status == "active"}
        assert active == {i.guid: i.title for i in show.items}
        ids = {e.guid: e.public_id for e in episodes}
        assert all(ids[g] == i for g, i in first_ids[n].items()), "ids are stable"
        key = f"show:{show_id}"
        entry = runtime.reader.load([key])[key]
        assert isinstance(entry, ShowEntry)
        assert len(entry.episodes) == len(show.items)
    with runtime.sessions() as session:
        feeds = session.scalars(select(Feed)).all()
    assert {(f.status, f.consecutive_errors, f.claimed_by) for f in feeds} == {("active", 0, None)}
