"""Delivery folders: finding what was delivered and processing it in order.

Two choreographies (DDEX ERN choreography standard, SFTP profiles):

* **Batch**: a folder named by its BatchId (its creation timestamp), one sub-folder per
  release, and a ``BatchComplete_<BatchId>.xml`` manifest written last. A batch is
  processed only once its manifest is there; the manifest's message count and the files
  it names must agree with the folder, else the batch is ``invalid`` and nothing of it
  is applied. Both manifest forms in the wild are read: the ECHO 1.2 ``ManifestMessage``
  and the ERN choreography (``ern-c``) one; a zero-byte manifest (a bare semaphore) is
  tolerated. Batches are processed in the order of their timestamps.
* **Release by release**: a folder per release with its message (and ``resources/``);
  processed as it is, or, by the watcher, once it has stopped changing.

Folders called ``ack`` (our acknowledgements) and hidden entries are never read.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from liner.ingest.ddex.manifests import (
    Manifest,
    ManifestEntry,
    is_manifest,
    parse_manifest,
    resolve_url,
)
from liner.ingest.ddex.outcomes import BatchOutcome, MessageOutcome
from liner.ingest.ddex.reading import Source, delivery_stamp, file_stamp
from liner.ingest.ddex.service import DdexIngester
from liner.ingest.records import Problem
from liner.kit.errors import LinerError

__all__ = [
    "ACK_FOLDER",
    "BatchUnit",
    "Choreographer",
    "MessageUnit",
    "Outcome",
    "Unit",
    "WaitingUnit",
    "discover",
    "is_manifest",
    "parse_manifest",
    "resolve_url",
    "skipped_name",
]

_BATCH_FOLDER_RE = re.compile(r"^(?:[PMN]_)?\d{14,17}$")
ACK_FOLDER = "ack"

Outcome = MessageOutcome | BatchOutcome


def skipped_name(name: str) -> bool:
    """Entries never read as deliveries: our ``ack`` folders and hidden files."""
    return name == ACK_FOLDER or name.startswith(".")


# ---------------------------------------------------------------------------
# What a folder holds
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchUnit:
    folder: Path
    manifest: Path
    stamp: str


@dataclass(frozen=True, slots=True)
class MessageUnit:
    file: Path
    stamp: str
    loose: bool = False
    """A file lying directly in a folder given on the command line or watched."""


@dataclass(frozen=True, slots=True)
class WaitingUnit:
    """A batch folder (named by a timestamp) whose manifest has not arrived."""

    folder: Path
    stamp: str


Unit = BatchUnit | MessageUnit | WaitingUnit


def _unit_order(unit: Unit) -> tuple[str, str]:
    path = unit.file if isinstance(unit, MessageUnit) else unit.folder
    return (unit.stamp, str(path))


def _walk(folder: Path, top: Path, units: list[Unit]) -> None:
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return
    files = [e for e in entries if e.is_file() and not skipped_name(e.name)]
    folders = [e for e in entries if e.is_dir() and not skipped_name(e.name)]
    manifests = [f for f in files if is_manifest(f)]
    if manifests:
        units.append(BatchUnit(folder, max(manifests), delivery_stamp(folder.name)))
        return
    xml = [f for f in files if f.suffix.lower() == ".xml"]
    if _BATCH_FOLDER_RE.match(folder.name) and not xml and folders:
        units.append(WaitingUnit(folder, delivery_stamp(folder.name)))
        return
    units.extend(MessageUnit(f, file_stamp(f), loose=folder == top) for f in xml)
    for child in folders:
        _walk(child, top, units)


def discover(paths: Iterable[Path]) -> list[Unit]:
    """The deliveries under ``paths`` (files or folders), in processing order: by
    delivery timestamp (none first), then path."""
    units: list[Unit] = []
    for path in paths:
        if path.is_dir():
            _walk(path, path, units)
        elif is_manifest(path):
            units.append(BatchUnit(path.parent, path, delivery_stamp(path.parent.name)))
        else:
            units.append(MessageUnit(path, file_stamp(path), loose=True))
    unique: dict[tuple[str, Path], Unit] = {}
    for unit in units:
        where = unit.file if isinstance(unit, MessageUnit) else unit.folder
        unique.setdefault((type(unit).__name__, where.resolve()), unit)
    return sorted(unique.values(), key=_unit_order)


def _batch_stamp(folder: Path, manifest: Manifest) -> tuple[str, datetime | None]:
    stamp = delivery_stamp(folder.name) or delivery_stamp(manifest.root_directory or "")
    if stamp:
        when = datetime.strptime(stamp, "%Y%m%d%H%M%S%f").replace(tzinfo=UTC)
        return stamp, when
    if manifest.created_at is not None:
        when = manifest.created_at.astimezone(UTC)
        return when.strftime("%Y%m%d%H%M%S%f")[:17], when
    return "", None


def _all_xml(folder: Path) -> list[Path]:
    found: list[Path] = []
    for entry in sorted(folder.rglob("*.xml")):
        relative = entry.relative_to(folder).parts
        if any(skipped_name(part) for part in relative) or is_manifest(entry):
            continue
        found.append(entry)
    return found


def _processed(
    summary: BatchOutcome, messages: list[MessageOutcome], *, replayed: bool
) -> BatchOutcome:
    """The manifest's own outcome once every message it lists has one."""
    statuses = Counter(str(m.status) for m in messages)
    return replace(
        summary,
        status="processed",
        messages=tuple(m.delivery_id for m in messages if m.delivery_id),
        statuses=tuple(sorted(statuses.items())),
        replayed=replayed,
    )


