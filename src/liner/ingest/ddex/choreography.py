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
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from liner.ingest.ddex.outcomes import BatchOutcome, MessageOutcome
from liner.ingest.ddex.service import DdexIngester, Source, delivery_stamp, file_stamp
from liner.ingest.ddex.tree import Element, kid, kid_text, kids, local, text
from liner.ingest.records import Problem
from liner.kit.errors import LinerError
from liner.kit.xml import parse_xml
from liner.quality.identifiers import parse_datetime

log = logging.getLogger(__name__)

_MANIFEST_RE = re.compile(r"^batchcomplete_.*\.xml$", re.IGNORECASE)
_BATCH_FOLDER_RE = re.compile(r"^(?:[PMN]_)?\d{14,17}$")
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-_]*://")
_HASH_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128}
ACK_FOLDER = "ack"

Outcome = MessageOutcome | BatchOutcome


def _skipped(name: str) -> bool:
    return name == ACK_FOLDER or name.startswith(".")


def is_manifest(path: Path) -> bool:
    return bool(_MANIFEST_RE.match(path.name))


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


def _xml_files(folder: Path) -> list[Path]:
    try:
        return sorted(
            p
            for p in folder.iterdir()
            if p.is_file() and p.suffix.lower() == ".xml" and not _skipped(p.name)
        )
    except OSError:
        return []


def _walk(folder: Path, top: Path, units: list[Unit]) -> None:
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return
    files = [e for e in entries if e.is_file() and not _skipped(e.name)]
    folders = [e for e in entries if e.is_dir() and not _skipped(e.name)]
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


# ---------------------------------------------------------------------------
# Manifests
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    message_type: str | None
    message_id: str | None
    url: str | None
    release_ids: tuple[str, ...]
    hash_algorithm: str | None
    hash_value: str | None


@dataclass(frozen=True, slots=True)
class Manifest:
    kind: str
    """``echo``, ``ern-c`` or ``semaphore``."""
    sender: str
    created_at: datetime | None
    is_test: bool
    root_directory: str | None
    count: int | None
    entries: tuple[ManifestEntry, ...]
    problems: tuple[Problem, ...]


def _manifest_hash(element: Element | None) -> tuple[str | None, str | None, Problem | None]:
    block = kid(element, "HashSum")
    if block is None:
        return None, None, None
    value = kid_text(block, "HashSum") or kid_text(block, "HashSumValue")
    algorithm_element = kid(block, "HashSumAlgorithmType")
    if algorithm_element is None:
        algorithm_element = kid(block, "Algorithm")
    raw_algorithm = text(algorithm_element)
    algorithm = re.sub(r"[^0-9a-z]", "", (raw_algorithm or "").lower())
    if not value or algorithm not in _HASH_LENGTHS:
        return None, None, None
    value = value.lower()
    if len(value) != _HASH_LENGTHS[algorithm] or any(c not in "0123456789abcdef" for c in value):
        return (
            None,
            None,
            Problem(
                "ddex_manifest_hash_invalid",
                f"the manifest's {raw_algorithm} hash {value!r} is not a digest; not checked",
                "warning",
            ),
        )
    return algorithm, value, None


def parse_manifest(data: bytes, *, location: str = "") -> Manifest:
    """Read a ``BatchComplete`` manifest (raises ``XmlError``/``LinerError`` if unreadable)."""
    if not data.strip():
        return Manifest("semaphore", "", None, False, None, None, (), ())
    root = parse_xml(data, location=location)
    if local(root) != "ManifestMessage":
        raise LinerError(
            f"{local(root)!r} is not a batch ManifestMessage",
            location=location,
            code="ddex_manifest_unknown",
        )
    namespace = root.tag.partition("}")[0].lstrip("{") if isinstance(root.tag, str) else ""
    kind = "ern-c" if "ern-c" in namespace else "echo"
    header = kid(root, "MessageHeader")
    created_raw = kid_text(header, "MessageCreatedDateTime")
    created_at = None
    problems: list[Problem] = []
    if created_raw:
        try:
            created_at = parse_datetime(created_raw)
        except LinerError as exc:
            problems.append(Problem("ddex_manifest_created_invalid", str(exc), "warning"))
    count_raw = kid_text(root, "NumberOfMessages")
    count = int(count_raw) if count_raw and count_raw.isdigit() else None
    if count is None:
        problems.append(
            Problem(
                "ddex_manifest_count_missing", "the manifest gives no NumberOfMessages", "warning"
            )
        )
    entries = []
    for element in kids(root, "MessageInBatch"):
        algorithm, value, problem = _manifest_hash(element)
        if problem is not None:
            problems.append(problem)
        included = kid(element, "IncludedReleaseId")
        release_ids = tuple(
            f"{local(child)}:{value_text}"
            for child in (included if included is not None else ())
            if (value_text := text(child))
        )
        entries.append(
            ManifestEntry(
                message_type=kid_text(element, "MessageType"),
                message_id=kid_text(element, "MessageId"),
                url=kid_text(element, "URL"),
                release_ids=release_ids,
                hash_algorithm=algorithm,
                hash_value=value,
            )
        )
    return Manifest(
        kind=kind,
        sender=kid_text(header, "MessageSender", "PartyId") or "",
        created_at=created_at,
        is_test=(kid_text(root, "IsTestFlag") or "").lower() == "true",
        root_directory=kid_text(root, "RootDirectory"),
        count=count,
        entries=tuple(entries),
        problems=tuple(problems),
    )


