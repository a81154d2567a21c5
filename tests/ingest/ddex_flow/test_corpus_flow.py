"""The whole corpus through the folder choreography: every file ends with a recorded
status, and every release the catalog keeps matches the message that won."""

from __future__ import annotations

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

from .support import copy_tree, read_album

pytestmark = pytest.mark.corpus

REJECTED = {
    "daddykev+ddex-suite/test-suite/nasty/billion-laughs.xml": "xml_",
    "miqwit+dedex/tests/samples/002_erroneous_xml.xml": "xml_malformed",
    "miqwit+dedex/tests/samples/004_xmlns_ern_missing.xml": "xml_malformed",
    "originalworks+protocol/DDEX_messages/ERN_UpdateReleaseMessage_example.xml": (
        "ddex_unknown_message_type"
    ),
}
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


def test_every_corpus_file_ends_with_a_status_and_releases_match(
    corpus: Path, tmp_path: Path, runtime: Runtime, choreographer: Choreographer
) -> None:
    drop = copy_tree(corpus, tmp_path / "corpus")
    outcomes = list(choreographer.run([drop]))
    assert not [o for o in outcomes if isinstance(o, BatchOutcome)]
    messages = {
        Path(o.file).relative_to(drop).as_posix(): o
        for o in outcomes
        if isinstance(o, MessageOutcome) and o.file
    }
    files = {
        p.relative_to(drop).as_posix()
        for p in drop.rglob("*.xml")
        if not is_manifest(p) and "ack" not in p.relative_to(drop).parts
    }
    assert len(files) == 41
    assert set(messages) == files
    assert all(o.delivery_id for o in messages.values())

    for name, code in REJECTED.items():
        outcome = messages[name]
        assert outcome.status is Status.REJECTED
        assert outcome.releases == ()
        assert outcome.errors[0].code.startswith(code), outcome.errors
    for name in SKIPPED:
        assert messages[name].status is Status.SKIPPED, (name, messages[name].problems)
    applied_or_not = {n for n, o in messages.items() if o.status is not Status.REJECTED}
    assert applied_or_not == files - set(REJECTED)

    acks = [p for p in drop.rglob("ACK_*.xml") if "ack" in p.parts]
    assert len(acks) == len(messages)
    for ack in acks:
        parse_xml(ack.read_bytes())

    with runtime.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 41
        batches = session.scalars(sa.select(DeliveryBatch)).all()
        assert sorted(b.status for b in batches) == ["processed"] * 7
        assert {b.manifest_kind for b in batches} == {"echo", "ern-c"}

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
        checked += 1
    assert checked == 17
    with runtime.sessions() as session:
        active = session.scalar(
            sa.select(sa.func.count()).select_from(Release).where(Release.status == "active")
        )
        outbox = session.scalar(sa.select(sa.func.count()).select_from(OutboxRow))
    assert active == checked

    again = list(choreographer.run([drop]))
    assert all(isinstance(o, MessageOutcome) and o.replayed for o in again)
    assert len(again) == 41
    with runtime.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboxRow)) == outbox
        assert session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 41
