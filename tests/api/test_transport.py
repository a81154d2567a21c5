"""The application at the ASGI level: bodies that end early and odd methods."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson

from liner.api.app import LinerApp
from liner.config import Settings
from liner.runtime import Runtime

from .support import ApiClient, make_key


def _call(app: LinerApp, scope: dict[str, Any], messages: list[dict[str, Any]]) -> list[Any]:
    sent: list[Any] = []
    queue = list(messages)

    async def receive() -> dict[str, Any]:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def _release_post(key: str, content_length: bytes) -> dict[str, Any]:
    """The ASGI scope of a ``POST /v1/ingest/releases`` with this key and declared length."""
    return {
        "type": "http",
        "method": "POST",
        "path": "/v1/ingest/releases",
        "raw_path": b"/v1/ingest/releases",
        "query_string": b"",
        "headers": [
            (b"authorization", f"Bearer {key}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", content_length),
        ],
    }


def test_a_body_cut_short_by_a_disconnect_is_not_applied(
    settings_for: Callable[..., Settings], open_client: Callable[[Settings], ApiClient]
) -> None:
    settings = settings_for()
    key = make_key(settings, "ingest:releases")
    document = orjson.dumps(
        {"id": "CUT-1", "title": "Cut", "artists": [{"name": "Ada"}], "tracks": [{"title": "A"}]}
    )
    app = LinerApp(lambda: Runtime.open(settings))
    try:
        scope = _release_post(key, str(len(document) + 100).encode())
        sent = _call(app, scope, [{"type": "http.request", "body": document, "more_body": True}])
        assert sent[0]["status"] == 400
        assert orjson.loads(sent[1]["body"])["error"]["status"] == 400

        short = [{"type": "http.request", "body": document, "more_body": False}]
        sent = _call(app, scope, short)
        assert sent[0]["status"] == 400
    finally:
        app.stop()
    client = open_client(settings)
    assert client.json("/v1/changes")["changes"] == []


def test_methods_outside_http_are_counted_as_other(
    settings_for: Callable[..., Settings], open_client: Callable[[Settings], ApiClient]
) -> None:
    client = open_client(settings_for())
    for number in range(5):
        assert client.request(f"BREW{number}", "/v1/markets").status_code == 405
    metrics = client.get("/metrics").text
    assert 'method="OTHER",status="405"} 5.0' in metrics
    assert "BREW" not in metrics


def test_a_content_length_that_is_not_a_number_is_400(
    settings_for: Callable[..., Settings], open_client: Callable[[Settings], ApiClient]
) -> None:
    settings = settings_for()
    key = make_key(settings, "ingest:releases")
    app = LinerApp(lambda: Runtime.open(settings))
    try:
        for declared in (b"12abc", b"-5", b"", b"1e3"):
            scope = _release_post(key, declared)
            sent = _call(app, scope, [{"type": "http.request", "body": b"{}"}])
            assert sent[0]["status"] == 400, declared
            error = orjson.loads(sent[1]["body"])["error"]
            assert "Content-Length" in error["message"]
    finally:
        app.stop()
    assert open_client(settings).json("/v1/changes")["changes"] == []
