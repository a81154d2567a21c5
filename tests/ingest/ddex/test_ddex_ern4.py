"""ERN 4 mapping, on hand-written ERN 4.3 and 4.1.1 messages (fixtures/)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from liner.ingest.ddex import ErnMessage, MessageParty, MessageType, parse_ern
from liner.ingest.records import (
    Availability,
    DatePrecision,
    ExternalId,
    FileAsset,
    Image,
    LocalizedName,
    PartialDate,
    ReleaseRecord,
    ReleaseType,
)

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> ErnMessage:
    return parse_ern((FIXTURES / name).read_bytes(), location=name)


@pytest.fixture(scope="module")
def message() -> ErnMessage:
    return load("ern43_album.xml")


@pytest.fixture(scope="module")
def release(message: ErnMessage) -> ReleaseRecord:
    assert len(message.releases) == 1
    return message.releases[0]


def test_header(message: ErnMessage) -> None:
    assert message.version == "4.3"
    assert message.message_type is MessageType.NEW_RELEASE
    assert message.message_id == "M43-1"
    assert message.created_at == datetime(2024, 6, 1, 12, tzinfo=UTC)
    assert message.recipients == (
        MessageParty("PADPIDA202401120D9", "Liner"),
        MessageParty("PADPIDA2011072101T", None),
    )
    assert message.is_test
    assert message.update_indicator is None


def test_release(release: ReleaseRecord) -> None:
    assert release.title == "Tidal Lines"
    assert release.release_type is ReleaseType.EP
    assert release.upc is None
    assert release.grid == "A1LINERTEST000002S"
    assert release.source_key == "grid:A1LINERTEST000002S"
    assert release.ids == (ExternalId("proprietary:PADPIDA2024LINER0N", "ep-43"),)
    assert release.label == "Blue Label"
    assert release.genres == ("J-Pop",)
    assert release.release_date == PartialDate(date(2024, 7, 1))
    assert release.original_release_date == PartialDate(date(2024, 1, 1), DatePrecision.YEAR)
    assert release.parental_warning == "explicit"
    assert release.images == (Image("resources/cover.png", 1400, 1400),)


def test_party_list_resolves_names_scripts_and_ids(release: ReleaseRecord) -> None:
    (credit,) = release.artists
    assert credit.artist.name == "Kaori"
    assert credit.artist.names == (
        LocalizedName("かおり", "ja-Jpan"),
        LocalizedName("Kaori R.", "ja-Latn"),
    )
    assert credit.artist.ids == (ExternalId("isni", "0000000121032683"),)


def test_tracks_in_sequence_order_without_the_video(release: ReleaseRecord) -> None:
    assert [(t.disc_number, t.track_number, t.isrc) for t in release.tracks] == [
        (1, 1, "JPAA02400001"),
        (1, 2, "JPAA02400002"),
    ]


def test_first_track(release: ReleaseRecord) -> None:
    track = release.tracks[0]
    assert track.title == "Moonrise"
    assert track.version_title == "Live"
    assert track.duration_ms == 242_250
    assert track.explicit is False
    assert [(c.artist.name, c.join_phrase, c.role) for c in track.artists] == [
        ("Kaori", " with ", "main"),
        ("Guest", "", "featured"),
    ]
    assert [(c.artist.name, c.role) for c in track.contributors] == [
        ("Wren Writer", "composer"),
        ("Wren Writer", "lyricist"),
    ]
    assert track.contributors[0].artist.ids == (
        ExternalId("proprietary:PADPIDA2024LINER0N", "w-9"),
    )
    assert track.genres == ("City Pop",)
    assert track.ids == (ExternalId("iswc", "T1234567890"),)
    assert track.assets == (
        FileAsset(
            "resources/A1.wav",
            "audio",
            "sha256",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ),
    )


def test_deal_with_several_release_references_applies_to_release_and_track(
    release: ReleaseRecord,
) -> None:
    asia = Availability(
        territories=("JP", "KR", "TW"),
        start=datetime(2024, 6, 30, 15, tzinfo=UTC),
        end=datetime(2025, 6, 30, 15, tzinfo=UTC),
        commercial_models=("subscription_model",),
        use_types=("on_demand_stream",),
    )
    preorder = Availability(
        territories=("WW",),
        start=datetime(2024, 6, 1, tzinfo=UTC),
        commercial_models=("pay_as_you_go_model",),
        use_types=("permanent_download",),
        preorder_start=datetime(2024, 6, 1, tzinfo=UTC),
    )
    assert release.availability == (asia, preorder)
    assert release.tracks[0].availability == (asia,)
    assert release.tracks[1].availability == ()


def test_skipped_and_problems(message: ErnMessage) -> None:
    (skipped,) = message.skipped
    assert (skipped.reference, skipped.reason) == ("R3", "no_sound_recordings")
    codes = {p.code for p in message.problems}
    assert codes == {
        "ddex_iswc_check_digit",
        "ddex_party_reference_dangling",
        "ddex_resources_not_carried",
    }
    assert not message.rejected


def test_ern411_single() -> None:
    message = load("ern411_single.xml")
    assert message.version == "4.1.1"
    assert message.created_at == datetime(2023, 12, 1, 4, 30, tzinfo=UTC)
    (release,) = message.releases
    assert release.release_type is ReleaseType.SINGLE
    assert release.upc == "036000291452"
    assert release.source_key == "upc:036000291452"
    assert release.p_line == "(P) 2023 Solo"
    assert release.label is None
    (track,) = release.tracks
    assert (track.isrc, track.title, track.duration_ms) == ("USRC17607839", "Only One", 185_000)
    assert release.parental_warning is None
    codes = {p.code for p in message.problems}
    assert {
        "ddex_file_path_suspicious",
        "ddex_deal_period_inverted",
        "ddex_image_missing",
        "ddex_party_reference_dangling",
    } == codes


def test_purge_maps_to_the_same_key_as_the_delivery(release: ReleaseRecord) -> None:
    purge = load("ern43_purge.xml")
    assert purge.message_type is MessageType.PURGE_RELEASE
    assert purge.releases == ()
    (purged,) = purge.purged
    assert purged.source_key == release.source_key
    assert purged.title == "Tidal Lines"
    assert purge.purged_release_ids == (
        ExternalId("grid", "A1LINERTEST000002S"),
        ExternalId("proprietary:PADPIDA2024LINER0N", "ep-43"),
    )
    assert purge.problems == ()
