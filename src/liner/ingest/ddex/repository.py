"""SQL for DDEX deliveries: the delivery, batch and release-head tables, and the few
catalog reads the ingester needs before it writes (who owns a UPC, which of a sender's
releases a purge names, which message last changed a release). Catalog writes go
through :class:`liner.catalog.service.CatalogService` only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, tuple_
from sqlalchemy.orm import Session, selectinload, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from liner.ingest.ddex.outcomes import (
    AssetCheck,
    MessageOutcome,
    ReleaseOutcome,
    Status,
    problem_from_json,
)
from liner.ingest.records import ExternalId
from liner.kit.db import lock_writes, read_only
from liner.kit.ids import new_public_id
from liner.models import Release, ReleaseExternalId
from liner.models.base import table_of, utcnow
from liner.models.deliveries import Delivery, DeliveryBatch, DeliveryHead
from liner.models.inserts import insert_many


@dataclass(frozen=True, slots=True)
class Head:
    """The newest message that spoke for one release key."""

    key: str
    source_key: str | None
    state: str
    created_at: datetime
    order_key: str

    @property
    def rank(self) -> tuple[datetime, str]:
        return (self.created_at, self.order_key)


@dataclass(frozen=True, slots=True)
class HeadUpdate:
    key: str
    source_key: str | None
    state: str


@dataclass(frozen=True, slots=True)
class OwnedRelease:
    """A catalog release as far as a purge needs it."""

    owner: str
    source_key: str
    public_id: str
    status: str
    keys: tuple[str, ...]


@dataclass(slots=True)
class Precheck:
    existing: MessageOutcome | None = None
    heads: dict[str, Head] = field(default_factory=dict)
    upc_owners: dict[str, str] = field(default_factory=dict)
    """UPC -> the other sender whose active release carries it."""
    purge_matches: list[list[OwnedRelease]] = field(default_factory=list)
    """Per purged release: every catalog release (any sender) matching one of its ids."""
    head_rows: dict[str, DeliveryHead] = field(default_factory=dict)
    """The head rows behind ``heads``, to move when the message is recorded."""
    head_keys_read: frozenset[str] = frozenset()
    """Every key whose head was looked up (a key here without a row has none)."""


# The statements every message runs, built once (with their cache keys).
_RECORDED_ID = select(Delivery.id).where(
    Delivery.sender == bindparam("sender"),
    Delivery.message_id == bindparam("message_id"),
    Delivery.file_sha256 == bindparam("sha256"),
)
_RECORDED_ROW = (
    select(Delivery, DeliveryBatch.public_id)
    .outerjoin(DeliveryBatch, DeliveryBatch.id == Delivery.batch_id)
    .where(Delivery.id == bindparam("id"))
)
_INSERT_DELIVERY = insert(table_of(Delivery)).returning(table_of(Delivery).c.id)
_HEADS = select(DeliveryHead).where(
    DeliveryHead.sender == bindparam("sender"),
    DeliveryHead.key.in_(bindparam("keys", expanding=True)),
)
_UPC_OWNERS = select(Release.upc, Release.owner).where(
    Release.upc.in_(bindparam("upcs", expanding=True)),
    Release.owner != bindparam("sender"),
    Release.status == "active",
)


MessageKey = tuple[str, str, str]
"""A message as the deliveries table knows it: sender, message id, sha256 of the file."""


def id_key(ext: ExternalId) -> str:
    return f"{ext.namespace}:{ext.value}"


def release_row_keys(release: Release) -> tuple[str, ...]:
    keys = [release.source_key]
    if release.upc:
        keys.append(f"upc:{release.upc}")
    if release.grid:
        keys.append(f"grid:{release.grid}")
    if release.catalog_number:
        keys.append(f"catalog_number:{release.catalog_number}")
    keys.extend(f"{e.namespace}:{e.value}" for e in release.external_ids)
    return tuple(dict.fromkeys(keys))


def _matching(source_key: str | None, ids: Sequence[ExternalId]) -> ColumnElement[bool] | None:
    conditions: list[ColumnElement[bool]] = []
    if source_key:
        conditions.append(Release.source_key == source_key)
    by_kind: dict[str, list[str]] = {}
    others: list[ExternalId] = []
    for ext in ids:
        if ext.namespace in ("upc", "grid", "catalog_number"):
            by_kind.setdefault(ext.namespace, []).append(ext.value)
        else:
            others.append(ext)
        conditions.append(Release.source_key == id_key(ext))
    if by_kind.get("upc"):
        conditions.append(Release.upc.in_(by_kind["upc"]))
    if by_kind.get("grid"):
        conditions.append(Release.grid.in_(by_kind["grid"]))
    if by_kind.get("catalog_number"):
        conditions.append(Release.catalog_number.in_(by_kind["catalog_number"]))
    if others:
        pairs = [
            and_(ReleaseExternalId.namespace == e.namespace, ReleaseExternalId.value == e.value)
            for e in others
        ]
        conditions.append(Release.id.in_(select(ReleaseExternalId.release_id).where(or_(*pairs))))
    return or_(*conditions) if conditions else None


def outcome_of(row: Delivery, batch: str | None, *, replayed: bool = False) -> MessageOutcome:
    return MessageOutcome(
        status=Status(row.status),
        sha256=row.file_sha256,
        file=row.file_path,
        delivery_id=row.public_id,
        message_id=row.message_id,
        thread_id=row.thread_id,
        sender=row.sender,
        message_type=row.message_type,
        version=row.ern_version,
        created_at=row.message_created_at,
        order_key=row.order_key,
        transport=row.transport,
        releases=tuple(ReleaseOutcome.from_json(r) for r in row.releases),
        problems=tuple(problem_from_json(p) for p in row.problems),
        assets=tuple(AssetCheck.from_json(a) for a in row.assets),
        batch=batch,
        processed_at=row.processed_at,
        replayed=replayed,
    )


class DeliveryRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    # one message: read, then write, in the caller's transaction

    def precheck(
        self,
        session: Session,
        *,
        sender: str,
        message_id: str,
        sha256: str,
        keys: Iterable[str] = (),
        upcs: Iterable[str] = (),
        purges: Sequence[tuple[str | None, Sequence[ExternalId]]] = (),
    ) -> Precheck:
        """Everything the ingester reads before writing. ``session`` holds the write
        lock, so nothing read here changes before the message is recorded."""
        found = Precheck()
        # Almost every message is new: a plain id look-up, the whole row only if found.
        recorded_id = session.execute(
            _RECORDED_ID, {"sender": sender, "message_id": message_id, "sha256": sha256}
        ).scalar()
        if recorded_id is not None:
            row = session.execute(_RECORDED_ROW, {"id": recorded_id}).one()
            found.existing = outcome_of(row[0], row[1], replayed=True)
            return found
        key_list = sorted(set(keys))
        if key_list and sender:
            found.head_keys_read = frozenset(key_list)
            for head in session.scalars(_HEADS, {"sender": sender, "keys": key_list}):
                found.head_rows[head.key] = head
                found.heads[head.key] = Head(
                    head.key,
                    head.source_key,
                    head.state,
                    head.message_created_at,
                    head.order_key,
                )
        upc_list = sorted(set(upcs))
        if upc_list:
            for upc, owner in session.execute(_UPC_OWNERS, {"upcs": upc_list, "sender": sender}):
                if upc is not None:
                    found.upc_owners.setdefault(upc, owner)
        for source_key, ids in purges:
            condition = _matching(source_key, ids)
            matches: list[OwnedRelease] = []
            if condition is not None:
                for release in session.scalars(
                    select(Release)
                    .where(condition)
                    .options(selectinload(Release.external_ids))
                    .order_by(Release.id)
                ):
                    matches.append(
                        OwnedRelease(
                            owner=release.owner,
                            source_key=release.source_key,
                            public_id=release.public_id,
                            status=release.status,
                            keys=release_row_keys(release),
                        )
                    )
            found.purge_matches.append(matches)
        return found

    def public_ids(
        self, session: Session, sender: str, source_keys: Iterable[str]
    ) -> dict[str, str]:
        """The public ids of the sender's releases with these source keys (for the
        outcome of releases a message did not write)."""
        wanted = sorted(set(source_keys))
        if not wanted or not sender:
            return {}
        rows = session.execute(
            select(Release.source_key, Release.public_id).where(
                Release.owner == sender, Release.source_key.in_(wanted)
            )
        )
        return {key: public_id for key, public_id in rows if key is not None}

    def record(
        self,
        session: Session,
        outcome: MessageOutcome,
        *,
        batch_row_id: int | None,
        heads: Sequence[HeadUpdate],
        pre: Precheck,
    ) -> MessageOutcome:
        """Store the outcome and move the release heads, in the transaction that read
        ``pre`` and applied the message."""
        now = utcnow()
        # Inserted as a plain row: the unit of work costs more than the insert.
        values: dict[str, Any] = {
            "public_id": new_public_id(),
            "sender": outcome.sender,
            "message_id": outcome.message_id,
            "file_sha256": outcome.sha256,
            "file_path": outcome.file,
            "transport": outcome.transport,
            "thread_id": outcome.thread_id[:255] if outcome.thread_id else None,
            "ern_version": outcome.version,
            "message_type": outcome.message_type,
            "message_created_at": outcome.created_at,
            "order_key": outcome.order_key,
            "status": str(outcome.status),
            "release_ids": outcome.release_ids,
            "source_keys": outcome.source_keys,
            "releases": [r.to_json() for r in outcome.releases],
            "problems": [p.to_json() for p in outcome.problems],
            "assets": [a.to_json() for a in outcome.assets],
            "batch_id": batch_row_id,
            "processed_at": now,
        }
        row_id = session.execute(_INSERT_DELIVERY, values).scalar_one()
        row = Delivery(id=row_id, **values)  # never added to the session
        if outcome.created_at is not None and outcome.sender:
            self._move_heads(session, outcome, heads, pre, row.id, now)
        return outcome_of(row, outcome.batch)

    @staticmethod
    def _move_heads(
        session: Session,
        outcome: MessageOutcome,
        updates: Sequence[HeadUpdate],
        pre: Precheck,
        delivery_id: int,
        now: datetime,
    ) -> None:
        """Heads read by :meth:`precheck` in this transaction are reused; only keys it
        did not look up (a purged release's other ids) are read here."""
        assert outcome.created_at is not None
        by_key = {u.key: u for u in updates}
        if not by_key:
            return
        current = dict(pre.head_rows)
        unread = sorted(set(by_key) - pre.head_keys_read)
        if unread:
            current.update(
                (head.key, head)
                for head in session.scalars(
                    select(DeliveryHead).where(
                        DeliveryHead.sender == outcome.sender, DeliveryHead.key.in_(unread)
                    )
                )
            )
        rank = (outcome.created_at, outcome.order_key)
        new_heads: list[dict[str, Any]] = []
        for key, update in by_key.items():
            head = current.get(key)
            if head is None:
                new_heads.append(
                    {
                        "sender": outcome.sender,
                        "key": key,
                        "source_key": update.source_key,
                        "state": update.state,
                        "message_created_at": outcome.created_at,
                        "order_key": outcome.order_key,
                        "delivery_id": delivery_id,
                        "updated_at": now,
                    }
                )
                continue
            if (head.message_created_at, head.order_key) > rank:
                continue
            head.source_key = update.source_key
            head.state = update.state
            head.message_created_at = outcome.created_at
            head.order_key = outcome.order_key
            head.delivery_id = delivery_id
            head.updated_at = now
        if new_heads:
            insert_many(session, table_of(DeliveryHead), new_heads)

    # batches

    def open_batch(
        self,
        *,
        sender: str,
        batch_id: str,
        folder: str,
        manifest: str,
        manifest_sha256: str,
        manifest_kind: str,
        stamp: datetime | None,
        expected_count: int | None,
        status: str,
        problems: Sequence[dict[str, str]],
    ) -> DeliveryBatch:
        """The batch row for this manifest, created or brought up to date."""
        with self._sessions() as session, session.begin():
            lock_writes(session)
            row = session.scalars(
                select(DeliveryBatch).where(
                    DeliveryBatch.sender == sender,
                    DeliveryBatch.batch_id == batch_id,
                    DeliveryBatch.manifest_sha256 == manifest_sha256,
                )
            ).first()
            if row is None:
                row = DeliveryBatch(
                    public_id=new_public_id(),
                    sender=sender,
                    batch_id=batch_id,
                    manifest_sha256=manifest_sha256,
                    status=status,
                )
                session.add(row)
            elif row.status == "processed":
                return row
            row.folder = folder
            row.manifest = manifest
            row.manifest_kind = manifest_kind
            row.stamp = stamp
            row.expected_count = expected_count
            row.status = status
            row.problems = list(problems)
            session.flush()
            return row

    def finish_batch(self, row_id: int, status: str) -> None:
        with self._sessions() as session, session.begin():
            row = session.get(DeliveryBatch, row_id)
            if row is not None:
                row.status = status
                row.processed_at = utcnow()

    def recorded(self, messages: Iterable[MessageKey]) -> set[MessageKey]:
        """Which of these messages (sender, message id, sha256) have a stored outcome
        already, in one query (read without the write lock: the precheck under the lock
        decides; this only saves work)."""
        wanted = set(messages)
        if not wanted:
            return set()
        key = tuple_(Delivery.sender, Delivery.message_id, Delivery.file_sha256)
        with self._sessions() as session:
            read_only(session)
            rows = session.execute(
                select(Delivery.sender, Delivery.message_id, Delivery.file_sha256).where(
                    key.in_(sorted(wanted))
                )
            )
            return {(row[0], row[1], row[2]) for row in rows}

    def batch_outcomes(self, row: DeliveryBatch) -> list[MessageOutcome]:
        with self._sessions() as session:
            read_only(session)
            rows = session.scalars(
                select(Delivery).where(Delivery.batch_id == row.id).order_by(Delivery.id)
            ).all()
        return [outcome_of(r, row.public_id, replayed=True) for r in rows]

    # what senders see

    def list_for_sender(
        self, sender: str, *, limit: int, offset: int, status: str | None = None
    ) -> tuple[list[MessageOutcome], int]:
        with self._sessions() as session:
            read_only(session)
            condition = Delivery.sender == sender
            if status is not None:
                condition = and_(condition, Delivery.status == status)
            total = session.scalar(select(func.count()).select_from(Delivery).where(condition))
            rows = session.execute(
                select(Delivery, DeliveryBatch.public_id)
                .outerjoin(DeliveryBatch, DeliveryBatch.id == Delivery.batch_id)
                .where(condition)
                .order_by(Delivery.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
        return [outcome_of(r[0], r[1]) for r in rows], int(total or 0)

    def get_for_sender(self, sender: str, public_id: str) -> MessageOutcome | None:
        with self._sessions() as session:
            read_only(session)
            row = session.execute(
                select(Delivery, DeliveryBatch.public_id)
                .outerjoin(DeliveryBatch, DeliveryBatch.id == Delivery.batch_id)
                .where(Delivery.sender == sender, Delivery.public_id == public_id)
            ).first()
        return outcome_of(row[0], row[1]) if row is not None else None

    def counts(self) -> dict[str, Any]:
        """Deliveries by status (for reports and tests)."""
        with self._sessions() as session:
            read_only(session)
            rows = session.execute(
                select(Delivery.status, func.count()).group_by(Delivery.status)
            ).all()
        return {str(status): int(count) for status, count in rows}
