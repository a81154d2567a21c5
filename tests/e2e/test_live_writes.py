"""Writes while the server runs become visible to reads within a second or two: through
the server's own POST, and through the CLI writing from another process."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from .conftest import Demo, latest_cursor
from .server import EXAMPLES

pytestmark = pytest.mark.e2e

VISIBLE_WITHIN = 2.0

SHOW: dict[str, Any] = {
    "title": "Live Wire",
    "guid": "6e0b0a52-95a5-5d0e-8f5e-2b7f1c3d4e5a",
    "publisher": "Liner E2E",
    "episodes": [
        {
            "guid": "lw-1",
            "title": "Wire one",
            "enclosure": {"url": "https://media.example.org/lw/1.mp3", "type": "audio/mpeg"},
            "published_at": "2025-01-06T07:00:00Z",
        }
    ],
}
RELEASE: dict[str, Any] = {
    "id": "LIVE-1",
    "upc": "842100000203",
    "title": "Live Current",
    "type": "single",
    "artists": [{"name": "Oda Brenn"}],
    "tracks": [{"title": "Live Current", "isrc": "QZES72500101", "duration_ms": 200000}],
}


def _wait(http: httpx.Client, url: str, done: Any) -> tuple[Any, float]:
    started = time.monotonic()
    while True:
        body = http.get(url).json()
        elapsed = time.monotonic() - started
        if done(body) or elapsed > VISIBLE_WITHIN * 3:
            return body, elapsed
        time.sleep(0.02)


def test_a_post_is_visible_to_reads(demo: Demo) -> None:
    key = demo.server.create_key("ingest:releases", "ingest:shows")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    http = demo.http
    lookup = f"/v1/shows?guid={SHOW['guid']}"
    assert http.get(lookup).json() == {"shows": []}
    created = http.post("/v1/ingest/shows", content=orjson.dumps(SHOW), headers=headers)
    assert created.status_code == 201, created.text
    show_id = created.json()["id"]
    body, elapsed = _wait(http, lookup, lambda b: b["shows"] != [])
    assert [s["id"] for s in body["shows"]] == [show_id]
    assert elapsed < VISIBLE_WITHIN

    url = f"/v1/shows/{show_id}"
    assert http.get(url).json()["total_episodes"] == 1
    assert http.get(url).json()["total_episodes"] == 1
    updated_show = {**SHOW, "title": "Live Wire, renamed"}
    updated_show["episodes"] = [
        *SHOW["episodes"],
        {
            "guid": "lw-2",
            "title": "Wire two",
            "enclosure": {"url": "https://media.example.org/lw/2.mp3", "type": "audio/mpeg"},
            "published_at": "2025-01-13T07:00:00Z",
        },
    ]
    response = http.post("/v1/ingest/shows", content=orjson.dumps(updated_show), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "updated"
    body, elapsed = _wait(http, url, lambda b: b["name"] != "Live Wire")
    assert body["name"] == "Live Wire, renamed"
    assert [e["name"] for e in body["episodes"]["items"]] == ["Wire two", "Wire one"]
    assert elapsed < VISIBLE_WITHIN

    album_id = None
    for title in ("Live Current", "Live Current (Radio Edit)"):
        release = {**RELEASE, "title": title}
        response = http.post("/v1/ingest/releases", content=orjson.dumps(release), headers=headers)
        assert response.status_code in (200, 201), response.text
        album_id = response.json()["id"]
        body, elapsed = _wait(http, f"/v1/albums/{album_id}", lambda b, t=title: b["name"] == t)
        assert body["name"] == title
        assert elapsed < VISIBLE_WITHIN


def test_a_write_from_another_process_is_visible(demo: Demo, tmp_path: Path) -> None:
    http = demo.http
    cursor = latest_cursor(demo)
    album_id = demo.albums["Harbour Lights"]
    url = f"/v1/albums/{album_id}"
    before = http.get(url)
    assert before.json()["name"] == "Harbour Lights"
    etag = before.headers["etag"]
    assert http.get(url, headers={"If-None-Match": etag}).status_code == 304
    document = orjson.loads(next(p for p in EXAMPLES if "harbour" in p.name).read_bytes())
    document["title"] = "Harbour Lights (Remastered)"
    changed = tmp_path / "harbour.json"
    changed.write_bytes(orjson.dumps(document))
    (outcome,) = demo.server.ingest(changed)
    assert outcome["status"] == "updated"
    assert outcome["id"] == album_id
    body, elapsed = _wait(http, url, lambda b: b["name"] != "Harbour Lights")
    assert body["name"] == "Harbour Lights (Remastered)"
    assert elapsed < VISIBLE_WITHIN
    assert http.get(url, headers={"If-None-Match": etag}).status_code == 200
    changes = http.get(f"/v1/changes?since={cursor}").json()["changes"]
    assert {"type": "album", "id": album_id, "operation": "upsert"} in [
        {k: c[k] for k in ("type", "id", "operation")} for c in changes
    ]
