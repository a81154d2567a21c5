"""ddex deliveries, batches and release heads

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:00:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import liner.models.base

revision = "0002"
down_revision = "0001"
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
        "ddex_batches",
        sa.Column("id", _pk(), nullable=False),
        sa.Column("public_id", sa.String(length=22), nullable=False),
        sa.Column("sender", sa.String(length=255), nullable=False),
        sa.Column("batch_id", sa.String(length=255), nullable=False),
        sa.Column("folder", sa.Text(), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("manifest_kind", sa.String(length=32), nullable=False),
        sa.Column("stamp", _when(), nullable=True),
        sa.Column("expected_count", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("problems", _json(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("processed_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ddex_batches")),
        sa.UniqueConstraint("public_id", name=op.f("uq_ddex_batches_public_id")),
        sa.UniqueConstraint(
            "sender",
            "batch_id",
            "manifest_sha256",
            name=op.f("uq_ddex_batches_sender_batch_id_manifest_sha256"),
        ),
    )
    op.create_table(
        "ddex_deliveries",
        sa.Column("id", _pk(), nullable=False),
        sa.Column("public_id", sa.String(length=22), nullable=False),
        sa.Column("sender", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("transport", sa.String(length=16), nullable=False),
        sa.Column("thread_id", sa.String(length=255), nullable=True),
        sa.Column("ern_version", sa.String(length=16), nullable=True),
        sa.Column("message_type", sa.String(length=64), nullable=True),
        sa.Column("message_created_at", _when(), nullable=True),
        sa.Column("order_key", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("release_ids", _json(), nullable=False),
        sa.Column("source_keys", _json(), nullable=False),
        sa.Column("releases", _json(), nullable=False),
        sa.Column("problems", _json(), nullable=False),
        sa.Column("assets", _json(), nullable=False),
        sa.Column("batch_id", _pk(), nullable=True),
        sa.Column("processed_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["ddex_batches.id"],
            name=op.f("fk_ddex_deliveries_batch_id_ddex_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ddex_deliveries")),
        sa.UniqueConstraint("public_id", name=op.f("uq_ddex_deliveries_public_id")),
        sa.UniqueConstraint(
            "sender",
            "message_id",
            "file_sha256",
            name=op.f("uq_ddex_deliveries_sender_message_id_file_sha256"),
        ),
    )
    with op.batch_alter_table("ddex_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ddex_deliveries_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index("ix_ddex_deliveries_sender_id", ["sender", "id"], unique=False)

    op.create_table(
        "ddex_release_heads",
        sa.Column("id", _pk(), nullable=False),
        sa.Column("sender", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("source_key", sa.String(length=512), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("message_created_at", _when(), nullable=False),
        sa.Column("order_key", sa.String(length=255), nullable=False),
        sa.Column("delivery_id", _pk(), nullable=True),
        sa.Column("updated_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["ddex_deliveries.id"],
            name=op.f("fk_ddex_release_heads_delivery_id_ddex_deliveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ddex_release_heads")),
        sa.UniqueConstraint("sender", "key", name=op.f("uq_ddex_release_heads_sender_key")),
    )


def downgrade() -> None:
    op.drop_table("ddex_release_heads")
    with op.batch_alter_table("ddex_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_ddex_deliveries_sender_id")
        batch_op.drop_index(batch_op.f("ix_ddex_deliveries_batch_id"))
    op.drop_table("ddex_deliveries")
    op.drop_table("ddex_batches")