# ---------------------------------------------------------------------------
# Processing
# ---------------------------------------------------------------------------


class Choreographer:
    """Processes delivery units with a :class:`DdexIngester`."""

    def __init__(self, ingester: DdexIngester, *, ack_root: Path | None = None) -> None:
        self._ingester = ingester
        self._ack_root = ack_root

    def _ack_dir(self, folder: Path) -> Path:
        return self._ack_root if self._ack_root is not None else folder / ACK_FOLDER

    def run(self, paths: Iterable[Path]) -> Iterator[Outcome]:
        for unit in discover(paths):
            yield from self.process(unit)

    def process(self, unit: Unit) -> Iterator[Outcome]:
        if isinstance(unit, MessageUnit):
            yield self.process_message(unit)
        elif isinstance(unit, BatchUnit):
            yield from self.process_batch(unit)
        else:
            yield BatchOutcome(
                folder=str(unit.folder),
                status="waiting",
                batch_id=unit.folder.name,
                problems=(
                    Problem(
                        "ddex_batch_incomplete",
                        "no BatchComplete manifest yet; the batch waits for it",
                        "info",
                        str(unit.folder),
                    ),
                ),
            )

    def process_message(self, unit: MessageUnit) -> MessageOutcome:
        folder = unit.file.parent
        return self._ingester.ingest_file(
            unit.file,
            Source(
                label=str(unit.file),
                base_dir=folder,
                stamp=unit.stamp,
                ack_dir=self._ack_dir(folder),
            ),
        )

    def process_batch(self, unit: BatchUnit) -> Iterator[Outcome]:
        repository = self._ingester.repository
        data = unit.manifest.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        problems: list[Problem] = []
        try:
            manifest = parse_manifest(data, location=str(unit.manifest))
        except LinerError as exc:
            manifest = Manifest("unreadable", "", None, False, None, None, (), ())
            problems.append(Problem(exc.code, exc.message, "error", str(unit.manifest)))
        problems.extend(manifest.problems)
        stamp, when = _batch_stamp(unit.folder, manifest)
        files = self._batch_files(unit.folder, unit.manifest, manifest, problems)
        invalid = any(p.severity == "error" for p in problems)
        row = repository.open_batch(
            sender=manifest.sender,
            batch_id=unit.folder.name,
            folder=str(unit.folder),
            manifest=str(unit.manifest),
            manifest_sha256=sha,
            manifest_kind=manifest.kind,
            stamp=when,
            expected_count=manifest.count,
            status="invalid" if invalid else "processing",
            problems=[
                {"code": p.code, "severity": p.severity, "message": p.message, "location": ""}
                for p in problems
            ],
        )
        summary = BatchOutcome(
            folder=str(unit.folder),
            status="invalid",
            batch_id=unit.folder.name,
            delivery_id=row.public_id,
            manifest=str(unit.manifest),
            manifest_kind=manifest.kind,
            expected=manifest.count,
            problems=tuple(problems),
        )
        if row.status == "processed":
            earlier = repository.batch_outcomes(row)
            yield from earlier
            yield _processed(summary, earlier, replayed=True)
            return
        if invalid:
            yield summary
            return
        ack_dir = self._ack_dir(unit.folder)
        sources: list[tuple[Path, Source]] = []
        for path, entry in files:
            expected_hash = None
            if entry is not None and entry.hash_algorithm and entry.hash_value:
                expected_hash = (entry.hash_algorithm, entry.hash_value)
            sources.append(
                (
                    path,
                    Source(
                        label=str(path),
                        base_dir=path.parent,
                        stamp=stamp,
                        batch_row_id=row.id,
                        batch_public_id=row.public_id,
                        ack_dir=ack_dir,
                        expected_message_id=entry.message_id if entry is not None else None,
                        expected_hash=expected_hash,
                    ),
                )
            )
        done: list[MessageOutcome] = []
        for outcome in self._ingester.ingest_files(sources):
            done.append(outcome)
            yield outcome
        repository.finish_batch(row.id, "processed")
        yield _processed(summary, done, replayed=False)

    @staticmethod
    def _batch_files(
        folder: Path, manifest_path: Path, manifest: Manifest, problems: list[Problem]
    ) -> list[tuple[Path, ManifestEntry | None]]:
        if manifest.kind == "unreadable":
            return []
        present = _all_xml(folder)
        if manifest.kind == "semaphore":
            problems.append(
                Problem(
                    "ddex_manifest_empty",
                    "the BatchComplete file is empty; every message in the folder is taken",
                    "warning",
                    str(manifest_path),
                )
            )
            return [(p, None) for p in present]
        if manifest.count is not None and manifest.count != len(manifest.entries):
            problems.append(
                Problem(
                    "ddex_manifest_count_mismatch",
                    f"the manifest says {manifest.count} messages and lists "
                    f"{len(manifest.entries)}",
                    "error",
                    str(manifest_path),
                )
            )
        files: list[tuple[Path, ManifestEntry | None]] = []
        seen_files: set[Path] = set()
        seen_releases: set[str] = set()
        for entry in manifest.entries:
            path = resolve_url(folder, entry.url) if entry.url else None
            if path is None:
                problems.append(
                    Problem(
                        "ddex_manifest_file_missing",
                        f"the manifest names {entry.url!r}, which is not in the batch folder",
                        "error",
                        str(manifest_path),
                    )
                )
                continue
            if path in seen_files or seen_releases & set(entry.release_ids):
                problems.append(
                    Problem(
                        "ddex_manifest_duplicate",
                        f"{entry.url!r} (or its release) is listed twice in the batch",
                        "error",
                        str(manifest_path),
                    )
                )
                continue
            seen_files.add(path)
            seen_releases.update(entry.release_ids)
            files.append((path, entry))
        for path in present:
            if path not in seen_files:
                problems.append(
                    Problem(
                        "ddex_batch_unlisted_file",
                        f"{path.relative_to(folder)} is not listed in the manifest; "
                        "it was not processed",
                        "warning",
                        str(path),
                    )
                )
        return files
