"""DDEX deliveries: every message processed, the batches they came in, and which message
last spoke for each release id of each sender.

A message is recorded once per (sender, message id, file SHA-256): processing the same
file again finds its row and changes nothing. The row is written after the catalog
write it describes, so a crash in between is repaired by processing the file again
(the catalog write is idempotent).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from liner.models.base import Base, BigIntPk, JsonType, UtcDateTime, utcnow

ID = String(22)


class DeliveryBatch(Base):
    """A batch delivery folder, announced by its ``BatchComplete_<BatchId>.xml`` manifest."""

    __tablename__ = "ddex_batches"
    __table_args__ = (UniqueConstraint("sender", "batch_id", "manifest_sha256"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    public_id: Mapped[str] = mapped_column(ID, unique=True)
    sender: Mapped[str] = mapped_column(String(255), default="")
    """The manifest's MessageSender (as given; manifests often carry placeholders)."""
    batch_id: Mapped[str] = mapped_column(String(255))
    """The BatchId: the folder name, normally its creation timestamp."""
    folder: Mapped[str] = mapped_column(Text)
    manifest: Mapped[str] = mapped_column(Text)
    """The manifest file's path (empty for a zero-byte semaphore)."""
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    manifest_kind: Mapped[str] = mapped_column(String(32))
    """``echo`` (ECHO 1.2 ManifestMessage), ``ern-c`` (ERN choreography) or ``semaphore``."""
    stamp: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """The batch timestamp batches are processed in the order of."""
    expected_count: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    """``processing``, ``processed`` or ``invalid`` (the manifest and folder disagree)."""
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Delivery(Base):
    """One message processed, with what it did to the catalog.

    ``status`` is ``applied`` (it changed the catalog), ``unchanged`` (the catalog already
    said the same), ``superseded`` (a newer message about the same release had already
    been applied), ``skipped`` (nothing in it that a streaming catalog carries) or
    ``rejected`` (unusable: nothing of it was applied).
    """

    __tablename__ = "ddex_deliveries"
    __table_args__ = (
        UniqueConstraint("sender", "message_id", "file_sha256"),
        Index("ix_ddex_deliveries_sender_id", "sender", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    public_id: Mapped[str] = mapped_column(ID, unique=True)
    sender: Mapped[str] = mapped_column(String(255), default="")
    """The MessageSender DPID ("" when the file could not be read)."""
    message_id: Mapped[str] = mapped_column(String(255), default="")
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_path: Mapped[str | None] = mapped_column(Text)
    """Where the file was read from; null for a message posted over HTTP."""
    transport: Mapped[str] = mapped_column(String(16), default="folder")
    thread_id: Mapped[str | None] = mapped_column(String(255))
    ern_version: Mapped[str | None] = mapped_column(String(16))
    message_type: Mapped[str | None] = mapped_column(String(64))
    message_created_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    order_key: Mapped[str] = mapped_column(String(255), default="")
    """Breaks ties between messages created at the same instant: the delivery
    timestamp (batch or release folder), then the message id, then the file hash."""
    status: Mapped[str] = mapped_column(String(16))
    release_ids: Mapped[list[str]] = mapped_column(JsonType, default=list)
    """Public ids of the catalog releases the message spoke about."""
    source_keys: Mapped[list[str]] = mapped_column(JsonType, default=list)
    releases: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    """Per release: ``source_key``, ``id`` and ``result`` (created, updated, unchanged,
    stale, deleted, superseded, unknown, rejected)."""
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    """``{code, severity, message, location}``: ``error``, ``warning`` or ``info``."""
    assets: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    """What checking each referenced file found: ``verified``, ``present`` (no hash to
    check), ``missing``, ``corrupt``, ``remote``, ``unsafe`` or ``not_checked``."""
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ddex_batches.id"), index=True)
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DeliveryHead(Base):
    """The newest message applied for one release id of one sender, or a purge of it.

    Keys are ``upc:…``, ``grid:…``, ``catalog_number:…``, ``proprietary:<ns>:…`` and the
    catalog's source key. A message older than the head of any of its release's keys is
    superseded; a purge leaves a head so that an older delivery arriving late does not
    bring the release back.
    """

    __tablename__ = "ddex_release_heads"
    __table_args__ = (UniqueConstraint("sender", "key"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    sender: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(512))
    source_key: Mapped[str | None] = mapped_column(String(512))
    state: Mapped[str] = mapped_column(String(16))
    """``active`` or ``purged``."""
    message_created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    order_key: Mapped[str] = mapped_column(String(255))
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("ddex_deliveries.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
