"""Ingesting one DDEX message: parse -> problems -> catalog writes -> stored status.

Every message ends with a recorded :class:`~liner.models.deliveries.Delivery`, keyed by
(sender, message id, file SHA-256): processing the same file again changes nothing and
answers what was recorded. The catalog write comes first and is idempotent; the record
comes after it, so a run killed in between is repaired by running again (the write then
finds nothing to change, and the record says the message was applied).

Order: the newest ``MessageCreatedDateTime`` wins. Messages created at the same instant
are ordered by their delivery timestamp (batch or release folder), then message id,
then file hash, so that any replay order ends with the same catalog. A purge leaves a
tombstone so that an older delivery arriving after it does not bring the release back.

Ownership: the catalog keys releases by (sender, natural key), so another sender's
message never touches a release; it may not take over a UPC either (the message is
rejected), and its purges of releases it does not own are rejected.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from liner.catalog.releases import track_key
from liner.ingest.ddex.acks import write_ack
from liner.ingest.ddex.assets import AssetChecker
from liner.ingest.ddex.model import ErnMessage, MessageType, PurgedRelease
from liner.ingest.ddex.outcomes import (
    APPLIED_RESULTS,
    AssetCheck,
    MessageOutcome,
    ReleaseOutcome,
    Status,
)
from liner.ingest.ddex.parser import parse_ern
from liner.ingest.ddex.repository import (
    DeliveryRepository,
    Head,
    HeadUpdate,
    OwnedRelease,
    Precheck,
    id_key,
)
from liner.ingest.records import Problem, Provenance, ReleaseRecord
from liner.kit.errors import ConflictError, InputError, LinerError, PermissionDeniedError
from liner.kit.xml import DEFAULT_MAX_BYTES
from liner.quality.identifiers import CheckDigitError, normalise_dpid
from liner.runtime import Runtime

log = logging.getLogger(__name__)

_STAMP_RE = re.compile(r"(?:^|_)(\d{14,17})$")


def delivery_stamp(name: str) -> str:
    """The delivery timestamp in a batch or release folder name (``20161024145603121``,
    ``N_A10301A0005108088N_20240101120000000``), as 17 digits, or "" when there is none."""
    match = _STAMP_RE.search(name)
    if match is None:
        return ""
    digits = match.group(1)
    try:
        datetime.strptime(digits[:14], "%Y%m%d%H%M%S")
    except ValueError:
        return ""
    return (digits + "000")[:17]


def file_stamp(path: Path) -> str:
    """The delivery timestamp of a message file: that of its release folder, else of
    the batch folder above it."""
    for folder in (path.parent, path.parent.parent):
        stamp = delivery_stamp(folder.name)
        if stamp:
            return stamp
    return ""


def order_key(stamp: str, message_id: str, sha256: str) -> str:
    """Orders messages created at the same instant (compared as strings): a message
    without a delivery timestamp comes before any with one."""
    return f"{stamp or '0' * 17}|{message_id[:150]}|{sha256}"


def release_keys(record: ReleaseRecord) -> tuple[str, ...]:
    """Every id a sender may later name this release by, as head keys."""
    keys: list[str] = []
    natural = record.natural_key()
    if natural:
        keys.append(natural)
    if record.upc:
        keys.append(f"upc:{record.upc}")
    if record.grid:
        keys.append(f"grid:{record.grid}")
    if record.catalog_number:
        keys.append(f"catalog_number:{record.catalog_number}")
    keys.extend(id_key(e) for e in record.ids)
    return tuple(dict.fromkeys(keys))


def purge_keys(purged: PurgedRelease) -> tuple[str, ...]:
    keys = [purged.source_key] if purged.source_key else []
    keys.extend(id_key(e) for e in purged.ids)
    return tuple(dict.fromkeys(keys))


def canonical_sender(value: str) -> str:
    """A DPID as the parser stores it (compact, ``DPID:`` and hyphens removed)."""
    value = value.strip()
    try:
        return normalise_dpid(value)
    except CheckDigitError as exc:
        return str(exc.value)
    except InputError:
        return value


@dataclass(frozen=True, slots=True)
class Source:
    """Where a message came from and where its files and acknowledgement go."""

    label: str | None = None
    """The file's path as reported (None for HTTP)."""
    base_dir: Path | None = None
    """The folder the message's file references are relative to (None: not checked)."""
    stamp: str = ""
    batch_row_id: int | None = None
    batch_public_id: str | None = None
    ack_dir: Path | None = None
    transport: str = "folder"
    problems: tuple[Problem, ...] = ()
    """Problems found before the message was read (e.g. against its batch manifest)."""
    expected_message_id: str | None = None
    """The MessageId its batch manifest announced."""
    expected_hash: tuple[str, str] | None = None
    """(algorithm, hex digest) of the file, as its batch manifest announced."""


