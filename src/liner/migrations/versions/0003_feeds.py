"""podcast feeds and their fetch history

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import liner.models.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _pk() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _when() -> liner.models.base.UtcDateTime:
    return liner.models.base.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", _pk(), nullable=False),
        sa.Column("public_id", sa.String(length=22), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("show_id", sa.String(length=22), nullable=True),
        sa.Column("show_key", sa.String(length=1024), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("moved_to", sa.Text(), nullable=True),
        sa.Column("previous_urls", _json(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("last_fetch_at", _when(), nullable=True),
        sa.Column("last_success_at", _when(), nullable=True),
        sa.Column("last_outcome", sa.String(length=16), nullable=True),
        sa.Column("last_http_status", sa.Integer(), nullable=True),
        sa.Column("next_fetch_at", _when(), nullable=True),
        sa.Column("consecutive_errors", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("last_error_code", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", _when(), nullable=True),
        sa.Column("retry_after_s", sa.Integer(), nullable=True),
        sa.Column("last_problems", _json(), nullable=False),
        sa.Column("publish_interval_s", sa.Integer(), nullable=True),
        sa.Column("new_feed_url_checked", sa.Text(), nullable=True),
        sa.Column("last_added", sa.Integer(), nullable=False),
        sa.Column("last_updated", sa.Integer(), nullable=False),
        sa.Column("last_removed", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", _when(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feeds")),
        sa.UniqueConstraint("public_id", name=op.f("uq_feeds_public_id")),
        sa.UniqueConstraint("url_hash", name=op.f("uq_feeds_url_hash")),
    )
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.create_index("ix_feeds_due", ["next_fetch_at"], unique=False)
        batch_op.create_index("ix_feeds_owner_id", ["owner", "id"], unique=False)

    op.create_table(
        "feed_fetches",
        sa.Column("id", _pk(), nullable=False),
        sa.Column("feed_id", _pk(), nullable=False),
        sa.Column("started_at", _when(), nullable=False),
        sa.Column("elapsed_ms", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("body_bytes", sa.Integer(), nullable=True),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["feeds.id"],
            name=op.f("fk_feed_fetches_feed_id_feeds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_fetches")),
    )
    with op.batch_alter_table("feed_fetches", schema=None) as batch_op:
        batch_op.create_index("ix_feed_fetches_feed_id_id", ["feed_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feed_fetches", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_fetches_feed_id_id")
    op.drop_table("feed_fetches")
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.drop_index("ix_feeds_owner_id")
        batch_op.drop_index("ix_feeds_due")
    op.drop_table("feeds")
