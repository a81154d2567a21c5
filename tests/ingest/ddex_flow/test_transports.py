"""The two other ways in, through real processes: ``POST /v1/ingest/ddex`` on a running
``liner serve`` with an API key scoped to the sender's DPID, and the drop-folder watcher
``liner ingest ddex --watch``."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa

from liner.models import Delivery, Release
from liner.runtime import Runtime

from .support import CPD_BATCHES, FUGA, Server, copy_tree, env_for, liner_cli, read_album

pytestmark = [pytest.mark.corpus, pytest.mark.e2e]

FUGA_SENDER = "PADPIDA20110330020"
FUGA_UPC = "8718857546047"
OTHER_SENDER = "PADPIDA2024OTHER0X"
LAUGHS = "daddykev+ddex-suite/test-suite/nasty/billion-laughs.xml"


def key(env: dict[str, str], owner: str, *scopes: str) -> dict[str, str]:
    args = ["keys", "create", "--owner", owner]
    for scope in scopes:
        args += ["--scope", scope]
    (created,) = liner_cli(env, *args)
    return {"Authorization": f"Bearer {created['key']}"}


def purge(sender: str, upc: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<ern:PurgeReleaseMessage MessageSchemaVersionId="ern/382" '
        'xmlns:ern="http://ddex.net/xml/ern/382">'
        "<MessageHeader><MessageThreadId>T-P</MessageThreadId><MessageId>P-1</MessageId>"
        f"<MessageSender><PartyId>{sender}</PartyId></MessageSender>"
        "<MessageRecipient><PartyId>PADPIDA202401120D9</PartyId></MessageRecipient>"
        "<MessageCreatedDateTime>2024-03-06T00:00:00Z</MessageCreatedDateTime>"
        f"</MessageHeader><PurgedRelease><ReleaseId><ICPN>{upc}</ICPN></ReleaseId>"
        "</PurgedRelease></ern:PurgeReleaseMessage>"
    ).encode()


def stored(runtime: Runtime) -> tuple[int, int]:
    with runtime.sessions() as session:
        return (
            session.scalar(sa.select(sa.func.count()).select_from(Release)) or 0,
            session.scalar(sa.select(sa.func.count()).select_from(Delivery)) or 0,
        )


def eventually(check: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_a_partner_posts_messages_with_a_key_scoped_to_its_dpid(
    corpus: Path, tmp_path: Path, database_url: str, runtime: Runtime
) -> None:
    env = env_for(database_url, tmp_path / "data")
    partner = key(env, FUGA_SENDER, "ingest:ddex", "read:deliveries")
    other = key(env, OTHER_SENDER, "ingest:ddex", "read:deliveries")
    reader_only = key(env, FUGA_SENDER, "read:deliveries")
    message = (corpus / FUGA).read_bytes()
    xml = {"Content-Type": "application/xml"}

    with (
        Server(env, tmp_path / "server.log") as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        assert http.post("/v1/ingest/ddex", content=message, headers=xml).status_code == 401
        refused = http.post("/v1/ingest/ddex", content=message, headers={**xml, **reader_only})
        assert refused.status_code == 403
        stolen = http.post("/v1/ingest/ddex", content=message, headers={**xml, **other})
        assert stolen.status_code == 403
        assert FUGA_SENDER in stolen.json()["error"]["message"]
        wrong_type = http.post(
            "/v1/ingest/ddex", content=message, headers={"Content-Type": "text/plain", **partner}
        )
        assert wrong_type.status_code == 415
        assert stored(runtime) == (0, 0)

        posted = http.post("/v1/ingest/ddex", content=message, headers={**xml, **partner})
        assert posted.status_code == 201, posted.text
        delivery = posted.json()
        assert (delivery["status"], delivery["sender"], delivery["transport"]) == (
            "applied",
            FUGA_SENDER,
            "http",
        )
        assert delivery["message_id"] == "FUGA_1000254040840"
        assert delivery["file"] is None
        (album_id,) = delivery["release_ids"]
        assert delivery["href"] == f"{server.url}/v1/deliveries/{delivery['id']}"

        albums = http.get(f"/v1/albums?upc={FUGA_UPC}").json()["albums"]
        assert [a["id"] for a in albums] == [album_id]
        (track,) = http.get("/v1/tracks?isrc=NLRD51952976").json()["tracks"]
        assert track["album"]["id"] == album_id
        assert http.get(f"/v1/tracks/{track['id']}?market=NL").json()["is_playable"] is True

        again = http.post("/v1/ingest/ddex", content=message, headers={**xml, **partner})
        assert again.status_code == 200
        assert again.json()["id"] == delivery["id"]

        hostile = http.post(
            "/v1/ingest/ddex", content=(corpus / LAUGHS).read_bytes(), headers={**xml, **partner}
        )
        assert hostile.status_code == 422
        assert hostile.json()["error"]["details"][0]["code"].startswith("xml_")
        assert stored(runtime) == (1, 1)

        listed = http.get("/v1/deliveries", headers=partner).json()
        assert [d["id"] for d in listed["items"]] == [delivery["id"]]
        assert listed["total"] == 1
        shown = http.get(f"/v1/deliveries/{delivery['id']}", headers=partner).json()
        assert shown == {**delivery, "processed_at": shown["processed_at"]}
        assert http.get("/v1/deliveries", headers=other).json()["items"] == []
        hidden = http.get(f"/v1/deliveries/{delivery['id']}", headers=other)
        assert hidden.status_code == 404
        assert http.get("/v1/deliveries").status_code == 401

        foreign = http.post(
            "/v1/ingest/ddex", content=purge(OTHER_SENDER, FUGA_UPC), headers={**xml, **other}
        )
        assert foreign.status_code == 422
        errors = [p["code"] for p in foreign.json()["problems"] if p["severity"] == "error"]
        assert errors == ["ddex_purge_not_owner"]
        assert http.get(f"/v1/albums/{album_id}").status_code == 200

        purged = http.post(
            "/v1/ingest/ddex", content=purge(FUGA_SENDER, FUGA_UPC), headers={**xml, **partner}
        )
        assert purged.status_code == 201, purged.text
        assert purged.json()["release_ids"] == [album_id]
        gone = eventually(lambda: http.get(f"/v1/albums/{album_id}").status_code == 404)
        assert gone
        assert http.get(f"/v1/albums?upc={FUGA_UPC}").json()["albums"] == []
        assert http.get("/v1/deliveries?status=applied", headers=partner).json()["total"] == 2


def read_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.startswith(b"{")]


def test_the_watcher_picks_up_deliveries_as_they_complete(
    corpus: Path, tmp_path: Path, database_url: str, runtime: Runtime
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    out = tmp_path / "watch.jsonl"
    env = env_for(database_url, tmp_path / "data")
    with out.open("wb") as stream:
        process = subprocess.Popen(
            [
                sys.executable,
                *("-m", "liner", "ingest", "ddex", "--json"),
                *("--watch", str(drop), "--interval", "0.2"),
            ],
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
        )
    try:
        # A release-by-release folder.
        copy_tree(corpus / FUGA, drop / "N_8718857546047_20240305090206405" / "release.xml")
        lines = eventually(lambda: read_lines(out))
        assert [(line["type"], line["status"]) for line in lines] == [("message", "applied")]
        (album_id,) = lines[0]["release_ids"]
        assert (drop / "N_8718857546047_20240305090206405" / "ack").is_dir()

        # A batch whose manifest comes last: nothing happens before it does.
        batch = drop / "20161024145603121"
        copy_tree(corpus / CPD_BATCHES[1], tmp_path / "incoming")
        manifest = next((tmp_path / "incoming").glob("BatchComplete_*.xml"))
        shutil.copytree(
            tmp_path / "incoming", batch, ignore=shutil.ignore_patterns("BatchComplete_*")
        )
        time.sleep(1.5)
        assert len(read_lines(out)) == 1
        shutil.copyfile(manifest, batch / manifest.name)
        lines = eventually(lambda: read_lines(out)[1:3] if len(read_lines(out)) >= 3 else [])
        assert [(line["type"], line["status"]) for line in lines] == [
            ("message", "applied"),
            ("batch", "processed"),
        ]
        assert lines[1]["file"] == str(batch / manifest.name)
        assert process.poll() is None
    finally:
        process.terminate()
        process.wait(timeout=15)

    assert len(read_lines(out)) == 3
    album = read_album(runtime, album_id)
    assert album is not None
    assert album["upc"] == FUGA_UPC
    assert stored(runtime) == (2, 2)