@dataclass(slots=True)
class _Applied:
    results: list[ReleaseOutcome]
    heads: list[HeadUpdate]
    problems: list[Problem]


def _newest(heads: dict[str, Head], keys: Iterable[str]) -> Head | None:
    found = [heads[k] for k in keys if k in heads]
    return max(found, key=lambda h: h.rank) if found else None


def _status(results: Sequence[ReleaseOutcome], problems: Sequence[Problem]) -> Status:
    kinds = {r.result for r in results}
    if kinds & APPLIED_RESULTS:
        return Status.APPLIED
    if any(p.severity == "error" for p in problems):
        return Status.REJECTED
    if "unchanged" in kinds:
        return Status.UNCHANGED
    if kinds & {"stale", "superseded"}:
        return Status.SUPERSEDED
    return Status.SKIPPED


def _record_problem(record: ReleaseRecord) -> Problem | None:
    """What the catalog would refuse in this release, found before anything is written."""
    key = record.natural_key()
    if key is None:
        return Problem("release_no_key", "the release has no usable id", "error")
    if not record.tracks:
        return Problem("release_no_tracks", "the release has no track", "error", key)
    seen: set[str] = set()
    for track in record.tracks:
        tkey = track_key(track)
        if tkey in seen:
            return Problem("duplicate_track", f"two tracks share the key {tkey}", "error", key)
        seen.add(tkey)
    return None


