"""Catalog fixtures: an engine, sessions, the write service and the projector on the
migrated database that ``database_url`` gives (SQLite, then PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from liner.catalog.documents import Links
from liner.catalog.projector import Projector
from liner.catalog.service import CatalogService
from liner.kit.db import make_engine, make_sessionmaker

LINKS = Links("http://test")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def service(sessions: sessionmaker[Session]) -> CatalogService:
    return CatalogService(sessions)


@pytest.fixture
def projector(sessions: sessionmaker[Session]) -> Projector:
    return Projector(sessions, LINKS)
