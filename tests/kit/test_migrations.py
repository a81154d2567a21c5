"""The migration history builds exactly the schema the models describe, on SQLite and
on PostgreSQL: a model change without its migration (or the reverse) fails here."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import liner.models  # noqa: F401  (registers every table on Base.metadata)
from liner.models.base import Base


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_strong_artist_ids_are_looked_up_by_an_index(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        indexes = sa.inspect(engine).get_indexes("artist_external_ids")
    finally:
        engine.dispose()
    assert any(i["column_names"] == ["namespace", "value"] for i in indexes)
