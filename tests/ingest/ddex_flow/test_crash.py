"""Crash safety: ``liner ingest ddex`` killed (SIGKILL) at random moments, again and
again, then run to the end, leaves the catalog a clean run leaves: every message applied
once, none lost, none twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from liner.ingest.ddex.synthetic import SyntheticCorpus, load_templates, write_batch
from liner.kit.db import read_only
from liner.models import Delivery, DeliveryBatch, OutboxRow, Release
from liner.runtime import Runtime

from .support import catalog_dump, env_for, wipe

pytestmark = [pytest.mark.corpus, pytest.mark.e2e]

BATCHES = 4
PER_BATCH = 15
LOOSE = 15
UPDATES = 8
KILLS = 8
GROUP_SIZE = 4


def build_drop(corpus: Path, drop: Path) -> int:
    """Batches of synthetic releases, release-by-release folders, and a last batch that
    updates releases of the first; returns the number of messages."""
    synthetic = SyntheticCorpus(load_templates(corpus), seed=11)
    count = 0
    for batch in range(BATCHES):
        messages = [
            (f"R{batch}_{i}", synthetic.message(batch * PER_BATCH + i)) for i in range(PER_BATCH)
        ]
        write_batch(drop, f"202401{batch + 1:02d}120000000", messages)
        count += len(messages)
    for i in range(LOOSE):
        index = BATCHES * PER_BATCH + i
        folder = drop / f"N_LOOSE{i:03d}_20240201{i:02d}0000000"[:40]
        folder.mkdir(parents=True)
        (folder / f"LOOSE{i:03d}.xml").write_bytes(synthetic.message(index))
        count += 1
    updates = [
        (f"U{i}", synthetic.message(i).replace(b"<TitleText>", b"<TitleText>Updated ", 1))
        for i in range(UPDATES)
    ]
    write_batch(drop, "20240301120000000", updates)
    return count + len(updates)


def start(database_url: str, data_dir: Path, drop: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "liner", "ingest", "ddex", "--json", str(drop)],
            # Small groups of messages per transaction, so that kills land both inside
            # a group and between groups.
            env=env_for(database_url, data_dir, ddex_group_size=str(GROUP_SIZE)),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def recorded(runtime: Runtime, drop: Path) -> dict[str, Any]:
    """Deliveries by file (relative to the drop), batches, revisions and outbox size."""
    with runtime.sessions() as session:
        deliveries = session.scalars(sa.select(Delivery)).all()
        files = [Path(d.file_path or "").relative_to(drop).as_posix() for d in deliveries]
        assert len(files) == len(set(files)), "a message was recorded twice"
        return {
            "deliveries": {
                f: (d.status, d.message_id) for f, d in zip(files, deliveries, strict=True)
            },
            "batches": sorted(
                (b.batch_id, b.status, b.expected_count)
                for b in session.scalars(sa.select(DeliveryBatch)).all()
            ),
            "revisions": sorted(
                (owner, key, revision)
                for owner, key, revision in session.execute(
                    sa.select(Release.owner, Release.source_key, Release.revision)
                )
            ),
            "outbox": session.scalar(sa.select(sa.func.count()).select_from(OutboxRow)),
        }


def delivered(runtime: Runtime) -> int:
    """Deliveries recorded so far, read without waiting for the ingester's write lock
    (which it takes again at once after each commit)."""
    with runtime.sessions() as session:
        read_only(session)
        return session.scalar(sa.select(sa.func.count()).select_from(Delivery)) or 0


@pytest.mark.timeout(400)
def test_killing_the_ingester_repeatedly_loses_and_duplicates_nothing(
    corpus: Path, tmp_path: Path, database_url: str, runtime: Runtime
) -> None:
    total = build_drop(corpus, tmp_path / "clean" / "drop")
    assert total == BATCHES * PER_BATCH + LOOSE + UPDATES

    # A clean run, to the end, in a process of its own.
    clean = tmp_path / "clean"
    started = time.monotonic()
    process = start(database_url, clean / "data", clean / "drop", clean / "log")
    assert process.wait(timeout=300) == 0, (clean / "log").read_text()[-3000:]
    duration = time.monotonic() - started
    expected_catalog = catalog_dump(runtime)
    expected = recorded(runtime, clean / "drop")
    assert len(expected["deliveries"]) == total
    assert len(expected_catalog) == total - UPDATES
    assert {s for s, _ in expected["deliveries"].values()} <= {"applied", "unchanged"}
    assert {r for _, _, r in expected["revisions"]} == {1, 2}
    wipe(runtime)

    # The same deliveries, killed at random moments until a run gets to the end.
    crashed = tmp_path / "crashed"
    build_drop(corpus, crashed / "drop")
    log = crashed / "log"
    rng = random.Random(20240601)
    progress: list[int] = []
    finished = False
    while not finished:
        process = start(database_url, crashed / "data", crashed / "drop", log)
        if len(progress) >= KILLS:
            assert process.wait(timeout=300) == 0, log.read_text()[-3000:]
            break
        # The first kill lands anywhere from start-up on. Every later one waits for the
        # run to commit something new, then lets it go on for a random moment, so that
        # kills land at distinct points of the work, inside groups and between them,
        # however fast or slow the machine is.
        gated = bool(progress)
        wait = rng.uniform(0.0, 0.05) if gated else rng.uniform(0.2, duration / 2)
        before = delivered(runtime)
        while process.poll() is None and gated and delivered(runtime) == before:
            time.sleep(0.01)
        deadline = time.monotonic() + wait
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            assert process.wait(timeout=30) == -signal.SIGKILL
            progress.append(delivered(runtime))
            continue
        assert process.returncode == 0, log.read_text()[-3000:]
        finished = True
    mid_run = [n for n in progress if 0 < n < total]
    assert len(set(mid_run)) >= 3, progress
    assert progress == sorted(progress), "a run lost what an earlier one had recorded"

    assert recorded(runtime, crashed / "drop") == expected
    assert catalog_dump(runtime) == expected_catalog
    acks = list((crashed / "drop").rglob("ACK_*.xml"))
    assert len(acks) == total

    # One more run finds everything recorded and changes nothing.
    process = start(database_url, crashed / "data", crashed / "drop", log)
    assert process.wait(timeout=300) == 0
    assert recorded(runtime, crashed / "drop") == expected
