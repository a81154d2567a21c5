"""index artist external ids by (namespace, value)

Artists are found again by a strong id (ISNI, IPI, a namespaced proprietary id); the
only index on those rows led with the artist, so each lookup read the whole table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 21:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_artist_external_ids_lookup", "artist_external_ids", ["namespace", "value"])


def downgrade() -> None:
    op.drop_index("ix_artist_external_ids_lookup", table_name="artist_external_ids")
