"""catalog, outbox, read model and api keys

Revision ID: 0001
Revises:
Create Date: 2026-11-24 15:39:42.289503
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import liner.models.base

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column(
            "scopes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", liner.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", liner.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_prefix"), ["prefix"], unique=False)

    op.create_table(
        "id_redirects",
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("from_public_id", sa.String(length=22), nullable=False),
        sa.Column("to_public_id", sa.String(length=22), nullable=False),
        sa.Column("created_at", liner.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entity_type", "from_public_id", name=op.f("pk_id_redirects")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("public_id", sa.String(length=22), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("aggregate_type", sa.String(length=16), nullable=False),
        sa.Column("aggregate_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "related",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", liner.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_table(
        "projector_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_projector_state")),
    )
    op.create_table(
        "provenance",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sender", sa.String(length=255), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column(
            "message_created_at", liner.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("received_at", liner.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provenance")),
    )
    with op.batch_alter_table("provenance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_provenance_sender"), ["sender"], unique=False)

    op.create_table(
        "read_documents",
        sa.Column("key", sa.String(length=1100), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_read_documents")),
    )
    with op.batch_alter_table("read_documents", schema=None) as batch_op:
        batch_op.create_index("ix_read_documents_seq", ["seq"], unique=False)

    op.create_table(
        "relink_groups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relink_groups")),
        sa.UniqueConstraint("key", name=op.f("uq_relink_groups_key")),
    )
    op.create_table(
        "artists",
        sa.Column("match_key", sa.String(length=512), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "genres",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "images",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("public_id", sa.String(length=22), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "provenance_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", liner.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", liner.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provenance_id"], ["provenance.id"], name=op.f("fk_artists_provenance_id_provenance")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artists")),
        sa.UniqueConstraint("match_key", name=op.f("uq_artists_match_key")),
        sa.UniqueConstraint("public_id", name=op.f("uq_artists_public_id")),
    )
    op.create_table(
        "releases",
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("source_key", sa.String(length=512), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("release_type", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("version_title", sa.Text(), nullable=True),
        sa.Column("upc", sa.String(length=14), nullable=True),
        sa.Column("grid", sa.String(length=18), nullable=True),
        sa.Column("catalog_number", sa.String(length=128), nullable=True),
        sa.Column("display_artist", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("p_line", sa.Text(), nullable=True),
        sa.Column("c_line", sa.Text(), nullable=True),
        sa.Column("release_date", sa.String(length=10), nullable=True),
        sa.Column("release_date_precision", sa.String(length=5), nullable=True),
        sa.Column("original_release_date", sa.String(length=10), nullable=True),
        sa.Column("original_release_date_precision", sa.String(length=5), nullable=True),
        sa.Column(
            "genres",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("parental_warning", sa.String(length=32), nullable=True),
        sa.Column(
            "images",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "message_created_at", liner.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "availability_changes_at", liner.models.base.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("public_id", sa.String(length=22), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "provenance_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", liner.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", liner.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provenance_id"], ["provenance.id"], name=op.f("fk_releases_provenance_id_provenance")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint("owner", "source_key", name=op.f("uq_releases_owner_source_key")),
        sa.UniqueConstraint("public_id", name=op.f("uq_releases_public_id")),
    )
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_releases_availability_changes_at"),
            ["availability_changes_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_releases_grid"), ["grid"], unique=False)
        batch_op.create_index(batch_op.f("ix_releases_upc"), ["upc"], unique=False)

    op.create_table(
        "shows",
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("source_key", sa.String(length=1024), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("feed_url", sa.Text(), nullable=True),
        sa.Column("feed_url_hash", sa.String(length=64), nullable=True),
        sa.Column("podcast_guid", sa.String(length=64), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("publisher", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("html_description", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column(
            "categories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("explicit", sa.Boolean(), nullable=False),
        sa.Column("show_type", sa.String(length=16), nullable=False),
        sa.Column("media_type", sa.String(length=16), nullable=False),
        sa.Column(
            "images",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column(
            "territories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "message_created_at", liner.models.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("public_id", sa.String(length=22), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "provenance_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", liner.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", liner.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provenance_id"], ["provenance.id"], name=op.f("fk_shows_provenance_id_provenance")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shows")),
        sa.UniqueConstraint("public_id", name=op.f("uq_shows_public_id")),
        sa.UniqueConstraint("source_key", name=op.f("uq_shows_source_key")),
    )
    with op.batch_alter_table("shows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shows_feed_url_hash"), ["feed_url_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_shows_podcast_guid"), ["podcast_guid"], unique=False)

    op.create_table(
        "artist_external_ids",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "artist_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("namespace", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["artist_id"],
            ["artists.id"],
            name=op.f("fk_artist_external_ids_artist_id_artists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artist_external_ids")),
        sa.UniqueConstraint(
            "artist_id",
            "namespace",
            "value",
            name=op.f("uq_artist_external_ids_artist_id_namespace_value"),
        ),
    )
    op.create_table(
        "artist_names",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "artist_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("language_script", sa.String(length=35), nullable=True),
        sa.ForeignKeyConstraint(
            ["artist_id"],
            ["artists.id"],
            name=op.f("fk_artist_names_artist_id_artists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artist_names")),
    )
    op.create_table(
        "episodes",
        sa.Column("show_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("episode_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("guid", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("html_description", sa.Text(), nullable=False),
        sa.Column("enclosure_url", sa.Text(), nullable=True),
        sa.Column("enclosure_type", sa.String(length=128), nullable=True),
        sa.Column("enclosure_length", sa.BigInteger(), nullable=True),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("published_at", liner.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("season", sa.Integer(), nullable=True),
        sa.Column("episode_number", sa.Integer(), nullable=True),
        sa.Column("episode_type", sa.String(length=16), nullable=False),
        sa.Column("explicit", sa.Boolean(), nullable=False),
        sa.Column(
            "images",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("chapters_url", sa.Text(), nullable=True),
        sa.Column(
            "transcripts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("public_id", sa.String(length=22), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "provenance_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", liner.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", liner.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provenance_id"], ["provenance.id"], name=op.f("fk_episodes_provenance_id_provenance")
        ),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_episodes_show_id_shows"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episodes")),
        sa.UniqueConstraint("public_id", name=op.f("uq_episodes_public_id")),
        sa.UniqueConstraint("show_id", "episode_key", name=op.f("uq_episodes_show_id_episode_key")),
    )
    op.create_table(
        "release_external_ids",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "release_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("namespace", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_release_external_ids_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_external_ids")),
        sa.UniqueConstraint(
            "release_id",
            "namespace",
            "value",
            name=op.f("uq_release_external_ids_release_id_namespace_value"),
        ),
    )
    with op.batch_alter_table("release_external_ids", schema=None) as batch_op:
        batch_op.create_index(
            "ix_release_external_ids_lookup", ["namespace", "value"], unique=False
        )

    op.create_table(
        "tracks",
        sa.Column(
            "release_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("track_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("disc_number", sa.Integer(), nullable=False),
        sa.Column("track_number", sa.Integer(), nullable=False),
        sa.Column("isrc", sa.String(length=12), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("version_title", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("explicit", sa.Boolean(), nullable=False),
        sa.Column("display_artist", sa.Text(), nullable=False),
        sa.Column("preview_url", sa.Text(), nullable=True),
        sa.Column(
            "genres",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("source_ref", sa.String(length=255), nullable=True),
        sa.Column(
            "relink_group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("public_id", sa.String(length=22), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "provenance_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", liner.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", liner.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provenance_id"], ["provenance.id"], name=op.f("fk_tracks_provenance_id_provenance")
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_tracks_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["relink_group_id"],
            ["relink_groups.id"],
            name=op.f("fk_tracks_relink_group_id_relink_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracks")),
        sa.UniqueConstraint("public_id", name=op.f("uq_tracks_public_id")),
        sa.UniqueConstraint("release_id", "track_key", name=op.f("uq_tracks_release_id_track_key")),
    )
    with op.batch_alter_table("tracks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracks_isrc"), ["isrc"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tracks_relink_group_id"), ["relink_group_id"], unique=False
        )

    op.create_table(
        "artist_credits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "release_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("track_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "artist_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("credited_name", sa.Text(), nullable=False),
        sa.Column("join_phrase", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["artist_id"], ["artists.id"], name=op.f("fk_artist_credits_artist_id_artists")
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_artist_credits_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_artist_credits_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artist_credits")),
    )
    with op.batch_alter_table("artist_credits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_artist_credits_artist_id"), ["artist_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_artist_credits_release_id"), ["release_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_artist_credits_track_id"), ["track_id"], unique=False)

    op.create_table(
        "assets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "release_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("track_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("hash_algorithm", sa.String(length=16), nullable=True),
        sa.Column("hash_value", sa.String(length=128), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("check_status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_assets_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"], ["tracks.id"], name=op.f("fk_assets_track_id_tracks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assets_release_id"), ["release_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assets_track_id"), ["track_id"], unique=False)

    op.create_table(
        "availability",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "release_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("track_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "territories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "excluded_territories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("start_at", liner.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("end_at", liner.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "commercial_models",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "use_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("takedown", sa.Boolean(), nullable=False),
        sa.Column("preorder_start_at", liner.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_availability_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_availability_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability")),
    )
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_availability_release_id"), ["release_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_availability_track_id"), ["track_id"], unique=False)

    op.create_table(
        "track_contributors",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("track_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "artist_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("user_defined_role", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["artist_id"], ["artists.id"], name=op.f("fk_track_contributors_artist_id_artists")
        ),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_track_contributors_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_track_contributors")),
    )
    with op.batch_alter_table("track_contributors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_track_contributors_artist_id"), ["artist_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_track_contributors_track_id"), ["track_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("track_contributors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_track_contributors_track_id"))
        batch_op.drop_index(batch_op.f("ix_track_contributors_artist_id"))

    op.drop_table("track_contributors")
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_availability_track_id"))
        batch_op.drop_index(batch_op.f("ix_availability_release_id"))

    op.drop_table("availability")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assets_track_id"))
        batch_op.drop_index(batch_op.f("ix_assets_release_id"))

    op.drop_table("assets")
    with op.batch_alter_table("artist_credits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_artist_credits_track_id"))
        batch_op.drop_index(batch_op.f("ix_artist_credits_release_id"))
        batch_op.drop_index(batch_op.f("ix_artist_credits_artist_id"))

    op.drop_table("artist_credits")
    with op.batch_alter_table("tracks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracks_relink_group_id"))
        batch_op.drop_index(batch_op.f("ix_tracks_isrc"))

    op.drop_table("tracks")
    with op.batch_alter_table("release_external_ids", schema=None) as batch_op:
        batch_op.drop_index("ix_release_external_ids_lookup")

    op.drop_table("release_external_ids")
    op.drop_table("episodes")
    op.drop_table("artist_names")
    op.drop_table("artist_external_ids")
    with op.batch_alter_table("shows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shows_podcast_guid"))
        batch_op.drop_index(batch_op.f("ix_shows_feed_url_hash"))

    op.drop_table("shows")
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_releases_upc"))
        batch_op.drop_index(batch_op.f("ix_releases_grid"))
        batch_op.drop_index(batch_op.f("ix_releases_availability_changes_at"))

    op.drop_table("releases")
    op.drop_table("artists")
    op.drop_table("relink_groups")
    with op.batch_alter_table("read_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_read_documents_seq")

    op.drop_table("read_documents")
    with op.batch_alter_table("provenance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provenance_sender"))

    op.drop_table("provenance")
    op.drop_table("projector_state")
    op.drop_table("outbox")
    op.drop_table("id_redirects")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_prefix"))

    op.drop_table("api_keys")
