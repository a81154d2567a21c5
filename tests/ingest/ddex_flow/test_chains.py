"""Updates, takedowns, purges and ownership, on the corpus's update chains."""

from __future__ import annotations

from pathlib import Path

import pytest

from liner.ingest.ddex.choreography import BatchUnit, Choreographer
from liner.ingest.ddex.outcomes import MessageOutcome, Status
from liner.ingest.ddex.reading import Source
from liner.ingest.ddex.service import DdexIngester
from liner.runtime import Runtime

from .support import (
    AUDIUS,
    CPD_BATCHES,
    CPD_SENDER,
    CPD_UPC,
    FUGA,
    copy_tree,
    lookup,
    read_album,
    release_id,
)

pytestmark = pytest.mark.corpus

FUGA_SENDER = "PADPIDA20110330020"
OTHER_SENDER = "PADPIDA2024OTHER0X"


def purge_message(sender: str, ids: str, *, created: str, message_id: str = "P1") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<ern:PurgeReleaseMessage MessageSchemaVersionId="ern/382" '
        'xmlns:ern="http://ddex.net/xml/ern/382">'
        f"<MessageHeader><MessageThreadId>T-{message_id}</MessageThreadId>"
        f"<MessageId>{message_id}</MessageId>"
        f"<MessageSender><PartyId>{sender}</PartyId></MessageSender>"
        "<MessageRecipient><PartyId>PADPIDA202401120D9</PartyId></MessageRecipient>"
        f"<MessageCreatedDateTime>{created}</MessageCreatedDateTime></MessageHeader>"
        f"<PurgedRelease><ReleaseId>{ids}</ReleaseId></PurgedRelease>"
        "</ern:PurgeReleaseMessage>"
    ).encode()


def only_message(outcomes: list[object]) -> MessageOutcome:
    messages = [o for o in outcomes if isinstance(o, MessageOutcome)]
    assert len(messages) == 1, outcomes
    return messages[0]


def run_batch(choreographer: Choreographer, folder: Path) -> MessageOutcome:
    manifest = next(folder.glob("BatchComplete_*.xml"))
    return only_message(list(choreographer.process(BatchUnit(folder, manifest, folder.name))))


def test_cpd_chain_ends_as_described(
    corpus: Path, tmp_path: Path, runtime: Runtime, choreographer: Choreographer
) -> None:
    folders = {
        step: copy_tree(corpus / path, tmp_path / "drop" / Path(path).name)
        for step, path in CPD_BATCHES.items()
        if step <= 5
    }

    def step(number: int) -> dict[str, object]:
        outcome = run_batch(choreographer, folders[number])
        assert outcome.status is Status.APPLIED, outcome.problems
        assert outcome.batch is not None
        runtime.project()
        album_id = release_id(runtime, CPD_SENDER, f"upc:{CPD_UPC}")
        assert album_id is not None
        assert outcome.release_ids == [album_id]
        assert lookup(runtime, "upc", CPD_UPC) == [album_id]
        album = read_album(runtime, album_id)
        assert album is not None
        assert album["upc"] == CPD_UPC
        assert album["artists"] == ["Monkey Claw"]
        return album

    album = step(1)
    assert album["album_type"] == "album"
    assert [t["isrc"] for t in album["tracks"]] == ["CASE00000001", "CASE00000002"]
    assert [t["markets"] for t in album["tracks"]] == [["NL"], ["NL"]]
    assert album["markets"] == ["NL"]

    album = step(2)
    assert album["album_type"] == "single"  # an EP is a "single" in Spotify's types
    assert [t["markets"] for t in album["tracks"]] == [["BE", "NL"], ["BE", "NL"]]
    assert album["markets"] == ["BE", "NL"]

    album = step(3)
    assert album["album_type"] == "single"
    assert [t["isrc"] for t in album["tracks"]] == [f"CASE0000000{n}" for n in range(1, 7)]
    assert all(t["markets"] == ["BE", "NL"] for t in album["tracks"])
    assert len(lookup(runtime, "isrc", "CASE00000006")) == 1

    album = step(4)
    assert album["album_type"] == "compilation"
    markets = {t["isrc"]: t["markets"] for t in album["tracks"]}
    assert markets.pop("CASE00000001") == []
    assert all(m == ["BE", "NL"] for m in markets.values())
    assert album["markets"] == ["BE", "NL"]

    album = step(5)
    assert album["album_type"] == "compilation"
    assert len(album["tracks"]) == 6
    assert all(t["markets"] == [] for t in album["tracks"])
    assert album["markets"] == []

    again = run_batch(choreographer, folders[3])
    assert again.replayed
    assert read_album(runtime, album["id"]) == album


