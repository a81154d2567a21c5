"""/v1/changes: every committed change, in commit order, read with a cursor."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from liner.config import Settings

from .support import BASE_URL, EXAMPLES, ApiClient, load_files, strip_base


def _all_changes(client: ApiClient, since: str = "0", limit: int = 50) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    url = f"/v1/changes?since={since}&limit={limit}"
    while True:
        page = client.json(url)
        changes.extend(page["changes"])
        if not page["changes"]:
            assert page["has_more"] is False
            return changes
        url = strip_base(page["next"])


def test_an_empty_catalog_has_no_changes(
    settings_for: Callable[..., Settings], open_client: Callable[[Settings], ApiClient]
) -> None:
    client = open_client(settings_for())
    response = client.get("/v1/changes")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "changes": [],
        "next_cursor": "0",
        "next": f"{BASE_URL}/v1/changes?since=0&limit=50",
        "has_more": False,
    }


def test_changes_come_in_commit_order(
    settings_for: Callable[..., Settings], open_client: Callable[[Settings], ApiClient]
) -> None:
    settings = settings_for()
    client = open_client(settings)
    cursor = "0"
    seen: list[dict[str, Any]] = []
    for path in EXAMPLES:
        (outcome,) = load_files(settings, [path])
        page = client.json(f"/v1/changes?since={cursor}")
        changes = page["changes"]
        assert len(changes) == outcome["changes"], path.name
        assert page["has_more"] is False
        assert changes[0] == {
            "cursor": changes[0]["cursor"],
            "type": outcome["type"],
            "id": outcome["id"],
            "revision": 1,
            "operation": "upsert",
        }
        cursors = [int(c["cursor"]) for c in changes]
        assert cursors == sorted(cursors)
        assert cursors[0] > int(cursor)
        assert page["next_cursor"] == changes[-1]["cursor"]
        assert page["next"] == f"{BASE_URL}/v1/changes?since={page['next_cursor']}&limit=50"
        seen.extend(changes)
        cursor = page["next_cursor"]
        assert client.json(f"/v1/changes?since={cursor}")["changes"] == []
    assert {c["type"] for c in seen} == {"album", "track", "artist", "show", "episode"}
    assert len({c["cursor"] for c in seen}) == len(seen)
    assert _all_changes(client) == seen
    track_ids = {c["id"] for c in seen if c["type"] == "track"}
    for track_id in track_ids:
        assert client.get(f"/v1/tracks/{track_id}").status_code == 200
    episode_ids = {c["id"] for c in seen if c["type"] == "episode"}
    assert len(episode_ids) == 3


def test_changes_page_with_a_cursor(
    settings_for: Callable[..., Settings], open_client: Callable[[Settings], ApiClient]
) -> None:
    settings = settings_for()
    load_files(settings, EXAMPLES)
    client = open_client(settings)
    everything = client.json("/v1/changes")["changes"]
    assert len(everything) == 20
    first = client.json("/v1/changes?since=0&limit=3")
    assert len(first["changes"]) == 3
    assert first["has_more"] is True
    assert first["next_cursor"] == first["changes"][-1]["cursor"]
    assert first["next"] == f"{BASE_URL}/v1/changes?since={first['next_cursor']}&limit=3"
    assert _all_changes(client, limit=3) == everything
    assert _all_changes(client, limit=1) == everything
    middle = everything[9]["cursor"]
    assert _all_changes(client, since=middle) == everything[10:]
    assert client.json(f"/v1/changes?since={everything[-1]['cursor']}")["changes"] == []
    assert client.json("/v1/changes?since=999999999")["next_cursor"] == "999999999"


def test_an_unchanged_rewrite_appends_no_changes(
    settings_for: Callable[..., Settings], open_client: Callable[[Settings], ApiClient]
) -> None:
    settings = settings_for()
    album_file = next(p for p in EXAMPLES if "northern-lights" in p.name)
    load_files(settings, [album_file])
    client = open_client(settings)
    before = client.json("/v1/changes")
    (again,) = load_files(settings, [album_file])
    assert again["status"] == "unchanged"
    assert client.json("/v1/changes") == before


def test_an_update_appends_a_new_revision(
    settings_for: Callable[..., Settings],
    open_client: Callable[[Settings], ApiClient],
    tmp_path: Path,
) -> None:
    settings = settings_for()
    album_file = next(p for p in EXAMPLES if "northern-lights" in p.name)
    (outcome,) = load_files(settings, [album_file])
    client = open_client(settings)
    before = client.json("/v1/changes")
    document = orjson.loads(album_file.read_bytes())
    document["title"] = "Northern Lights (Deluxe)"
    changed = tmp_path / "changed.json"
    changed.write_bytes(orjson.dumps(document))
    (updated,) = load_files(settings, [changed])
    assert updated["status"] == "updated"
    assert updated["id"] == outcome["id"]
    new = client.json(f"/v1/changes?since={before['next_cursor']}")["changes"]
    assert {"type": "album", "id": outcome["id"], "revision": 2, "operation": "upsert"} in [
        {k: v for k, v in c.items() if k != "cursor"} for c in new
    ]