def resolve_url(folder: Path, url: str) -> Path | None:
    """The file a manifest URL names inside the batch folder. URLs are written from the
    sender's side (``/<BatchId>/<release>/<file>.xml``, ``AWS_S3://bucket/...``), so the
    longest tail of the URL's path that exists inside the folder is taken."""
    cleaned = _SCHEME_RE.sub("", url.strip()).replace("\\", "/")
    parts = [p for p in cleaned.split("/") if p and p != "."]
    if not parts or ".." in parts:
        return None
    root = folder.resolve()
    for start in range(len(parts)):
        candidate = folder.joinpath(*parts[start:])
        if candidate.is_file() and candidate.resolve().is_relative_to(root):
            return candidate
    return None


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
        if any(_skipped(part) for part in relative) or is_manifest(entry):
            continue
        found.append(entry)
    return found


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
        if row.status == "processed":
            yield from repository.batch_outcomes(row)
            return
        if invalid:
            yield BatchOutcome(
                folder=str(unit.folder),
                status="invalid",
                batch_id=unit.folder.name,
                delivery_id=row.public_id,
                expected=manifest.count,
                problems=tuple(problems),
            )
            return
        ack_dir = self._ack_dir(unit.folder)
        for path, entry in files:
            expected_hash = None
            if entry is not None and entry.hash_algorithm and entry.hash_value:
                expected_hash = (entry.hash_algorithm, entry.hash_value)
            yield self._ingester.ingest_file(
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
        repository.finish_batch(row.id, "processed")

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


# ---------------------------------------------------------------------------
# The drop-folder watcher
# ---------------------------------------------------------------------------


Snapshot = tuple[tuple[str, int, int], ...]


def _snapshot(root: Path, *, recursive: bool) -> Snapshot:
    entries: list[tuple[str, int, int]] = []
    candidates = root.rglob("*") if recursive else [root]
    for path in candidates:
        if recursive and any(_skipped(p) for p in path.relative_to(root).parts):
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        if path.is_file():
            entries.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(entries))


class Watcher:
    """Polls a drop folder and processes each delivery once it has stopped changing
    (unchanged over one poll interval; a batch also needs its manifest)."""

    def __init__(
        self,
        choreographer: Choreographer,
        folder: Path,
        *,
        on_outcome: Callable[[Outcome], None] | None = None,
        after_poll: Callable[[], object] | None = None,
    ) -> None:
        self._choreographer = choreographer
        self._folder = folder
        self._on_outcome = on_outcome
        self._after_poll = after_poll
        self._seen: dict[tuple[str, str], tuple[Snapshot, bool]] = {}

    def _identity(self, unit: Unit) -> tuple[str, str, Snapshot]:
        if isinstance(unit, MessageUnit):
            recursive = not unit.loose
            root = unit.file if unit.loose else unit.file.parent
            return ("message", str(unit.file), _snapshot(root, recursive=recursive))
        kind = "batch" if isinstance(unit, BatchUnit) else "waiting"
        return (kind, str(unit.folder), _snapshot(unit.folder, recursive=True))

    def poll(self) -> list[Outcome]:
        """One pass: process what is complete and stable; returns what was done."""
        done: list[Outcome] = []
        for unit in discover([self._folder]):
            kind, where, snapshot = self._identity(unit)
            if kind == "waiting":
                continue
            previous = self._seen.get((kind, where))
            if previous is None or previous[0] != snapshot:
                self._seen[(kind, where)] = (snapshot, False)
                continue
            if previous[1]:
                continue
            try:
                outcomes = list(self._choreographer.process(unit))
            except Exception:
                log.exception("processing a delivery failed; retrying", extra={"path": where})
                continue
            self._seen[(kind, where)] = (snapshot, True)
            for outcome in outcomes:
                if isinstance(outcome, MessageOutcome) and outcome.replayed:
                    continue
                done.append(outcome)
                if self._on_outcome is not None:
                    self._on_outcome(outcome)
        if done and self._after_poll is not None:
            self._after_poll()
        return done

    def run(
        self,
        interval: float,
        *,
        stop: threading.Event | None = None,
        max_polls: int | None = None,
    ) -> None:
        stop = stop or threading.Event()
        polls = 0
        while not stop.is_set():
            try:
                self.poll()
            except Exception:
                log.exception("the drop-folder poll failed")
            polls += 1
            if max_polls is not None and polls >= max_polls:
                return
            stop.wait(interval)


def paths_of(values: Sequence[str]) -> list[Path]:
    return [Path(v).expanduser() for v in values]
