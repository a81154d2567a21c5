"""HTTP semantics on the real server (``liner serve`` on granian): conditional GET,
HEAD, methods, body and URI limits, and the error object for bad input."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from .conftest import Demo

pytestmark = pytest.mark.e2e


def _album_path(demo: Demo) -> str:
    return f"/v1/albums/{demo.albums['Northern Lights']}"


def test_etag_and_if_none_match(demo: Demo) -> None:
    first = demo.http.get(_album_path(demo))
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert first.headers["cache-control"].startswith("public")
    again = demo.http.get(_album_path(demo), headers={"If-None-Match": f'W/{etag}, "other"'})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    other = demo.http.get(_album_path(demo), headers={"If-None-Match": '"stale"'})
    assert other.status_code == 200
    assert other.content == first.content


def test_head_has_the_headers_and_no_body(demo: Demo) -> None:
    full = demo.http.get(_album_path(demo))
    head = demo.http.head(_album_path(demo))
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == full.headers["etag"]
    assert int(head.headers["content-length"]) == len(full.content)


def test_methods_and_paths(demo: Demo) -> None:
    assert demo.http.post(_album_path(demo)).status_code == 405
    assert demo.http.get("/v1/ingest/releases").status_code == 405
    missing = demo.http.get("/v1/nothing/here")
    assert missing.status_code == 404
    assert missing.json()["error"]["status"] == 404
    assert demo.http.get("/v1/albums/not-an-id").json()["error"]["status"] == 400


def test_an_oversized_body_is_413(demo: Demo) -> None:
    big = b"{" + b" " * (9 * 1024 * 1024) + b"}"
    response = demo.http.post(
        "/v1/ingest/releases",
        content=big,
        headers={"Content-Type": "application/json", "Authorization": "Bearer x"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["status"] == 413


def test_a_write_refused_before_its_body_is_read_closes_the_connection(demo: Demo) -> None:
    """The refused body is still on the connection: the response says the connection
    closes, so a keep-alive client opens a new one instead of racing the close."""
    document = b'{"title": "' + b"x" * 200_000 + b'"}'
    for _ in range(20):
        refused = demo.http.post(
            "/v1/ingest/releases", content=document, headers={"Content-Type": "application/json"}
        )
        assert refused.status_code == 401
        assert refused.headers["connection"] == "close"
        following = demo.http.get(_album_path(demo))
        assert following.status_code == 200
        assert "close" not in following.headers.get("connection", "")


def test_a_long_uri_is_414(demo: Demo) -> None:
    response = demo.http.get("/v1/tracks?ids=" + "a" * 9000)
    assert response.status_code == 414


def test_a_query_that_is_not_utf8_is_an_error_not_a_crash(demo: Demo) -> None:
    parts = urlsplit(demo.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as connection:
        connection.sendall(
            b"GET /v1/tracks?ids=%ff%fe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert status == 400
    assert demo.http.get("/healthz").status_code == 200