class DdexIngester:
    """Applies DDEX messages to the catalog through the catalog service."""

    def __init__(self, runtime: Runtime, *, write_acks: bool = True) -> None:
        self._catalog = runtime.catalog
        self.repository = DeliveryRepository(runtime.sessions)
        self._write_acks = write_acks

    # entry points

    def ingest_file(self, path: Path, source: Source | None = None) -> MessageOutcome:
        source = source or Source(
            label=str(path),
            base_dir=path.parent,
            stamp=file_stamp(path),
            ack_dir=path.parent / "ack",
        )
        try:
            size = path.stat().st_size
            if size > DEFAULT_MAX_BYTES:
                return self._oversized(path, size, source)
            data = path.read_bytes()
        except OSError as exc:
            return MessageOutcome(
                status=Status.REJECTED,
                sha256="",
                file=source.label,
                problems=(Problem("ddex_file_unreadable", str(exc), "error", str(path)),),
            )
        return self.ingest_bytes(data, source)

    def ingest_bytes(
        self, data: bytes, source: Source, *, expected_sender: str | None = None
    ) -> MessageOutcome:
        """Apply one message. ``expected_sender`` (HTTP): the message must come from this
        DPID, else :class:`PermissionDeniedError`; unreadable messages raise their typed
        error instead of being recorded."""
        sha = hashlib.sha256(data).hexdigest()
        problems: list[Problem] = []
        if source.expected_hash is not None:
            algorithm, expected = source.expected_hash
            actual = hashlib.new(algorithm, data).hexdigest()
            if actual != expected:
                problems.append(
                    Problem(
                        "ddex_manifest_hash_mismatch",
                        f"the file's {algorithm} is {actual}; its batch manifest says {expected}",
                        "error",
                        source.label or "",
                    )
                )
        parsed: ErnMessage | None = None
        try:
            parsed = parse_ern(data, location=source.label or "")
        except LinerError as exc:
            if expected_sender is not None:
                raise
            problems.append(Problem(exc.code, exc.message, "error", exc.location))
        except Exception as exc:
            if expected_sender is not None:
                raise
            log.exception("the DDEX parser failed", extra={"file": source.label})
            problems.append(
                Problem("ddex_internal_error", f"the message could not be read: {exc!r}", "error")
            )
        if expected_sender is not None and parsed is not None:
            wanted = canonical_sender(expected_sender)
            if (parsed.sender_dpid or "") != wanted:
                raise PermissionDeniedError(
                    f"the message is sent by {parsed.sender_dpid!r}; this key may only "
                    f"deliver as {wanted!r}",
                    code="ddex_sender_mismatch",
                )
        return self._ingest(sha, parsed, problems, source)

    # the message

    def _ingest(
        self, sha: str, parsed: ErnMessage | None, problems: list[Problem], source: Source
    ) -> MessageOutcome:
        sender = (parsed.sender_dpid or "") if parsed is not None else ""
        message_id = (parsed.message_id if parsed is not None else "")[:255]
        is_new = parsed is not None and parsed.message_type is MessageType.NEW_RELEASE
        records = parsed.releases if parsed is not None and is_new else ()
        purges = parsed.purged if parsed is not None and not is_new else ()
        keys = [k for r in records for k in release_keys(r)]
        keys += [k for p in purges for k in purge_keys(p)]
        pre = self.repository.precheck(
            sender=sender,
            message_id=message_id,
            sha256=sha,
            keys=keys,
            upcs=[r.upc for r in records if r.upc],
            source_keys=[k for r in records if (k := r.natural_key())],
            purges=[(p.source_key, p.ids) for p in purges],
        )
        if pre.existing is not None:
            return self._replayed(pre.existing, source)
        stamp_key = order_key(source.stamp, message_id, sha)
        outcome = MessageOutcome(
            status=Status.REJECTED,
            sha256=sha,
            file=source.label,
            message_id=message_id,
            sender=sender,
            order_key=stamp_key,
            transport=source.transport,
            batch=source.batch_public_id,
        )
        assets: tuple[AssetCheck, ...] = ()
        if parsed is not None:
            outcome = replace(
                outcome,
                thread_id=parsed.thread_id,
                message_type=str(parsed.message_type),
                version=parsed.version,
                created_at=parsed.created_at,
            )
            problems.extend(parsed.problems)
            expected_id = source.expected_message_id
            if expected_id and expected_id != parsed.message_id:
                problems.append(
                    Problem(
                        "ddex_manifest_message_id_mismatch",
                        f"the batch manifest announced MessageId {expected_id!r}, "
                        f"the message says {parsed.message_id!r}",
                        "warning",
                        source.label or "",
                    )
                )
            if parsed.is_test:
                problems.append(
                    Problem(
                        "ddex_test_message",
                        "MessageControlType is TestMessage; it was applied like a live one",
                        "info",
                    )
                )
            problems.extend(
                Problem(
                    "ddex_release_skipped",
                    f"{s.reason}: {s.detail}" + (f" ({s.title})" if s.title else ""),
                    "info",
                    s.reference or "",
                )
                for s in parsed.skipped
            )
            assets, asset_problems = AssetChecker(source.base_dir).check(records)
            problems.extend(asset_problems)
        problems.extend(source.problems)
        applied = _Applied([], [], [])
        usable = parsed is not None and not any(p.severity == "error" for p in problems)
        if parsed is not None and usable:
            provenance = self._provenance(parsed, sha, stamp_key, source)
            if is_new:
                applied = self._apply_releases(records, pre, provenance, stamp_key)
            else:
                applied = self._apply_purges(purges, pre, provenance, stamp_key)
        elif parsed is not None:
            applied.results = [
                ReleaseOutcome(k, pre.public_ids.get(k), "rejected")
                for r in records
                if (k := r.natural_key())
            ]
        problems.extend(applied.problems)
        outcome = replace(
            outcome,
            status=_status(applied.results, problems),
            releases=tuple(applied.results),
            problems=tuple(problems),
            assets=assets,
        )
        recorded = self.repository.record(
            outcome, batch_row_id=source.batch_row_id, heads=applied.heads
        )
        return self._acknowledge(replace(recorded, file=source.label or recorded.file), source)

    def _provenance(
        self, parsed: ErnMessage, sha: str, stamp_key: str, source: Source
    ) -> Provenance:
        base = parsed.provenance()
        extra = dict(base.extra)
        extra.update({"sha256": sha, "order_key": stamp_key, "transport": source.transport})
        return replace(base, reference=parsed.message_id or source.label or sha, extra=extra)

    def _apply_releases(
        self,
        records: Sequence[ReleaseRecord],
        pre: Precheck,
        provenance: Provenance,
        stamp_key: str,
    ) -> _Applied:
        applied = _Applied([], [], [])
        refused: list[Problem] = []
        for record in records:
            problem = _record_problem(record)
            if problem is not None:
                refused.append(problem)
            elif record.upc and record.upc in pre.upc_owners:
                refused.append(
                    Problem(
                        "release_owned_by_other_sender",
                        f"UPC {record.upc} belongs to a release delivered by another "
                        f"sender ({pre.upc_owners[record.upc]})",
                        "error",
                        record.natural_key() or "",
                    )
                )
        if refused:
            applied.problems.extend(refused)
            applied.results = [
                ReleaseOutcome(k, pre.public_ids.get(k), "rejected")
                for r in records
                if (k := r.natural_key())
            ]
            return applied
        rank = (provenance.created_at, stamp_key)
        for record in records:
            key = record.natural_key() or ""
            keys = release_keys(record)
            newest = _newest(pre.heads, keys)
            if newest is not None and newest.rank > rank:
                applied.results.append(ReleaseOutcome(key, pre.public_ids.get(key), "superseded"))
                continue
            try:
                written = self._catalog.upsert_release(record, provenance)
            except (ConflictError, InputError) as exc:
                applied.problems.append(Problem(exc.code, exc.message, "error", key))
                applied.results.append(ReleaseOutcome(key, pre.public_ids.get(key), "rejected"))
                continue
            result = written.status
            if result == "unchanged" and self.repository.changed_by(
                provenance.sender, key, provenance.extra["sha256"]
            ):
                result = "recovered"
            applied.results.append(ReleaseOutcome(key, written.public_id, result))
            if result in ("created", "updated", "unchanged", "recovered"):
                applied.heads.extend(HeadUpdate(k, key, "active") for k in keys)
        return applied

    def _apply_purges(
        self,
        purges: Sequence[PurgedRelease],
        pre: Precheck,
        provenance: Provenance,
        stamp_key: str,
    ) -> _Applied:
        applied = _Applied([], [], [])
        sender = provenance.sender
        plans: list[tuple[PurgedRelease, list[OwnedRelease]]] = []
        for purged, matches in zip(purges, pre.purge_matches, strict=True):
            owned = [m for m in matches if m.owner == sender]
            others = [m for m in matches if m.owner != sender and m.status == "active"]
            if not owned and others:
                applied.problems.append(
                    Problem(
                        "ddex_purge_not_owner",
                        f"release {purged.source_key} was delivered by another sender; "
                        f"{sender} may not purge it",
                        "error",
                        purged.source_key or "",
                    )
                )
            plans.append((purged, owned))
        if applied.problems:
            applied.results = [
                ReleaseOutcome(p.source_key or "", None, "rejected") for p, _ in plans
            ]
            return applied
        rank = (provenance.created_at, stamp_key)
        for purged, owned in plans:
            keys = purge_keys(purged)
            newest = _newest(pre.heads, keys)
            if newest is not None and newest.rank > rank:
                source_key = newest.source_key or purged.source_key or ""
                applied.results.append(
                    ReleaseOutcome(source_key, pre.public_ids.get(source_key), "superseded")
                )
                continue
            if not owned:
                applied.problems.append(
                    Problem(
                        "ddex_purge_unknown_release",
                        f"no release of {sender} matches {', '.join(keys)}; nothing to purge",
                        "warning",
                        purged.source_key or "",
                    )
                )
                applied.results.append(ReleaseOutcome(purged.source_key or "", None, "unknown"))
                applied.heads.extend(HeadUpdate(k, purged.source_key, "purged") for k in keys)
                continue
            for release in owned:
                written = self._catalog.delete_release(release.source_key, provenance)
                result = written.status
                if result == "unchanged" and self.repository.changed_by(
                    sender, release.source_key, provenance.extra["sha256"]
                ):
                    result = "recovered"
                applied.results.append(
                    ReleaseOutcome(release.source_key, written.public_id, result)
                )
                if result in ("deleted", "unchanged", "recovered"):
                    applied.heads.extend(
                        HeadUpdate(k, release.source_key, "purged")
                        for k in dict.fromkeys((*keys, *release.keys))
                    )
        return applied

    # after the record

    def _oversized(self, path: Path, size: int, source: Source) -> MessageOutcome:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
        problem = Problem(
            "xml_too_large",
            f"document is {size} bytes, more than the limit of {DEFAULT_MAX_BYTES}",
            "error",
            source.label or "",
        )
        return self._ingest(digest.hexdigest(), None, [problem], source)

    def _replayed(self, existing: MessageOutcome, source: Source) -> MessageOutcome:
        outcome = replace(existing, file=source.label or existing.file)
        return self._acknowledge(outcome, source)

    def _acknowledge(self, outcome: MessageOutcome, source: Source) -> MessageOutcome:
        if not self._write_acks or source.ack_dir is None or outcome.delivery_id is None:
            return outcome
        try:
            path = write_ack(outcome, source.ack_dir)
        except OSError as exc:
            log.warning(
                "could not write the acknowledgement",
                extra={"file": outcome.file, "error": str(exc)},
            )
            return outcome
        return outcome.with_ack(str(path))
