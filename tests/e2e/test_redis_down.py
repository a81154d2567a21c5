"""A server whose Redis is unreachable keeps answering: reads come from SQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from .server import EXAMPLES, LinerServer

pytestmark = pytest.mark.e2e

CLOSED_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LinerServer]:
    started = LinerServer(tmp_path_factory.mktemp("e2e-redis-down"), LINER_REDIS_URL=CLOSED_REDIS)
    outcomes = started.ingest(*EXAMPLES)
    assert {o["status"] for o in outcomes} == {"created"}
    started.start()
    try:
        yield started
    finally:
        started.stop()


def test_health_and_readiness(server: LinerServer) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        ready = http.get("/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["status"] == "ready"
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["redis"].startswith("degraded")


def test_reads_are_served_from_sql(server: LinerServer) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        albums = http.get("/v1/albums", params={"upc": "842100000012"}).json()["albums"]
        assert [a["name"] for a in albums] == ["Northern Lights"]
        album_id = albums[0]["id"]
        track_ids = [t["id"] for t in albums[0]["tracks"]["items"]]
        for _ in range(3):
            for track_id in track_ids:
                response = http.get(f"/v1/tracks/{track_id}")
                assert response.status_code == 200
                assert response.json()["album"]["id"] == album_id
        relinked = http.get(f"/v1/tracks/{track_ids[0]}", params={"market": "SE"}).json()
        assert relinked["linked_from"]["id"] == track_ids[0]
        shows = http.get(
            "/v1/shows", params={"feed_url": "https://feeds.example.com/signal-and-noise.xml"}
        ).json()["shows"]
        assert [s["name"] for s in shows] == ["Signal & Noise"]
        assert http.get("/v1/tracks/" + "0" * 22).status_code == 404
        artist_id = albums[0]["artists"][0]["id"]
        page = http.get(f"/v1/artists/{artist_id}/albums").json()
        assert {a["name"] for a in page["items"]} == {"Northern Lights", "Polar Night"}


def test_writes_still_land_and_are_read_back(server: LinerServer, tmp_path: Path) -> None:
    key = server.create_key("ingest:releases")
    document = {
        "upc": "842100000203",
        "title": "Written Without Redis",
        "artists": [{"name": "Oda Brenn"}],
        "tracks": [{"title": "Offline", "duration_ms": 180000}],
    }
    with httpx.Client(base_url=server.url, timeout=10) as http:
        created = http.post(
            "/v1/ingest/releases",
            content=orjson.dumps(document),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        assert created.status_code == 201, created.text
        album = http.get(f"/v1/albums/{created.json()['id']}").json()
        assert album["name"] == "Written Without Redis"
