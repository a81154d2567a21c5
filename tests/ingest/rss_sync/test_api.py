"""POST /v1/ingest/feeds, GET /v1/feeds and GET /v1/feeds/{id} through the ASGI app."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from liner.accounts.keys import create_key
from liner.api.app import LinerApp
from liner.ingest.rss.repository import FeedRepository
from liner.runtime import Runtime

from .conftest import settings_for
from .feed_server import FeedServer
from .support import SyntheticFeed

BASE = "http://liner.test"


class Client:
    def __init__(self, app: LinerApp) -> None:
        self.app = app
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE, timeout=30
        )

    def request(self, method: str, url: str, key: str | None = None, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        return self._loop.run_until_complete(
            self._client.request(method, url, headers=headers, **kw)
        )

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()
        self.app.stop()


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> Iterator[Client]:
    settings = settings_for(database_url, tmp_path / "data")
    app = LinerApp(lambda: Runtime.open(settings))
    opened = Client(app)
    try:
        assert opened.request("GET", "/healthz").status_code == 200
        yield opened
    finally:
        opened.close()


def _key(client: Client, *scopes: str, owner: str = "creator") -> str:
    assert client.app.runtime is not None
    return create_key(client.app.runtime.sessions, name="t", owner=owner, scopes=list(scopes))


def _post(client: Client, key: str | None, body: Any) -> httpx.Response:
    return client.request("POST", "/v1/ingest/feeds", key, json=body)


def test_register_sync_and_read_a_feed(client: Client, server: FeedServer) -> None:
    key = _key(client, "ingest:feeds")
    url = server.serve("/api.xml", SyntheticFeed.weekly(3).xml())
    created = _post(client, key, {"url": url})
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    body = created.json()
    assert (body["type"], body["url"], body["status"]) == ("feed", url, "active")
    assert body["sync"]["added"] == 3
    assert body["last_fetch"]["added"] == 3
    assert body["next_fetch_at"] is not None
    show_id = body["show"]["id"]
    show = client.request("GET", f"/v1/shows/{show_id}")
    assert show.status_code == 200
    assert show.json()["total_episodes"] == 3

    again = _post(client, key, {"url": url})
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert again.json()["sync"]["outcome"] == "unchanged"

    listed = client.request("GET", "/v1/feeds", key).json()
    assert (listed["total"], [i["id"] for i in listed["items"]]) == (1, [body["id"]])
    one = client.request("GET", f"/v1/feeds/{body['id']}", key)
    assert one.status_code == 200
    document = one.json()
    assert [h["outcome"] for h in document["history"]] == ["unchanged", "created"]
    assert document["errors"]["consecutive"] == 0


def test_errors_and_problems_are_shown_to_the_owner(client: Client, server: FeedServer) -> None:
    key = _key(client, "ingest:feeds")
    url = server.serve("/limited.xml", status=429, headers={"Retry-After": "600"})
    body = _post(client, key, {"url": url}).json()
    assert body["status"] == "erroring"
    assert body["show"] is None
    assert body["errors"]["last"]["code"] == "fetch_http_status"
    assert body["errors"]["retry_after_s"] == 600
    erroring = client.request("GET", "/v1/feeds?status=erroring", key).json()
    assert erroring["total"] == 1
    assert client.request("GET", "/v1/feeds?status=active", key).json()["total"] == 0


def test_other_accounts_see_nothing(client: Client, server: FeedServer) -> None:
    mine = _key(client, "ingest:feeds")
    theirs = _key(client, "ingest:feeds", owner="someone-else")
    url = server.serve("/private.xml", SyntheticFeed.weekly(1).xml())
    feed_id = _post(client, mine, {"url": url}).json()["id"]
    assert client.request("GET", f"/v1/feeds/{feed_id}", theirs).status_code == 404
    assert client.request("GET", "/v1/feeds", theirs).json()["total"] == 0
    taken = _post(client, theirs, {"url": url})
    assert taken.status_code == 409


def test_keys_scopes_and_bad_input(client: Client) -> None:
    key = _key(client, "ingest:feeds")
    assert _post(client, None, {"url": "https://example.com/feed"}).status_code == 401
    assert _post(client, "lnr_bad", {"url": "https://example.com/feed"}).status_code == 401
    wrong_scope = _key(client, "ingest:shows")
    assert _post(client, wrong_scope, {"url": "https://example.com/feed"}).status_code == 403
    assert client.request("GET", "/v1/feeds", wrong_scope).status_code == 403
    assert _post(client, key, {"link": "x"}).status_code == 400
    assert _post(client, key, ["https://example.com"]).status_code == 400
    bad_json = client.request(
        "POST", "/v1/ingest/feeds", key, content=b"{", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400
    xml = client.request(
        "POST", "/v1/ingest/feeds", key, content=b"<x/>", headers={"Content-Type": "text/xml"}
    )
    assert xml.status_code == 415
    for url in ("http://169.254.169.254/latest", "file:///etc/passwd", "https://a:b@c.com/"):
        response = _post(client, key, {"url": url})
        assert response.status_code == 422, url
        assert response.json()["error"]["details"][0]["path"] == "url"
    assert client.request("GET", "/v1/feeds/nope", key).status_code == 400
    assert client.request("GET", "/v1/feeds/" + "a" * 22, key).status_code == 404
    assert client.request("GET", "/v1/feeds?limit=0", key).status_code == 400
    assert client.request("GET", "/v1/feeds?status=weird", key).status_code == 400
    assert client.request("GET", "/v1/feeds", key).json()["total"] == 0


def test_the_server_polls_feeds_itself_when_its_scheduler_is_on(
    database_url: str, tmp_path: Path, server: FeedServer
) -> None:
    """``liner serve`` on the embedded default runs the feed scheduler in-process."""
    settings = settings_for(database_url, tmp_path / "data", LINER_FEED_SCHEDULER="on")
    url = server.serve("/polled.xml", SyntheticFeed.weekly(3).xml())
    runtime = Runtime.open(settings)
    try:
        feed, created = FeedRepository(runtime.sessions).register(url, "creator")
        assert created
    finally:
        runtime.close()
    app = LinerApp(lambda: Runtime.open(settings))
    opened = Client(app)
    try:
        assert opened.request("GET", "/healthz").status_code == 200
        deadline = time.monotonic() + 20
        synced = None
        while time.monotonic() < deadline:
            assert app.runtime is not None
            synced = FeedRepository(app.runtime.sessions).get(feed.public_id)
            if synced is not None and synced.show_id:
                break
            time.sleep(0.1)
        assert synced is not None
        assert synced.show_id
        path = f"/v1/shows/{synced.show_id}"
        while opened.request("GET", path).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)  # the server's own projector publishes the show shortly
        show = opened.request("GET", path).json()
        assert show["episodes"]["total"] == 3
    finally:
        opened.close()
