"""Podcast feeds Liner follows, and a short history of what each fetch found.

A feed row is registered once per URL (``liner ingest feed``, ``POST /v1/ingest/feeds``
or a file) and belongs to the account that registered it: its episodes are written as
that account. The scheduler claims due rows with a lease (``claimed_by`` and
``claimed_until``) so that several workers never sync the same feed at once and a
crashed worker's claims simply expire. Everything a sync learns (validators, content
hash, counts, errors) is written after the catalog write it describes, so a crash in
between only makes the next sync repeat an idempotent write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from liner.models.base import Base, BigIntPk, JsonType, UtcDateTime, utcnow

ID = String(22)


class Feed(Base):
    """One feed URL (or imported file) and its health.

    ``status`` is ``active`` (the last fetch worked), ``erroring`` (the last fetches
    failed; retried with backoff), ``dead`` (failed for a long time; checked rarely) or
    ``moved`` (it now lives at a URL another feed row follows; no longer polled).
    """

    __tablename__ = "feeds"
    __table_args__ = (
        Index("ix_feeds_due", "next_fetch_at"),
        Index("ix_feeds_owner_id", "owner", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    public_id: Mapped[str] = mapped_column(ID, unique=True)
    url: Mapped[str] = mapped_column(Text)
    """Where the feed is fetched from now (after permanent moves); ``file://`` for files."""
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of ``url``: one row per URL, whoever registered it."""
    kind: Mapped[str] = mapped_column(String(8), default="http")
    """``http`` (polled) or ``file`` (synced when given again, never polled)."""
    owner: Mapped[str] = mapped_column(String(255))
    """The API key owner (or CLI ``--owner``) who registered it; the show's writer."""
    show_id: Mapped[str | None] = mapped_column(ID)
    """Public id of the show the feed writes."""
    show_key: Mapped[str | None] = mapped_column(String(1024))
    """The show's natural key once known, kept across moves of the feed."""
    status: Mapped[str] = mapped_column(String(16), default="active")
    moved_to: Mapped[str | None] = mapped_column(Text)
    previous_urls: Mapped[list[str]] = mapped_column(JsonType, default=list)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of the last body that was stored; the same body again is not parsed."""
    last_fetch_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_outcome: Mapped[str | None] = mapped_column(String(16))
    """``created``, ``updated``, ``unchanged``, ``not_modified`` or ``error``."""
    last_http_status: Mapped[int | None] = mapped_column(Integer)
    next_fetch_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """When the scheduler should fetch it next; null for files."""
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    """Failed syncs since the feed was registered."""
    last_error_code: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    retry_after_s: Mapped[int | None] = mapped_column(Integer)
    """The last ``Retry-After`` the server asked for, in seconds."""
    last_problems: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    """What the last parse reported: ``{code, severity, message, location}``."""
    publish_interval_s: Mapped[int | None] = mapped_column(Integer)
    """The typical gap between episodes, estimated from their publication dates."""
    new_feed_url_checked: Mapped[str | None] = mapped_column(Text)
    """The last ``itunes:new-feed-url`` that was checked (and not confirmed)."""
    last_added: Mapped[int] = mapped_column(Integer, default=0)
    last_updated: Mapped[int] = mapped_column(Integer, default=0)
    last_removed: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class FeedFetch(Base):
    """One sync of a feed: what the server answered and what it did to the catalog.
    Only the newest few per feed are kept."""

    __tablename__ = "feed_fetches"
    __table_args__ = (Index("ix_feed_fetches_feed_id_id", "feed_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    elapsed_ms: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int | None] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text)
    body_bytes: Mapped[int | None] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
