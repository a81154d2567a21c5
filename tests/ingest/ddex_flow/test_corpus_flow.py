"""The whole corpus through the folder choreography: every file ends with a recorded
status, and every release the catalog keeps matches the message that won."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from liner.catalog.markets import MARKETS
from liner.ingest.ddex import parse_ern
from liner.ingest.ddex.choreography import Choreographer, is_manifest
from liner.ingest.ddex.outcomes import BatchOutcome, MessageOutcome, Status
from liner.ingest.records import Availability, ReleaseRecord
from liner.kit.xml import parse_xml
from liner.models import Delivery, DeliveryBatch, OutboxRow, Release
from liner.runtime import Runtime

from .support import CPD_BATCHES, AppClient, copy_tree, read_album

pytestmark = pytest.mark.corpus

REJECTED = {
    "daddykev+ddex-suite/test-suite/nasty/billion-laughs.xml": "xml_",
    "miqwit+dedex/tests/samples/002_erroneous_xml.xml": "xml_malformed",
    "miqwit+dedex/tests/samples/004_xmlns_ern_missing.xml": "xml_malformed",
    "originalworks+protocol/DDEX_messages/ERN_UpdateReleaseMessage_example.xml": (
        "ddex_unknown_message_type"
    ),
}
BAD_CHECK_DIGIT_UPCS = {
    "05099907138655",
    "0000000000900",
    "721620118166",
    "1234567890123",
    "123123123123",
}
"""UPCs in the corpus that fail the GS1 check digit (a warning: the releases are kept)."""
SKIPPED = {
    "daddykev+ddex-suite/examples/Samples43/2 Video.xml",
    "daddykev+ddex-suite/examples/Samples43/5 SimpleVideoSingle.xml",
    "daddykev+ddex-suite/examples/Samples43/6 Ringtone.xml",
    "daddykev+ddex-suite/examples/Samples43/7 LongformMusicalWorkVideo.xml",
    "googleinterns+ddex-mead-parser/java/ddex-convertercli/src/main/resources/ern35/"
    "LongformVideo_10.xml",
    "googleinterns+ddex-mead-parser/java/ddex-convertercli/src/main/resources/ern381/"
    "Profile_MidiRingtone.xml",
    "googleinterns+ddex-mead-parser/java/ddex-convertercli/src/main/resources/ern381/"
    "Profile_Ringtone.xml",
    "miqwit+dedex/tests/samples/017_purged_release.xml",
    "originalworks+protocol/DDEX_messages/ERN_PurgeReleaseMessage_example.xml",
}


def expected_markets(deals: tuple[Availability, ...], now: datetime) -> list[str]:
    allowed: set[str] = set()
    removed: set[str] = set()
    for deal in deals:
        if (deal.start is not None and now < deal.start) or (
            deal.end is not None and now >= deal.end
        ):
            continue
        where = set(MARKETS) if "WW" in deal.territories else set(deal.territories) & set(MARKETS)
        where -= set(deal.excluded_territories)
        if deal.takedown:
            removed |= where
        elif not deal.use_types or any("stream" in u.lower() for u in deal.use_types):
            allowed |= where
    return sorted(allowed - removed)


def check_release(album: dict[str, Any], record: ReleaseRecord, now: datetime) -> None:
    assert album["upc"] == record.upc
    assert album["artists"] == [c.artist.name for c in record.artists]
    ordered = sorted(record.tracks, key=lambda t: (t.disc_number, t.track_number))
    assert [(t["disc"], t["number"]) for t in album["tracks"]] == [
        (t.disc_number, t.track_number) for t in ordered
    ]
    assert [t["isrc"] for t in album["tracks"]] == [t.isrc for t in ordered]
    release_markets = expected_markets(record.availability, now)
    union: set[str] = set()
    for served, track in zip(album["tracks"], ordered, strict=True):
        artists = [c.artist.name for c in (track.artists or record.artists)]
        assert served["artists"] == artists
        markets = (
            expected_markets(track.availability, now) if track.availability else release_markets
        )
        assert served["markets"] == markets, (track.isrc, record.upc)
        union.update(markets)
    assert album["markets"] == (release_markets if record.availability else sorted(union))


def _served_upc(album: dict[str, Any]) -> str | None:
    ids = album["external_ids"]
    found: str | None = ids.get("upc") or ids.get("ean")
    return found


def check_over_http(client: AppClient, album_id: str, record: ReleaseRecord, now: datetime) -> None:
    """The release as a Spotify client reads it: by UPC, by ISRC, with and without a
    market."""
    if record.upc and record.upc not in BAD_CHECK_DIGIT_UPCS:
        by_upc = client.json(f"/v1/albums?upc={record.upc}")["albums"]
        assert [a["id"] for a in by_upc] == [album_id], record.upc
    album = client.json(f"/v1/albums/{album_id}")
    assert _served_upc(album) == record.upc
    assert [a["name"] for a in album["artists"]] == [c.artist.name for c in record.artists]
    ordered = sorted(record.tracks, key=lambda t: (t.disc_number, t.track_number))
    assert album["total_tracks"] == len(ordered)
    simple: list[dict[str, Any]] = []
    url: str | None = f"/v1/albums/{album_id}/tracks?limit=50"
    while url:
        page = client.json(url)
        simple.extend(page["items"])
        url = page["next"].removeprefix("http://liner.test") if page["next"] else None
    assert [(t["disc_number"], t["track_number"]) for t in simple] == [
        (t.disc_number, t.track_number) for t in ordered
    ]
    release_markets = expected_markets(record.availability, now)
    union: set[str] = set()
    for served, track in zip(simple, ordered, strict=True):
        full = client.json(f"/v1/tracks/{served['id']}")
        assert full["album"]["id"] == album_id
        assert full["external_ids"].get("isrc") == track.isrc
        assert [a["name"] for a in full["artists"]] == [
            c.artist.name for c in (track.artists or record.artists)
        ]
        markets = (
            expected_markets(track.availability, now) if track.availability else release_markets
        )
        assert sorted(full["available_markets"]) == markets, (track.isrc, record.upc)
        union.update(markets)
        if track.isrc:
            by_isrc = client.json(f"/v1/tracks?isrc={track.isrc}")["tracks"]
            assert served["id"] in [t["id"] for t in by_isrc]
        inside = markets[0] if markets else None
        outside = next((m for m in sorted(MARKETS) if m not in markets), None)
        if inside is not None:
            playable = client.json(f"/v1/tracks/{served['id']}?market={inside}")
            assert playable["is_playable"] is True
        if outside is not None:
            blocked = client.json(f"/v1/tracks/{served['id']}?market={outside}")
            assert blocked["is_playable"] is False
            assert blocked["restrictions"] == {"reason": "market"}
    album_markets = release_markets if record.availability else sorted(union)
    assert sorted(album["available_markets"]) == album_markets
    outside = next((m for m in sorted(MARKETS) if m not in album_markets), None)
    if outside is not None:
        assert "restrictions" in client.json(f"/v1/albums/{album_id}?market={outside}")
    if album_markets:
        assert "restrictions" not in client.json(f"/v1/albums/{album_id}?market={album_markets[0]}")


def test_every_corpus_file_ends_with_a_status_and_releases_match(
    corpus: Path, tmp_path: Path, runtime: Runtime, choreographer: Choreographer
) -> None:
    drop = copy_tree(corpus, tmp_path / "corpus")
    outcomes = list(choreographer.run([drop]))
    every_file = {
        p.relative_to(drop).as_posix()
        for p in drop.rglob("*.xml")
        if "ack" not in p.relative_to(drop).parts
    }
    assert len(every_file) == 48

    # Every file ends with a recorded status: each message its own, each manifest its
    # batch's (processed once every message it lists has one).
    messages = {
        Path(o.file).relative_to(drop).as_posix(): o
        for o in outcomes
        if isinstance(o, MessageOutcome) and o.file
    }
    manifests = {
        Path(o.manifest).relative_to(drop).as_posix(): o
        for o in outcomes
        if isinstance(o, BatchOutcome) and o.manifest
    }
    assert len(outcomes) == 48
    assert set(messages) | set(manifests) == every_file
    assert len(messages) == 41
    assert all(o.delivery_id for o in messages.values())
    assert set(manifests) == {f for f in every_file if is_manifest(Path(f))}
    assert len(manifests) == 7
    for name, batch in manifests.items():
        assert batch.status == "processed", (name, batch.problems)
        assert batch.delivery_id is not None
        listed = [m for m in messages.values() if m.batch == batch.delivery_id]
        assert [m.delivery_id for m in listed] == list(batch.messages)
        assert len(listed) == batch.expected == 1

    for name, code in REJECTED.items():
        outcome = messages[name]
        assert outcome.status is Status.REJECTED
        assert outcome.releases == ()
        assert outcome.errors[0].code.startswith(code), outcome.errors
    for name in SKIPPED:
        assert messages[name].status is Status.SKIPPED, (name, messages[name].problems)
    applied_or_not = {n for n, o in messages.items() if o.status is not Status.REJECTED}
    assert applied_or_not == set(messages) - set(REJECTED)
    assert Counter(str(o.status) for o in messages.values()) == {
        "applied": 26,
        "rejected": 4,
        "skipped": 9,
        "superseded": 2,
    }

    acks = [p for p in drop.rglob("ACK_*.xml") if "ack" in p.parts]
    assert len(acks) == len(messages)
    for ack in acks:
        parse_xml(ack.read_bytes())

    with runtime.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 41
        batches = session.scalars(sa.select(DeliveryBatch)).all()
        assert sorted(b.status for b in batches) == ["processed"] * 7
        assert {b.manifest_kind for b in batches} == {"echo", "ern-c"}
        stored = {(d.file_path, d.status) for d in session.scalars(sa.select(Delivery)).all()}
    assert stored == {(str(drop / n), str(o.status)) for n, o in messages.items()}

    # Each release the catalog keeps is the one of the newest message about it.
    now = datetime.now(UTC)
    winners: dict[tuple[str, str], tuple[Any, str, str]] = {}
    for name, outcome in messages.items():
        if outcome.status not in (Status.APPLIED, Status.UNCHANGED):
            continue
        if outcome.message_type != "NewReleaseMessage":
            continue
        assert outcome.created_at is not None
        for release in outcome.releases:
            key = (outcome.sender, release.source_key)
            rank = (outcome.created_at, outcome.order_key, name)
            if key not in winners or winners[key] < rank:
                winners[key] = rank
    runtime.project()
    client = AppClient(runtime.settings)
    try:
        checked = 0
        for (sender, source_key), (_, _, name) in winners.items():
            parsed = parse_ern((drop / name).read_bytes())
            (record,) = [r for r in parsed.releases if r.natural_key() == source_key]
            with runtime.sessions() as session:
                public_id = session.scalar(
                    sa.select(Release.public_id).where(
                        Release.owner == sender,
                        Release.source_key == source_key,
                        Release.status == "active",
                    )
                )
            assert public_id is not None, (sender, source_key)
            album = read_album(runtime, public_id)
            assert album is not None
            check_release(album, record, now)
            check_over_http(client, public_id, record, now)
            checked += 1
        assert checked == 17
        spot_checks(client)
    finally:
        client.close()
    with runtime.sessions() as session:
        active = session.scalar(
            sa.select(sa.func.count()).select_from(Release).where(Release.status == "active")
        )
        outbox = session.scalar(sa.select(sa.func.count()).select_from(OutboxRow))
    assert active == checked

    again = list(choreographer.run([drop]))
    assert all(o.replayed for o in again)
    assert len(again) == 48
    assert [o for o in again if isinstance(o, BatchOutcome)] == [
        replace(o, replayed=True) for o in outcomes if isinstance(o, BatchOutcome)
    ]
    with runtime.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboxRow)) == outbox
        assert session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 41


def spot_checks(client: AppClient) -> None:
    """A few releases checked against values read off the files by hand, not through
    the parser."""
    (fuga,) = client.json("/v1/albums?upc=8718857546047")["albums"]
    assert [a["name"] for a in fuga["artists"]] == ["2pec Shakur", "2FUGA"]
    assert [t["name"] for t in fuga["tracks"]["items"]] == [
        "All My Single - Sample Credited Version 1"
    ]
    # Europe by list, plus "Worldwide minus Europe" by ExcludedTerritoryCode: everywhere.
    assert len(fuga["available_markets"]) == len(MARKETS)
    (track,) = client.json("/v1/tracks?isrc=NLRD51952976")["tracks"]
    assert track["album"]["id"] == fuga["id"]

    (sony,) = client.json("/v1/albums?upc=196871335584")["albums"]
    assert [a["name"] for a in sony["artists"]] == ["Theo Random"]
    # The album itself is offered for download only; its two track releases stream in
    # 233 territories (not Japan).
    assert sony["available_markets"] == []
    isrcs = []
    for item in sony["tracks"]["items"]:
        full = client.json(f"/v1/tracks/{item['id']}")
        isrcs.append(full["external_ids"]["isrc"])
        assert len(full["available_markets"]) == 233
        assert "JP" not in full["available_markets"]
        assert "ZA" in full["available_markets"]
        assert client.json(f"/v1/tracks/{item['id']}?market=JP")["is_playable"] is False
    assert isrcs == ["ZAA012300131", "ZAA012300128"]

    (audio,) = client.json("/v1/albums?upc=00094631432057")["albums"]
    assert audio["total_tracks"] == 21
    assert [a["name"] for a in audio["artists"]] == ["Saeko Shu"]
    first = client.json(f"/v1/tracks/{audio['tracks']['items'][0]['id']}")
    assert first["available_markets"] == ["JP"]
    assert first["external_ids"]["isrc"] == "JPTO09404900"

    # Revelator's UTF-16 single has no DealList: catalogued, available nowhere.
    (gobe,) = client.json("/v1/albums?upc=701798205904")["albums"]
    assert gobe["name"] == "Gobe"
    assert gobe["available_markets"] == []


def test_a_release_with_a_bad_check_digit_is_found_by_its_upc(
    corpus: Path, tmp_path: Path, runtime: Runtime, choreographer: Choreographer
) -> None:
    batch = copy_tree(corpus / CPD_BATCHES[6], tmp_path / "drop" / "20161024145603126")
    outcomes = list(choreographer.run([batch]))
    assert outcomes[0].status is Status.APPLIED
    runtime.project()
    client = AppClient(runtime.settings)
    try:
        response = client.request("GET", "/v1/albums?upc=721620118166")
        assert response.status_code == 200, response.text
        assert [a["external_ids"]["upc"] for a in response.json()["albums"]] == ["721620118166"]
    finally:
        client.close()
