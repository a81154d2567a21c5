"""Fixtures for the DDEX ingestion suites: the corpus, and a runtime over each database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from liner.ingest.ddex.choreography import Choreographer
from liner.ingest.ddex.service import DdexIngester
from liner.runtime import Runtime

from .support import make_settings


@pytest.fixture(scope="session")
def corpus(shared_dir: Path) -> Path:
    folder = shared_dir / "corpus" / "ddex"
    if not folder.is_dir():
        pytest.skip("no DDEX corpus in ../shared")
    return folder


@pytest.fixture
def runtime(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    opened = Runtime.open(make_settings(database_url, tmp_path / "data"))
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def ingester(runtime: Runtime) -> DdexIngester:
    return DdexIngester(runtime)


@pytest.fixture
def choreographer(ingester: DdexIngester) -> Choreographer:
    return Choreographer(ingester)
