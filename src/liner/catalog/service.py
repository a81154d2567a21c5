"""The catalog's one write path: every source (DDEX, creators' JSON, RSS) writes here.

Each call is one transaction: it takes the catalog write lock, records where the write
came from, applies one aggregate idempotently (newest message wins, unchanged content
writes nothing) and appends outbox rows for what changed. Nothing is half-applied: any
error rolls the whole aggregate back. A caller that must store something else atomically
with the write (DDEX: the delivery record) passes its own session instead, and the write
joins that transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session, sessionmaker

from liner.catalog.merges import ArtistMerger
from liner.catalog.releases import ReleaseWriter, WriteResult
from liner.catalog.shows import ShowWriter
from liner.ingest.records import Provenance as ProvenanceRecord
from liner.ingest.records import ReleaseRecord, ShowRecord
from liner.kit.db import lock_writes
from liner.kit.errors import InputError
from liner.models import Provenance
from liner.models.base import table_of

_PROVENANCE = table_of(Provenance)
_INSERT_PROVENANCE = insert(_PROVENANCE).returning(_PROVENANCE.c.id)


class CatalogService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def _run(
        self,
        provenance: ProvenanceRecord,
        apply: Callable[[Session, Provenance], WriteResult],
        session: Session | None = None,
    ) -> WriteResult:
        if provenance.created_at.tzinfo is None:
            raise InputError("the message creation time has no timezone", code="naive_datetime")
        if session is not None:
            return self._apply(session, provenance, apply)
        with self._sessions() as own, own.begin():
            lock_writes(own)
            result = self._apply(own, provenance, apply)
            if not result.changed and not result.newer_message:
                own.rollback()
                return result
        return result

    @staticmethod
    def _apply(
        session: Session,
        provenance: ProvenanceRecord,
        apply: Callable[[Session, Provenance], WriteResult],
    ) -> WriteResult:
        values = {
            "kind": provenance.kind,
            "sender": provenance.sender,
            "reference": provenance.reference,
            "message_created_at": provenance.created_at,
            "extra": dict(provenance.extra),
        }
        # A plain insert (the unit of work costs more than the row); writers read the
        # row's values from an object that stays out of the session.
        row_id = session.execute(_INSERT_PROVENANCE, values).scalar_one()
        row = Provenance(id=row_id, **values)
        # Writers flush where they need ids; everything else is inserted in one flush
        # at commit, which batches the rows of each table into few statements.
        with session.no_autoflush:
            result = apply(session, row)
        if not result.changed:
            # Nothing changed. When the message is newer, the writer kept its time, so
            # that an older message arriving later is still recognised as stale; the
            # provenance row records what changed an entity, and this changed nothing.
            session.flush()
            session.execute(delete(_PROVENANCE).where(_PROVENANCE.c.id == row_id))
        return result

    def upsert_release(
        self,
        record: ReleaseRecord,
        provenance: ProvenanceRecord,
        *,
        session: Session | None = None,
    ) -> WriteResult:
        """Write one release. With ``session``, the write joins that session's
        transaction, which must already hold the write lock (:func:`lock_writes`), and
        commits or rolls back with it."""
        return self._run(provenance, lambda s, p: ReleaseWriter(s, p).upsert(record), session)

    def delete_release(
        self,
        source_key: str,
        provenance: ProvenanceRecord,
        *,
        session: Session | None = None,
    ) -> WriteResult:
        """Purge the sender's release with this natural key (``upc:...``, ``grid:...``);
        ``session`` as for :meth:`upsert_release`."""
        return self._run(provenance, lambda s, p: ReleaseWriter(s, p).delete(source_key), session)

    def upsert_show(self, record: ShowRecord, provenance: ProvenanceRecord) -> WriteResult:
        return self._run(provenance, lambda s, p: ShowWriter(s, p).upsert(record))

    def merge_artists(
        self, source_id: str, target_id: str, provenance: ProvenanceRecord
    ) -> WriteResult:
        """Merge artist ``source_id`` into ``target_id``; the source id then redirects."""
        return self._run(provenance, lambda s, p: ArtistMerger(s, p).merge(source_id, target_id))
