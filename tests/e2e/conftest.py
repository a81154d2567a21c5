"""The demo catalog served by a real ``liner serve`` process, shared by the e2e suites."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from .server import EXAMPLES, LinerServer


@dataclass
class Demo:
    server: LinerServer
    http: httpx.Client
    outcomes: list[dict[str, Any]]
    albums: dict[str, str] = field(default_factory=dict)
    """Album ids by name."""
    shows: dict[str, str] = field(default_factory=dict)
    """Show ids by name."""

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    server = LinerServer(tmp_path_factory.mktemp("e2e-demo"))
    outcomes = server.ingest(*EXAMPLES)
    assert [o["status"] for o in outcomes] == ["created"] * len(EXAMPLES), outcomes
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            loaded = Demo(server=server, http=http, outcomes=outcomes)
            for outcome in outcomes:
                kind = "albums" if outcome["type"] == "album" else "shows"
                document = http.get(f"/v1/{kind}/{outcome['id']}").json()
                getattr(loaded, kind)[document["name"]] = document["id"]
            yield loaded
    finally:
        server.stop()


def latest_cursor(demo: Demo) -> str:
    """The cursor after the newest change."""
    cursor = "0"
    while True:
        page = demo.http.get(f"/v1/changes?since={cursor}&limit=50").json()
        if not page["changes"]:
            return cursor
        cursor = page["next_cursor"]
