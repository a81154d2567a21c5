"""Ingesting one DDEX message: parse -> problems -> catalog writes -> stored status.

Every message ends with a recorded :class:`~liner.models.deliveries.Delivery`, keyed by
(sender, message id, file SHA-256): processing the same file again changes nothing and
answers what was recorded. The checks, the catalog writes and the record are one
transaction under the catalog write lock: a run killed anywhere leaves either all of
them or none, and running again picks up where it stopped.

Order: the newest ``MessageCreatedDateTime`` wins. Messages created at the same instant
are ordered by their delivery timestamp (batch or release folder), then message id,
then file hash, so that any replay order ends with the same catalog. A purge leaves a
tombstone so that an older delivery arriving after it does not bring the release back.

Ownership: the catalog keys releases by (sender, natural key), so another sender's
message never touches a release; it may not take over a UPC either (the message is
rejected), and its purges of releases it does not own are rejected.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

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
from liner.ingest.ddex.reading import (
    ReadMessage,
    Source,
    file_stamp,
    read_bytes,
    read_file,
)
from liner.ingest.ddex.repository import (
    DeliveryRepository,
    Head,
    HeadUpdate,
    MessageKey,
    OwnedRelease,
    Precheck,
    id_key,
)
from liner.ingest.records import Problem, Provenance, ReleaseRecord
from liner.kit.db import lock_writes
from liner.kit.errors import ConflictError, InputError
from liner.runtime import Runtime

log = logging.getLogger(__name__)


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


GROUP_SECONDS = 1.0
"""The longest a group holds the write lock before it commits."""


class _RefusedError(Exception):
    """The catalog refused a release of the message: the message is rejected whole."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


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
        self._sessions = runtime.sessions
        self._group_size = runtime.settings.ddex_group_size
        self.repository = DeliveryRepository(runtime.sessions)
        self._write_acks = write_acks

    # entry points

    def ingest_file(self, path: Path, source: Source | None = None) -> MessageOutcome:
        """Apply one message file in a transaction of its own."""
        source = source or Source(
            label=str(path),
            base_dir=path.parent,
            stamp=file_stamp(path),
            ack_dir=path.parent / "ack",
        )
        read = read_file(path, source)
        if isinstance(read, MessageOutcome):
            return read
        ((checked, _),) = self._with_assets([(read, source)])
        assert isinstance(checked, ReadMessage)
        return self._ingest(checked, source)

    def ingest_files(
        self,
        items: Iterable[tuple[Path, Source]],
        *,
        group_size: int | None = None,
        group_seconds: float = GROUP_SECONDS,
    ) -> Iterator[MessageOutcome]:
        """Apply message files in order, a group at a time: each group is one
        transaction (up to ``group_size`` messages, by default ``LINER_DDEX_GROUP_SIZE``,
        or ``group_seconds`` under the write lock), each message in a savepoint of its
        own, so that a refused message still changes nothing. A group's outcomes are
        yielded, and its acknowledgements written, only once it has committed: a run
        stopped earlier left nothing of it."""
        group_size = group_size or self._group_size
        pending = iter(items)
        ready: deque[tuple[ReadMessage | MessageOutcome, Source]] = deque()
        while True:
            # Files are read, parsed and their assets hashed before the write lock is
            # taken, so that other writers wait only for the catalog writes.
            ready.extend(
                self._with_assets(
                    [
                        (read_file(path, source), source)
                        for path, source in islice(pending, group_size - len(ready))
                    ]
                )
            )
            if not ready:
                return
            done: list[tuple[MessageOutcome, Source]] = []
            with self._sessions() as session, session.begin():
                lock_writes(session)
                started = time.monotonic()
                while ready and time.monotonic() - started < group_seconds:
                    read, source = ready.popleft()
                    if isinstance(read, MessageOutcome):
                        done.append((read, source))
                    else:
                        done.append((self._ingest_grouped(session, read, source), source))
            for outcome, source in done:
                yield self._finish(outcome, source)

    def _with_assets(
        self, reads: list[tuple[ReadMessage | MessageOutcome, Source]]
    ) -> list[tuple[ReadMessage | MessageOutcome, Source]]:
        """The messages with their asset files checked (hashing audio can take long),
        except those already recorded (one query for all): a rerun over a delivery
        hashes nothing again."""
        new: dict[int, tuple[MessageKey, ReadMessage, ErnMessage]] = {}
        for index, (read, _) in enumerate(reads):
            if not isinstance(read, ReadMessage):
                continue
            parsed = read.parsed
            if parsed is not None and parsed.message_type is MessageType.NEW_RELEASE:
                key = (parsed.sender_dpid or "", parsed.message_id[:255], read.sha256)
                new[index] = (key, read, parsed)
        recorded = self.repository.recorded(key for key, _, _ in new.values())
        checked = list(reads)
        for index, (key, read, parsed) in new.items():
            if key not in recorded:
                source = reads[index][1]
                assets = AssetChecker(source.base_dir).check(parsed.releases)
                checked[index] = (replace(read, assets=assets), source)
        return checked

    def ingest_bytes(
        self, data: bytes, source: Source, *, expected_sender: str | None = None
    ) -> MessageOutcome:
        """Apply one message. ``expected_sender`` (HTTP): the message must come from this
        DPID, else :class:`PermissionDeniedError`; unreadable messages raise their typed
        error instead of being recorded."""
        return self._ingest(read_bytes(data, source, expected_sender), source)

    # the message

    def _ingest(self, read: ReadMessage, source: Source) -> MessageOutcome:
        """Read, apply and record the message in one transaction under the write lock,
        so that the catalog and the delivery record never disagree. When the catalog
        refuses a release, everything is rolled back and the refusal alone recorded."""
        with self._sessions() as session:
            try:
                with session.begin():
                    lock_writes(session)
                    outcome = self._ingest_in(session, read, list(read.problems), source)
            except _RefusedError as refused:
                with session.begin():
                    lock_writes(session)
                    outcome = self._ingest_in(
                        session, read, [*read.problems, refused.problem], source
                    )
        return self._finish(outcome, source)

    def _ingest_grouped(
        self, session: Session, read: ReadMessage, source: Source
    ) -> MessageOutcome:
        """One message of a group, in a savepoint: a refusal rolls back this message
        only, and the refusal alone is recorded. So does a fault of the ingester itself
        on this message (recorded as ``ddex_internal_error``), so that one message
        cannot hold back its group; database errors still end the group, which is then
        rolled back whole and retried by the next run."""
        try:
            try:
                with session.begin_nested():
                    return self._ingest_in(session, read, list(read.problems), source)
            except _RefusedError as refused:
                # Objects of the rolled-back attempt name rows that no longer exist.
                session.expunge_all()
                return self._ingest_in(session, read, [*read.problems, refused.problem], source)
            except SQLAlchemyError:
                raise
            except Exception as exc:
                log.exception("applying a DDEX message failed", extra={"file": source.label})
                session.expunge_all()
                fault = Problem(
                    "ddex_internal_error", f"the message could not be applied: {exc!r}", "error"
                )
                return self._ingest_in(session, read, [*read.problems, fault], source)
        finally:
            # Rows written with bulk statements are not in loaded objects' collections:
            # the next message of the group must load what it reads afresh.
            session.expunge_all()

    def _finish(self, outcome: MessageOutcome, source: Source) -> MessageOutcome:
        if outcome.replayed:
            return self._replayed(outcome, source)
        return self._acknowledge(replace(outcome, file=source.label or outcome.file), source)

    def _ingest_in(
        self, session: Session, read: ReadMessage, problems: list[Problem], source: Source
    ) -> MessageOutcome:
        sha, parsed = read.sha256, read.parsed
        sender = (parsed.sender_dpid or "") if parsed is not None else ""
        message_id = (parsed.message_id if parsed is not None else "")[:255]
        is_new = parsed is not None and parsed.message_type is MessageType.NEW_RELEASE
        records = parsed.releases if parsed is not None and is_new else ()
        purges = parsed.purged if parsed is not None and not is_new else ()
        keys = [k for r in records for k in release_keys(r)]
        keys += [k for p in purges for k in purge_keys(p)]
        pre = self.repository.precheck(
            session,
            sender=sender,
            message_id=message_id,
            sha256=sha,
            keys=keys,
            upcs=[r.upc for r in records if r.upc],
            purges=[(p.source_key, p.ids) for p in purges],
        )
        if pre.existing is not None:
            return pre.existing
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
            if read.assets is None:
                # Not checked beforehand (it looked recorded): check under the lock.
                read = replace(read, assets=AssetChecker(source.base_dir).check(records))
            assert read.assets is not None
            assets, asset_problems = read.assets
            problems.extend(asset_problems)
        problems.extend(source.problems)
        applied = _Applied([], [], [])
        usable = parsed is not None and not any(p.severity == "error" for p in problems)
        if parsed is not None and usable:
            provenance = self._provenance(parsed, sha, stamp_key, source)
            if is_new:
                applied = self._apply_releases(session, records, pre, provenance, stamp_key)
            else:
                applied = self._apply_purges(session, purges, pre, provenance, stamp_key)
        elif parsed is not None:
            applied.results = self._rejected(session, sender, records)
        problems.extend(applied.problems)
        outcome = replace(
            outcome,
            status=_status(applied.results, problems),
            releases=tuple(applied.results),
            problems=tuple(problems),
            assets=assets,
        )
        return self.repository.record(
            session, outcome, batch_row_id=source.batch_row_id, heads=applied.heads, pre=pre
        )

    def _provenance(
        self, parsed: ErnMessage, sha: str, stamp_key: str, source: Source
    ) -> Provenance:
        base = parsed.provenance()
        extra = dict(base.extra)
        extra.update({"sha256": sha, "order_key": stamp_key, "transport": source.transport})
        return replace(base, reference=parsed.message_id or source.label or sha, extra=extra)

    def _apply_releases(
        self,
        session: Session,
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
            applied.results = self._rejected(session, provenance.sender, records)
            return applied
        rank = (provenance.created_at, stamp_key)
        for record in records:
            key = record.natural_key() or ""
            keys = release_keys(record)
            newest = _newest(pre.heads, keys)
            if newest is not None and newest.rank > rank:
                public_id = self.repository.public_ids(session, provenance.sender, [key]).get(key)
                applied.results.append(ReleaseOutcome(key, public_id, "superseded"))
                continue
            try:
                written = self._catalog.upsert_release(record, provenance, session=session)
            except (ConflictError, InputError) as exc:
                raise _RefusedError(Problem(exc.code, exc.message, "error", key)) from exc
            result = written.status
            applied.results.append(ReleaseOutcome(key, written.public_id, result))
            if result in ("created", "updated", "unchanged"):
                applied.heads.extend(HeadUpdate(k, key, "active") for k in keys)
        return applied

    def _rejected(
        self, session: Session, sender: str, records: Sequence[ReleaseRecord]
    ) -> list[ReleaseOutcome]:
        keys = [k for r in records if (k := r.natural_key())]
        public_ids = self.repository.public_ids(session, sender, keys)
        return [ReleaseOutcome(k, public_ids.get(k), "rejected") for k in keys]

    def _apply_purges(
        self,
        session: Session,
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
                public_id = self.repository.public_ids(session, sender, [source_key]).get(
                    source_key
                )
                applied.results.append(ReleaseOutcome(source_key, public_id, "superseded"))
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
                written = self._catalog.delete_release(
                    release.source_key, provenance, session=session
                )
                result = written.status
                applied.results.append(
                    ReleaseOutcome(release.source_key, written.public_id, result)
                )
                if result in ("deleted", "unchanged"):
                    applied.heads.extend(
                        HeadUpdate(k, release.source_key, "purged")
                        for k in dict.fromkeys((*keys, *release.keys))
                    )
        return applied

    # after the record

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
