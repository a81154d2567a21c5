"""POST /v1/ingest/releases and /v1/ingest/shows: keys and scopes, validation, idempotence."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from liner.accounts.keys import create_key, revoke_key
from liner.config import Settings
from liner.kit.migrate import upgrade

from .support import INGEST_FIXTURES, ApiClient, make_key, make_settings

RELEASE = (INGEST_FIXTURES / "release.json").read_bytes()
SHOW = (INGEST_FIXTURES / "show.json").read_bytes()
INVALID_RELEASE = (INGEST_FIXTURES / "invalid-release.json").read_bytes()
INVALID_SHOW = (INGEST_FIXTURES / "invalid-show.json").read_bytes()
RELEASES = "/v1/ingest/releases"
SHOWS = "/v1/ingest/shows"


@dataclass
class Writer:
    client: ApiClient
    settings: Settings
    releases_key: str
    shows_key: str
    both_key: str
    other_owner_key: str

    def post(self, path: str, body: bytes, key: str | None, **headers: str) -> Any:
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        return self.client.post(
            path, content=body, headers={"Content-Type": "application/json", **headers}
        )

    def changes(self) -> Any:
        return self.client.json("/v1/changes")

    def settle(self) -> None:
        """Wait past the invalidation poller's first look, which takes its starting point
        (see test_a_change_right_after_startup_is_seen)."""
        time.sleep(0.15)


@pytest.fixture
def writer(
    settings_for: Callable[..., Settings], open_client: Callable[[Settings], ApiClient]
) -> Writer:
    settings = settings_for()
    client = open_client(settings)
    assert client.get("/healthz").status_code == 200
    assert client.app.runtime is not None
    sessions = client.app.runtime.sessions

    def key(*scopes: str, owner: str = "demo") -> str:
        return create_key(sessions, name="test", owner=owner, scopes=list(scopes))

    return Writer(
        client=client,
        settings=settings,
        releases_key=key("ingest:releases"),
        shows_key=key("ingest:shows"),
        both_key=key("ingest:releases", "ingest:shows"),
        other_owner_key=key("ingest:releases", owner="someone-else"),
    )


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    error: dict[str, Any] = response.json()["error"]
    assert error["status"] == status
    assert error["message"]
    return error


def test_no_key_or_an_unknown_key_is_401(writer: Writer) -> None:
    for path, body in ((RELEASES, RELEASE), (SHOWS, SHOW)):
        for authorization in (None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc"):
            headers = {} if authorization is None else {"Authorization": authorization}
            error = _error(writer.post(path, body, None, **headers), 401)
            assert "API key" in error["message"]
        for key in ("lnr_00000000_" + "x" * 43, "not-a-liner-key", writer.both_key + "x"):
            _error(writer.post(path, body, key), 401)
    assert writer.changes()["changes"] == []


def test_a_revoked_key_is_401(writer: Writer) -> None:
    assert writer.post(RELEASES, RELEASE, writer.releases_key).status_code == 201
    prefix = writer.releases_key.split("_")[1]
    assert writer.client.app.runtime is not None
    assert revoke_key(writer.client.app.runtime.sessions, prefix)
    _error(writer.post(RELEASES, RELEASE, writer.releases_key), 401)


def test_a_key_without_the_scope_is_403(writer: Writer) -> None:
    error = _error(writer.post(RELEASES, RELEASE, writer.shows_key), 403)
    assert "ingest:releases" in error["message"]
    error = _error(writer.post(SHOWS, SHOW, writer.releases_key), 403)
    assert "ingest:shows" in error["message"]
    assert writer.changes()["changes"] == []


def test_the_key_is_checked_before_the_document(writer: Writer) -> None:
    _error(writer.post(RELEASES, INVALID_RELEASE, None), 401)
    _error(writer.post(RELEASES, b"{not json", writer.shows_key), 403)


def test_an_invalid_release_reports_every_problem_and_writes_nothing(writer: Writer) -> None:
    before = writer.changes()
    error = _error(writer.post(RELEASES, INVALID_RELEASE, writer.releases_key), 422)
    assert error["message"] == "4 problem(s) in the document"
    details = {d["path"]: d for d in error["details"]}
    assert set(details) == {
        "upc",
        "availability[0].territories[0]",
        "tracks[0].isrc",
        "tracks[1].duration",
    }
    assert "check digit" in details["upc"]["message"]
    assert "XX" in details["availability[0].territories[0]"]["message"]
    assert "BADISRC" in details["tracks[0].isrc"]["message"]
    assert "PT3X" in details["tracks[1].duration"]["message"]
    assert all(d["code"].startswith("json_") for d in error["details"])
    assert writer.changes() == before


def test_an_invalid_show_reports_every_problem_and_writes_nothing(writer: Writer) -> None:
    before = writer.changes()
    error = _error(writer.post(SHOWS, INVALID_SHOW, writer.shows_key), 422)
    assert {d["path"] for d in error["details"]} == {
        "title",
        "territories[0]",
        "episodes[0].enclosure.url",
        "episodes[0].duration",
        "episodes[1].season",
        "episodes[1].colour",
    }
    assert writer.changes() == before
    guid = "0b1f5c1e-0000-5000-8000-000000000001"
    assert writer.client.json(f"/v1/shows?guid={guid}") == {"shows": []}


def test_documents_that_are_not_releases_are_422(writer: Writer) -> None:
    for body, path in (
        (b"", "$"),
        (b"{not json", "$"),
        (b"[]", "$"),
        (b'"a string"', "$"),
        (b"{}", "title"),
        (b'{"title": "T", "artists": [{"name": "A"}], "tracks": [{"title": "x"}]}', "$"),
    ):
        error = _error(writer.post(RELEASES, body, writer.releases_key), 422)
        assert path in {d["path"] for d in error["details"]}, body
    assert writer.changes()["changes"] == []


def test_text_with_a_nul_is_422(writer: Writer) -> None:
    document = orjson.loads(RELEASE)
    document["title"] = "Glass\u0000Harbour"
    document["tracks"][1]["version"] = "\u0000"
    document["tracks"][0]["duration"] = "PT3X"
    error = _error(writer.post(RELEASES, orjson.dumps(document), writer.releases_key), 422)
    assert {d["path"] for d in error["details"]} == {
        "title",
        "tracks[1].version",
        "tracks[0].duration",
    }
    show = orjson.loads(SHOW)
    show["episodes"][0]["description"] = "a\u0000b"
    error = _error(writer.post(SHOWS, orjson.dumps(show), writer.shows_key), 422)
    assert [d["path"] for d in error["details"]] == ["episodes[0].description"]
    assert writer.changes()["changes"] == []


def test_a_body_that_is_not_json_is_415(writer: Writer) -> None:
    for content_type in ("text/plain", "application/xml", "multipart/form-data; boundary=x"):
        response = writer.post(
            RELEASES, RELEASE, writer.releases_key, **{"Content-Type": content_type}
        )
        _error(response, 415)
    assert writer.changes()["changes"] == []
    vendor = writer.post(
        RELEASES, RELEASE, writer.releases_key, **{"Content-Type": "application/vnd.liner+json"}
    )
    assert vendor.status_code == 201


def test_a_release_is_created_then_unchanged(writer: Writer) -> None:
    created = writer.post(RELEASES, RELEASE, writer.releases_key)
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    result = created.json()
    assert result["status"] == "created"
    assert result["type"] == "album"
    album_id = result["id"]
    assert {"type": "album", "id": album_id, "operation": "upsert"} in result["changes"]
    assert {c["type"] for c in result["changes"]} == {"album", "track", "artist"}
    album = writer.client.json(f"/v1/albums/{album_id}")
    assert album["name"] == "Glass Harbour"
    assert album["album_type"] == "single"
    assert [t["name"] for t in album["tracks"]["items"]] == [
        "Glass Harbour",
        "Glass Harbour - Instrumental",
    ]
    assert [a["id"] for a in writer.client.json("/v1/albums?upc=842100000203")["albums"]] == [
        album_id
    ]
    changes = writer.changes()
    assert [c["id"] for c in changes["changes"]] == [c["id"] for c in result["changes"]]

    again = writer.post(RELEASES, RELEASE, writer.both_key)
    assert again.status_code == 200, again.text
    assert again.json() == {"status": "unchanged", "type": "album", "id": album_id, "changes": []}
    assert writer.changes() == changes


def test_a_show_is_created_then_unchanged(writer: Writer) -> None:
    created = writer.post(SHOWS, SHOW, writer.shows_key)
    assert created.status_code == 201, created.text
    result = created.json()
    assert (result["status"], result["type"]) == ("created", "show")
    show_id = result["id"]
    assert {c["type"] for c in result["changes"]} == {"show", "episode"}
    show = writer.client.json(f"/v1/shows/{show_id}")
    assert show["name"] == "Posted Weekly"
    assert show["languages"] == ["nb"]
    assert [e["name"] for e in show["episodes"]["items"]] == ["First post"]
    by_feed = writer.client.json("/v1/shows?feed_url=https://feeds.example.org/posted-weekly.xml")
    assert [s["id"] for s in by_feed["shows"]] == [show_id]
    changes = writer.changes()

    again = writer.post(SHOWS, SHOW, writer.both_key)
    assert again.status_code == 200, again.text
    assert again.json() == {"status": "unchanged", "type": "show", "id": show_id, "changes": []}
    assert writer.changes() == changes


def test_an_older_delivery_is_stale(writer: Writer) -> None:
    document = orjson.loads(SHOW)
    document["updated_at"] = "2025-03-01T00:00:00Z"
    assert writer.post(SHOWS, orjson.dumps(document), writer.shows_key).status_code == 201
    changes = writer.changes()
    document["updated_at"] = "2025-01-01T00:00:00Z"
    document["title"] = "An older title"
    stale = writer.post(SHOWS, orjson.dumps(document), writer.shows_key)
    assert stale.status_code == 200
    assert stale.json()["status"] == "stale"
    assert writer.changes() == changes


def test_a_show_update_is_visible_to_reads(writer: Writer) -> None:
    writer.settle()
    show_id = writer.post(SHOWS, SHOW, writer.shows_key).json()["id"]
    url = f"/v1/shows/{show_id}"
    assert writer.client.json(url)["total_episodes"] == 1
    document = orjson.loads(SHOW)
    document["title"] = "Posted Weekly, renamed"
    document["episodes"].append(
        {
            "guid": "pw-002",
            "title": "Second post",
            "enclosure": {"url": "https://media.example.org/pw/002.mp3"},
            "published_at": "2025-01-13T07:00:00Z",
        }
    )
    updated = writer.post(SHOWS, orjson.dumps(document), writer.shows_key)
    assert updated.status_code == 200, updated.text
    assert updated.json()["status"] == "updated"
    response = writer.client.wait_for(url, lambda r: r.json()["total_episodes"] == 2)
    show = response.json()
    assert show["name"] == "Posted Weekly, renamed"
    assert [e["name"] for e in show["episodes"]["items"]] == ["Second post", "First post"]


def test_a_new_release_replaces_a_cached_miss(writer: Writer) -> None:
    writer.settle()
    lookup = "/v1/albums?upc=842100000203"
    assert writer.client.json(lookup) == {"albums": []}
    assert writer.client.json(lookup) == {"albums": []}
    album_id = writer.post(RELEASES, RELEASE, writer.releases_key).json()["id"]
    response = writer.client.wait_for(lookup, lambda r: r.json()["albums"] != [])
    assert [a["id"] for a in response.json()["albums"]] == [album_id]


def test_a_release_update_is_visible_to_reads(writer: Writer) -> None:
    writer.settle()
    document = orjson.loads(RELEASE)
    document["id"] = "GLASS-1"
    album_id = writer.post(RELEASES, orjson.dumps(document), writer.releases_key).json()["id"]
    url = f"/v1/albums/{album_id}"
    assert writer.client.json(url)["name"] == "Glass Harbour"
    document["title"] = "Glass Harbour (Live)"
    updated = writer.post(RELEASES, orjson.dumps(document), writer.releases_key)
    assert updated.status_code == 200, updated.text
    assert updated.json()["status"] == "updated"
    response = writer.client.wait_for(url, lambda r: r.json()["name"] != "Glass Harbour")
    assert response.json()["name"] == "Glass Harbour (Live)"


def test_a_release_without_an_id_can_be_updated(writer: Writer) -> None:
    writer.settle()
    album_id = writer.post(RELEASES, RELEASE, writer.releases_key).json()["id"]
    url = f"/v1/albums/{album_id}"
    assert writer.client.json(url)["label"] == "Posted Records"
    document = orjson.loads(RELEASE)
    document["label"] = "Reposted Records"
    updated = writer.post(RELEASES, orjson.dumps(document), writer.releases_key)
    assert updated.status_code == 200, updated.text
    assert updated.json() == {
        "status": "updated",
        "type": "album",
        "id": album_id,
        "changes": updated.json()["changes"],
    }
    response = writer.client.wait_for(url, lambda r: r.json()["label"] != "Posted Records")
    assert response.json()["label"] == "Reposted Records"


def test_another_senders_upc_is_409(writer: Writer) -> None:
    assert writer.post(RELEASES, RELEASE, writer.releases_key).status_code == 201
    changes = writer.changes()
    error = _error(writer.post(RELEASES, RELEASE, writer.other_owner_key), 409)
    assert "842100000203" in error["message"]
    assert writer.changes() == changes


def test_an_oversized_body_is_413(
    settings_for: Callable[..., Settings], open_client: Callable[[Settings], ApiClient]
) -> None:
    settings = settings_for(LINER_MAX_BODY_BYTES="1024")
    key = make_key(settings, "ingest:releases")
    client = open_client(settings)
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    document = orjson.loads(RELEASE)
    document["label"] = "x" * 900
    big = orjson.dumps(document)
    assert len(big) > 1024
    error = _error(client.post(RELEASES, content=big, headers=auth), 413)
    assert "1024" in error["message"]
    # Without a valid key the body is never read: refused for the key first.
    _error(client.post(RELEASES, content=big, headers={"Content-Type": "application/json"}), 401)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 100):
            yield big[start : start + 100]

    streamed = client.post(RELEASES, content=chunks(), headers=auth)
    assert "content-length" not in streamed.request.headers
    _error(streamed, 413)
    # A body of unknown length is read only once the key and its scope are checked.
    wrong = {"Authorization": "Bearer not-a-key", "Content-Type": "application/json"}
    _error(client.post(RELEASES, content=chunks(), headers=wrong), 401)
    unscoped = {**auth, "Authorization": f"Bearer {make_key(settings, 'read:deliveries')}"}
    _error(client.post(RELEASES, content=chunks(), headers=unscoped), 403)
    assert client.json("/v1/changes")["changes"] == []
    small = orjson.loads(RELEASE)
    assert client.post(RELEASES, content=orjson.dumps(small), headers=auth).status_code == 201


def test_a_change_right_after_startup_is_seen(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'liner.db'}"
    upgrade(url)
    settings = make_settings(url, tmp_path, LINER_INVALIDATION_INTERVAL="0.6")
    key = make_key(settings, "ingest:shows")
    client = ApiClient.for_settings(settings)
    try:
        headers = {"Authorization": f"Bearer {key}"}
        show_id = client.post(SHOWS, content=SHOW, headers=headers).json()["id"]
        assert client.json(f"/v1/shows/{show_id}")["name"] == "Posted Weekly"
        document = orjson.loads(SHOW)
        document["title"] = "Posted Weekly, renamed"
        renamed = client.post(SHOWS, content=orjson.dumps(document), headers=headers)
        assert renamed.status_code == 200
        response = client.wait_for(
            f"/v1/shows/{show_id}", lambda r: r.json()["name"] != "Posted Weekly", timeout=1.5
        )
        assert response.json()["name"] == "Posted Weekly, renamed"
    finally:
        client.close()