def test_audius_chain_update_purge_and_expired_deal(
    corpus: Path, tmp_path: Path, runtime: Runtime, ingester: DdexIngester
) -> None:
    folder = copy_tree(corpus / AUDIUS, tmp_path / "audius")
    grid_key = "grid:A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6Q7R8S9T0"
    sender = "PADPIDA1234567890"

    first = ingester.ingest_file(folder / "01_delivery.xml")
    assert first.status is Status.APPLIED
    assert first.releases[0].result == "created"
    runtime.project()
    album = read_album(runtime, first.release_ids[0])
    assert album is not None
    assert [t["name"] for t in album["tracks"]] == ["Example Song"]
    assert len(album["markets"]) > 200

    second = ingester.ingest_file(folder / "02_update.xml")
    assert (second.status, second.releases[0].result) == (Status.APPLIED, "updated")
    assert second.release_ids == first.release_ids

    replay = ingester.ingest_file(folder / "01_delivery.xml")
    assert replay.replayed
    assert replay.delivery_id == first.delivery_id
    resent = folder / "01_resent.xml"
    resent.write_bytes((folder / "01_delivery.xml").read_bytes() + b"\n")
    older = ingester.ingest_file(resent)
    assert older.status is Status.SUPERSEDED
    runtime.project()
    album = read_album(runtime, first.release_ids[0])
    assert album is not None
    assert [t["name"] for t in album["tracks"]] == ["Updated Example Song"]

    purge = ingester.ingest_file(folder / "03_delete.xml")
    assert (purge.status, purge.releases[0].result) == (Status.APPLIED, "deleted")
    assert purge.release_ids == first.release_ids
    runtime.project()
    assert read_album(runtime, first.release_ids[0]) is None
    assert lookup(runtime, "isrc", "USRC12345678") == []

    late = folder / "02_late.xml"
    late.write_bytes((folder / "02_update.xml").read_bytes() + b"\n")
    assert ingester.ingest_file(late).status is Status.SUPERSEDED
    assert release_id(runtime, sender, grid_key) is None

    final = ingester.ingest_file(folder / "04_no_deal.xml")
    assert final.status is Status.APPLIED
    runtime.project()
    album = read_album(runtime, final.release_ids[0])
    assert album is not None
    assert album["markets"] == []
    assert [t["markets"] for t in album["tracks"]] == [[]]


def test_a_purge_that_arrives_first_keeps_older_deliveries_out(
    corpus: Path, tmp_path: Path, runtime: Runtime, ingester: DdexIngester
) -> None:
    folder = copy_tree(corpus / AUDIUS, tmp_path / "audius")
    purge = ingester.ingest_file(folder / "03_delete.xml")
    assert purge.status is Status.SKIPPED
    assert "ddex_purge_unknown_release" in {p.code for p in purge.problems}
    for name in ("01_delivery.xml", "02_update.xml"):
        assert ingester.ingest_file(folder / name).status is Status.SUPERSEDED
    assert (
        release_id(
            runtime, "PADPIDA1234567890", "grid:" + "A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6Q7R8S9T0"
        )
        is None
    )
    assert ingester.ingest_file(folder / "04_no_deal.xml").status is Status.APPLIED


def test_another_sender_can_neither_take_over_nor_purge_a_release(
    corpus: Path, tmp_path: Path, runtime: Runtime, choreographer: Choreographer
) -> None:
    folder = copy_tree(corpus / CPD_BATCHES[2], tmp_path / "drop" / "20161024145603122")
    owned = run_batch(choreographer, folder)
    assert owned.status is Status.APPLIED
    runtime.project()
    before = read_album(runtime, owned.release_ids[0])

    stolen = (
        (folder / CPD_UPC / f"{CPD_UPC}.xml")
        .read_bytes()
        .replace(CPD_SENDER.encode(), OTHER_SENDER.encode())
    )
    stolen = stolen.replace(b"A Monkey Claw in a Velvet Glove", b"Taken Over")
    path = tmp_path / "other" / "takeover.xml"
    path.parent.mkdir()
    path.write_bytes(stolen)
    ingester = DdexIngester(runtime)
    takeover = ingester.ingest_file(path)
    assert takeover.status is Status.REJECTED
    assert "release_owned_by_other_sender" in {p.code for p in takeover.errors}
    assert release_id(runtime, OTHER_SENDER, f"upc:{CPD_UPC}") is None

    purge = ingester.ingest_bytes(
        purge_message(OTHER_SENDER, f"<ICPN>{CPD_UPC}</ICPN>", created="2030-01-01T00:00:00Z"),
        Source(label="purge-by-other"),
    )
    assert purge.status is Status.REJECTED
    assert [p.code for p in purge.errors] == ["ddex_purge_not_owner"]
    runtime.project()
    assert read_album(runtime, owned.release_ids[0]) == before
    assert lookup(runtime, "upc", CPD_UPC) == owned.release_ids


def test_a_purge_matches_the_release_on_any_of_its_ids(
    corpus: Path, tmp_path: Path, runtime: Runtime, ingester: DdexIngester
) -> None:
    path = copy_tree(corpus / FUGA, tmp_path / "fuga" / "release.xml")
    delivered = ingester.ingest_file(path)
    assert delivered.status is Status.APPLIED
    assert delivered.source_keys == ["upc:8718857546047"]
    purge = ingester.ingest_bytes(
        purge_message(
            FUGA_SENDER,
            f'<ProprietaryId Namespace="{FUGA_SENDER}">1000020402803</ProprietaryId>',
            created="2024-03-06T00:00:00Z",
        ),
        Source(label="purge-by-proprietary-id"),
    )
    assert purge.status is Status.APPLIED
    assert purge.releases[0].result == "deleted"
    assert purge.release_ids == delivered.release_ids
    runtime.project()
    assert read_album(runtime, delivered.release_ids[0]) is None
    assert lookup(runtime, "upc", "8718857546047") == []

    older = ingester.ingest_bytes(
        purge_message(
            FUGA_SENDER,
            "<ICPN>8718857546047</ICPN>",
            created="2024-03-01T00:00:00Z",
            message_id="P0",
        ),
        Source(label="older-purge"),
    )
    assert older.status is Status.SUPERSEDED
