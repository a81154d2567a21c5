"""/healthz, /readyz (with and without Redis), /metrics, /openapi.json and /docs."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from liner.config import Settings
from liner.kit.migrate import upgrade
from liner.runtime import Runtime

from .support import (
    BASE_URL,
    EXAMPLES,
    NORTHERN_LIGHTS,
    ApiClient,
    load_files,
    make_settings,
)

CLOSED_REDIS = "redis://127.0.0.1:1/0"
SERVED_PATHS = {
    "/v1/tracks/{id}",
    "/v1/tracks",
    "/v1/albums/{id}",
    "/v1/albums",
    "/v1/albums/{id}/tracks",
    "/v1/artists/{id}",
    "/v1/artists",
    "/v1/artists/{id}/albums",
    "/v1/shows/{id}",
    "/v1/shows",
    "/v1/shows/{id}/episodes",
    "/v1/episodes/{id}",
    "/v1/episodes",
    "/v1/markets",
    "/v1/changes",
    "/v1/ingest/releases",
    "/v1/ingest/shows",
    "/v1/ingest/ddex",
    "/v1/deliveries",
    "/v1/deliveries/{id}",
    "/v1/ingest/feeds",
    "/v1/feeds",
    "/v1/feeds/{id}",
}


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """For what does not depend on storage: one migrated SQLite catalog."""
    url = f"sqlite:///{tmp_path / 'liner.db'}"
    upgrade(url)
    return make_settings(url, tmp_path)


def test_healthz(sqlite_settings: Settings, open_client: Callable[[Settings], ApiClient]) -> None:
    client = open_client(sqlite_settings)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers


def test_readyz_checks_the_database(
    settings_for: Callable[..., Settings], open_client: Callable[[Settings], ApiClient]
) -> None:
    client = open_client(settings_for())
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}
    assert response.headers["cache-control"] == "no-store"


def test_redis_down_degrades_readiness_and_reads_come_from_sql(
    settings_for: Callable[..., Settings], open_client: Callable[[Settings], ApiClient]
) -> None:
    outcomes = load_files(settings_for(), EXAMPLES)
    client = open_client(settings_for(LINER_REDIS_URL=CLOSED_REDIS))
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("degraded")
    assert client.get("/healthz").status_code == 200
    album_id = next(o["id"] for o in outcomes if "northern" in o["file"])
    album = client.json(f"/v1/albums/{album_id}")
    assert album["name"] == "Northern Lights"
    tracks = client.json("/v1/tracks?isrc=QZES72400001&market=SE")["tracks"]
    assert len(tracks) == 2
    assert client.json(f"/v1/albums?upc={NORTHERN_LIGHTS}")["albums"][0]["id"] == album_id
    client.error("GET", "/v1/albums/" + "5" * 22, 404)


@pytest.mark.redis
def test_reads_go_through_redis_when_it_is_up(
    settings_for: Callable[..., Settings],
    open_client: Callable[[Settings], ApiClient],
    redis_client: redis.Redis,
    redis_prefix: str,
) -> None:
    outcomes = load_files(settings_for(), EXAMPLES)
    settings = settings_for(LINER_REDIS_URL=_redis_url(redis_client))

    def runtime() -> Runtime:
        opened = Runtime.open(settings)
        assert opened.redis_store is not None
        opened.redis_store.prefix = redis_prefix
        return opened

    client = ApiClient.for_settings(settings, runtime)
    try:
        assert client.get("/readyz").json() == {
            "status": "ready",
            "checks": {"database": "ok", "redis": "ok"},
        }
        album_id = next(o["id"] for o in outcomes if "northern" in o["file"])
        mirrored = f"{redis_prefix}doc:album:{album_id}"
        deadline = time.monotonic() + 5
        while redis_client.get(mirrored) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert redis_client.get(mirrored) is not None
        artist_id = client.json(f"/v1/albums/{album_id}")["artists"][0]["id"]
        key = f"{redis_prefix}doc:artist:{artist_id}"
        stored = orjson.loads(redis_client.get(key) or b"null")
        document = orjson.loads(stored["b"])
        document["name"] = "Served from Redis"
        redis_client.set(key, orjson.dumps({"k": "artist", "b": orjson.dumps(document).decode()}))
        assert client.json(f"/v1/artists/{artist_id}")["name"] == "Served from Redis"
        show_id = next(o["id"] for o in outcomes if o["type"] == "show")
        redis_client.delete(f"{redis_prefix}doc:show:{show_id}")
        assert client.json(f"/v1/shows/{show_id}")["name"] == "Signal & Noise"
    finally:
        client.close()


def _redis_url(client: redis.Redis) -> str:
    kwargs = client.connection_pool.connection_kwargs
    host, port, db = kwargs.get("host", "127.0.0.1"), kwargs.get("port", 6379), kwargs.get("db", 0)
    return f"redis://{host}:{port}/{db}"


def _samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (sample.name, dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def test_metrics_count_requests_by_route(
    sqlite_settings: Settings, open_client: Callable[[Settings], ApiClient]
) -> None:
    load_files(sqlite_settings, EXAMPLES)
    client = open_client(sqlite_settings)
    album_id = client.json(f"/v1/albums?upc={NORTHERN_LIGHTS}")["albums"][0]["id"]
    for _ in range(3):
        client.json(f"/v1/albums/{album_id}")
    client.error("GET", "/v1/albums/" + "6" * 22, 404)
    client.error("GET", "/v1/albums/nope", 400)
    client.error("GET", "/nowhere/" + album_id, 404)
    client.error("POST", "/v1/ingest/releases", 401, content=b"{}")
    client.error("DELETE", "/v1/markets", 405)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert response.headers["cache-control"] == "no-store"
    text = response.text
    assert album_id not in text
    samples = _samples(text)
    counts = {
        (labels["route"], labels["method"], labels["status"]): value
        for name, labels, value in samples
        if name == "liner_http_requests_total"
    }
    assert counts[("/v1/albums/{id}", "GET", "200")] == 3
    assert counts[("/v1/albums/{id}", "GET", "404")] == 1
    assert counts[("/v1/albums/{id}", "GET", "400")] == 1
    assert counts[("/v1/albums", "GET", "200")] == 1
    assert counts[("unmatched", "GET", "404")] == 1
    assert counts[("/v1/ingest/releases", "POST", "401")] == 1
    assert counts[("/v1/markets", "DELETE", "405")] == 1
    latency = {
        (name, labels["route"], labels.get("le")): value
        for name, labels, value in samples
        if name.startswith("liner_http_request_duration_seconds")
    }
    assert latency[("liner_http_request_duration_seconds_count", "/v1/albums/{id}", None)] == 5
    assert latency[("liner_http_request_duration_seconds_bucket", "/v1/albums/{id}", "+Inf")] == 5
    buckets = sorted(
        (float(le), value)
        for (name, route, le), value in latency.items()
        if name.endswith("_bucket") and route == "/v1/albums/{id}" and le != "+Inf"
    )
    assert len(buckets) >= 10
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)
    assert latency[("liner_http_request_duration_seconds_sum", "/v1/albums/{id}", None)] > 0
    again = _samples(client.get("/metrics").text)
    assert (
        "liner_http_requests_total",
        {"route": "/metrics", "method": "GET", "status": "200"},
        1.0,
    ) in again


def test_openapi_document(
    sqlite_settings: Settings, open_client: Callable[[Settings], ApiClient]
) -> None:
    client = open_client(sqlite_settings)
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    spec: dict[str, Any] = response.json()
    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["title"]
    assert spec["servers"] == [{"url": BASE_URL}]
    assert set(spec["paths"]) == SERVED_PATHS
    schemas = spec["components"]["schemas"]
    for name in (
        "TrackObject",
        "SimplifiedTrackObject",
        "AlbumObject",
        "SimplifiedAlbumObject",
        "ArtistObject",
        "ShowObject",
        "EpisodeObject",
        "PagingSimplifiedTrackObject",
        "ErrorObject",
    ):
        assert name in schemas
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation["summary"], (path, method)
            responses = operation["responses"]
            if method == "get":
                assert "200" in responses
                assert "400" in responses
                for parameter in operation["parameters"]:
                    if parameter["in"] == "path":
                        assert "{" + parameter["name"] + "}" in path
            else:
                assert operation["security"] == [{"apiKey": [f"ingest:{path.rsplit('/', 1)[1]}"]}]
                assert {"201", "401", "403", "422"} <= set(responses)
    refs = _refs(spec)
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in schemas, ref


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def test_docs_page(sqlite_settings: Settings, open_client: Callable[[Settings], ApiClient]) -> None:
    client = open_client(sqlite_settings)
    for path in ("/docs", "/"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        page = response.text
        assert page.startswith("<!doctype html>")
        assert '<a href="/openapi.json">' in page
        for served in SERVED_PATHS:
            assert f"<code>{served}</code>" in page or f">{served}</a>" in page, served
        assert '<a href="/v1/markets">' in page
