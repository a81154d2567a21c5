"""Fixtures for the in-process API suites.

``catalog`` is the examples and ``fixtures/catalog/*.json``, loaded once per session and
database (SQLite, then a PostgreSQL database of its own) and served by one app: for
read-only tests. Tests that write take ``database_url`` and get an empty catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from liner.config import Settings
from liner.kit.migrate import upgrade

from .support import (
    CATALOG_FIXTURES,
    EXAMPLES,
    ApiClient,
    Catalog,
    index_catalog,
    load_files,
    make_settings,
)


@pytest.fixture(scope="session")
def _catalog_database(_postgres_database: str) -> Iterator[str]:
    """A PostgreSQL database of the catalog's own, beside the one ``database_url`` empties."""
    name = f"{sa.engine.make_url(_postgres_database).database}_api"
    server = sa.create_engine(_postgres_database, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(_postgres_database).set(database=name)
        rendered = url.render_as_string(hide_password=False)
        upgrade(rendered)
        yield rendered
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        server.dispose()


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def catalog(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Catalog]:
    data_dir = tmp_path_factory.mktemp("catalog")
    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'liner.db'}"
        upgrade(url)
    else:
        url = request.getfixturevalue("_catalog_database")
    settings = make_settings(url, data_dir)
    outcomes = load_files(settings, [*EXAMPLES, *CATALOG_FIXTURES])
    client = ApiClient.for_settings(settings)
    try:
        loaded = Catalog(client=client, settings=settings)
        index_catalog(loaded, outcomes)
        yield loaded
    finally:
        client.close()


@pytest.fixture
def settings_for(database_url: str, tmp_path: Path) -> Callable[..., Settings]:
    """Settings over this test's empty database, with extra ``LINER_*`` values."""

    def make(**extra: str) -> Settings:
        return make_settings(database_url, tmp_path, **extra)

    return make


@pytest.fixture
def open_client() -> Iterator[Callable[[Settings], ApiClient]]:
    """Serve an app for some settings; every app is stopped at teardown."""
    clients: list[ApiClient] = []

    def make(settings: Settings) -> ApiClient:
        client = ApiClient.for_settings(settings)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
