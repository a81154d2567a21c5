"""A merged artist's id keeps answering: ``liner merge-artists`` then reads over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from liner.cli import main
from liner.config import Settings

from .support import ApiClient, load_files


def _release(upc: str, title: str, artist: str, isrc: str) -> bytes:
    return orjson.dumps(
        {
            "id": title,
            "title": title,
            "upc": upc,
            "artists": [{"name": artist}],
            "tracks": [{"title": title, "isrc": isrc, "duration": "PT3M"}],
        }
    )


def test_a_merged_artist_keeps_answering(
    settings_for: Callable[..., Settings],
    open_client: Callable[[Settings], ApiClient],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_for()
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_bytes(_release("842100000012", "Harbour", "Ilse Moor", "QZES72400101"))
    second.write_bytes(_release("036000291452", "Ferry", "ILSE MOOR", "QZES72400102"))
    (one,) = load_files(settings, [first], owner="label-a")
    (two,) = load_files(settings, [second], owner="label-b")
    client = open_client(settings)
    kept = client.json(f"/v1/albums/{one['id']}")["artists"][0]["id"]
    duplicate = client.json(f"/v1/albums/{two['id']}")["artists"][0]["id"]
    assert kept != duplicate

    monkeypatch.setenv("LINER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LINER_DATA_DIR", str(tmp_path))
    assert main(["merge-artists", duplicate, kept]) == 0
    assert orjson.loads(capsys.readouterr().out)["redirected"] == duplicate

    # The album was cached before the merge: wait until servers have seen the change.
    album = client.wait_for(
        f"/v1/albums/{two['id']}", lambda r: r.json()["artists"][0]["id"] == kept
    )
    assert album.json()["artists"][0]["id"] == kept
    assert client.json(f"/v1/artists/{duplicate}") == client.json(f"/v1/artists/{kept}")
    albums = client.json(f"/v1/artists/{duplicate}/albums")
    assert sorted(a["id"] for a in albums["items"]) == sorted([one["id"], two["id"]])
    listed = client.json(f"/v1/artists?ids={duplicate},{kept}")["artists"]
    assert [a["id"] for a in listed] == [kept, kept]
    changes = client.json("/v1/changes?limit=50")["changes"]
    assert {"redirect"} <= {c["operation"] for c in changes}
    assert main(["merge-artists", duplicate, kept]) == 2
