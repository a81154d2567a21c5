"""Tables that are not catalog content: the outbox, the read model, API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from liner.models.base import Base, BigIntPk, JsonType, UtcDateTime, utcnow


class OutboxRow(Base):
    """One committed change to one entity, written in the same transaction as the change.

    Ids are allocated in commit order (writers serialise), so the outbox is the change
    feed: ``/v1/changes`` and the projector both read it in id order.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(16))
    public_id: Mapped[str] = mapped_column(String(22))
    revision: Mapped[int] = mapped_column(BigInteger)
    operation: Mapped[str] = mapped_column(String(16))
    """``upsert`` or ``delete``."""
    aggregate_type: Mapped[str] = mapped_column(String(16))
    aggregate_id: Mapped[int] = mapped_column(BigInteger)
    related: Mapped[dict[str, list[str]]] = mapped_column(JsonType, default=dict)
    """What else the projector must rebuild: ``artists`` (internal ids) whose discography
    changed, ``upcs`` and ``isrcs`` whose lookups changed."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReadDocument(Base):
    """A serving document, by key. ``body`` null is a tombstone (the key is gone).

    ``seq`` is the outbox position the document was built at; servers poll it to
    evict what changed from their in-process caches.
    """

    __tablename__ = "read_documents"
    __table_args__ = (Index("ix_read_documents_seq", "seq"),)

    key: Mapped[str] = mapped_column(String(1100), primary_key=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    seq: Mapped[int] = mapped_column(BigInteger)


class ProjectorState(Base):
    __tablename__ = "projector_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)


class ApiKey(Base):
    """An API key: only its SHA-256 is stored; the key itself is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    owner: Mapped[str] = mapped_column(String(255))
    """The sender the key writes as: a DPID for a label, an account for a creator."""
    scopes: Mapped[list[str]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
