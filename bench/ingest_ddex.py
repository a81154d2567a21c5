"""DDEX ingestion benchmark: the whole ingestion against lxml's bare parse, in one run.

Ingests the real corpus (``../shared/corpus/ddex``) and a seeded synthetic corpus of
``--releases`` releases generated from it (batches of 100 with their manifests, written
to a temporary drop folder) through ``liner ingest ddex``'s code path, with one worker:
discovery, manifests, parsing, validation, asset checks, the catalog writes, the
delivery records, the acknowledgement files, then the read-model projection. In the
same run it times lxml doing nothing but parsing the very same bytes. It prints
releases/s and the ratio of the whole ingestion time to that bare parse time, for
SQLite and (``--postgres``) for PostgreSQL on 127.0.0.1:5432 (a database of its own,
dropped afterwards).

    python -m bench.ingest_ddex [--releases 10000] [--postgres] [--profile N]

Targets (one worker): 100 releases/s into SQLite, 50 into PostgreSQL.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from lxml import etree

from liner.config import Settings
from liner.ingest.ddex.choreography import Choreographer
from liner.ingest.ddex.outcomes import MessageOutcome
from liner.ingest.ddex.service import DdexIngester
from liner.ingest.ddex.synthetic import SyntheticCorpus, load_templates, write_batch
from liner.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "ddex"
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGETS = {"sqlite": 100.0, "postgresql": 50.0}
WRITTEN = frozenset({"created", "updated", "deleted"})
BATCH_SIZE = 100


@dataclass
class Run:
    backend: str
    corpus: str
    messages: int
    releases: int
    ingest_s: float
    project_s: float
    parse_s: float

    @property
    def whole_s(self) -> float:
        return self.ingest_s + self.project_s

    @property
    def per_s(self) -> float:
        return self.releases / self.whole_s if self.whole_s else 0.0


def message_files(drop: Path) -> list[Path]:
    return [
        p
        for p in sorted(drop.rglob("*.xml"))
        if "ack" not in p.relative_to(drop).parts and not p.name.startswith("BatchComplete_")
    ]


def bare_parse_seconds(files: list[Path], repeat: int = 3) -> float:
    """lxml parsing the same bytes and nothing else (best of ``repeat``; files read
    beforehand)."""
    blobs = [p.read_bytes() for p in files]
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for blob in blobs:
            with suppress(etree.XMLSyntaxError):
                etree.fromstring(blob, parser=parser)
        best = min(best, time.perf_counter() - started)
    return best


def build_synthetic(corpus: Path, drop: Path, releases: int, seed: int) -> float:
    synthetic = SyntheticCorpus(load_templates(corpus), seed=seed)
    started = time.perf_counter()
    for first in range(0, releases, BATCH_SIZE):
        count = min(BATCH_SIZE, releases - first)
        stamp = f"2024{1 + first // (BATCH_SIZE * 28 * 24) % 12:02d}"
        stamp += f"{1 + first // (BATCH_SIZE * 24) % 28:02d}{first // BATCH_SIZE % 24:02d}0000000"
        messages = [(f"S{first + i:06d}", synthetic.message(first + i)) for i in range(count)]
        write_batch(drop, stamp, messages)
    return time.perf_counter() - started


@contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'liner.db'}"
        return
    name = f"liner_bench_{os.getpid()}"
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(POSTGRES_ADMIN).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def ingest(backend: str, label: str, drop: Path, work: Path, profile: int | None = None) -> Run:
    files = message_files(drop)
    parse_s = bare_parse_seconds(files)
    folder = work / f"{backend}-{label}"
    folder.mkdir()
    with database(backend, folder) as url:
        settings = Settings.from_env(
            {
                "LINER_DATA_DIR": str(folder / "data"),
                "LINER_DATABASE_URL": url,
                "LINER_LOG_LEVEL": "WARNING",
            }
        )
        runtime = Runtime.open(settings)
        try:
            choreographer = Choreographer(DdexIngester(runtime))
            profiler = cProfile.Profile() if profile else None
            started = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            outcomes = list(choreographer.run([drop]))
            ingest_s = time.perf_counter() - started
            started = time.perf_counter()
            runtime.project()
            project_s = time.perf_counter() - started
            if profiler is not None:
                profiler.disable()
        finally:
            runtime.close()
    if profiler is not None and profile:
        print(f"\n--- cProfile, {backend} {label}, top {profile} by cumulative time ---")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(profile)
        print(f"--- top {profile} by own time ---")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(profile)
    messages = [o for o in outcomes if isinstance(o, MessageOutcome)]
    written = [r for o in messages for r in o.releases if r.result in WRITTEN]
    return Run(
        backend=backend,
        corpus=label,
        messages=len(messages),
        releases=len(written),
        ingest_s=ingest_s,
        project_s=project_s,
        parse_s=parse_s,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="also PostgreSQL")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        help="print the top N cProfile entries (synthetic; ingestion and projection)",
    )
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"no DDEX corpus at {args.corpus}", file=sys.stderr)
        return 2
    backends = ["sqlite", "postgresql"] if args.postgres else ["sqlite"]
    work = Path(tempfile.mkdtemp(prefix="liner-bench-ddex-"))
    try:
        corpus_copy = work / "corpus"
        shutil.copytree(args.corpus, corpus_copy, copy_function=shutil.copyfile)
        drop = work / "synthetic"
        generated = build_synthetic(args.corpus, drop, args.releases, args.seed)
        size = sum(p.stat().st_size for p in message_files(drop))
        print(
            f"synthetic corpus: {args.releases} releases in "
            f"{-(-args.releases // BATCH_SIZE)} batches, {size / 1e6:.0f} MB, "
            f"generated in {generated:.1f} s (seed {args.seed})"
        )
        runs: list[Run] = []
        for backend in backends:
            for label, folder in (("corpus", corpus_copy), ("synthetic", drop)):
                for ack in [p for p in folder.rglob("ack") if p.is_dir()]:
                    shutil.rmtree(ack)
                profile = args.profile if label == "synthetic" else None
                run = ingest(backend, label, folder, work, profile)
                runs.append(run)
        print()
        print(
            f"{'backend':<11} {'corpus':<10} {'msgs':>6} {'releases':>8} {'ingest s':>9} "
            f"{'project s':>9} {'rel/s':>8} {'bare parse s':>12} {'ratio':>8}"
        )
        failures = []
        for run in runs:
            ratio = run.whole_s / run.parse_s if run.parse_s else float("inf")
            print(
                f"{run.backend:<11} {run.corpus:<10} {run.messages:>6} {run.releases:>8} "
                f"{run.ingest_s:>9.2f} {run.project_s:>9.2f} {run.per_s:>8.1f} "
                f"{run.parse_s:>12.3f} {ratio:>8.1f}"
            )
            if run.corpus == "synthetic" and run.per_s < TARGETS[run.backend]:
                failures.append(
                    f"{run.backend}: {run.per_s:.1f} releases/s (target {TARGETS[run.backend]:.0f})"
                )
        print(
            "\nrel/s = releases written / (ingest + projection); "
            "ratio = (ingest + projection) / lxml's bare parse of the same bytes"
        )
        if failures:
            print("below target: " + "; ".join(failures))
            return 1
        print("targets met")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
