"""ERN 3 mapping, on a hand-written ERN 3.8.2 album (fixtures/ern382_album.xml)."""

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


@pytest.fixture(scope="module")
def message() -> ErnMessage:
    return parse_ern((FIXTURES / "ern382_album.xml").read_bytes(), location="ern382_album.xml")


@pytest.fixture(scope="module")
def release(message: ErnMessage) -> ReleaseRecord:
    assert len(message.releases) == 1
    return message.releases[0]


def test_header(message: ErnMessage) -> None:
    assert message.message_type is MessageType.NEW_RELEASE
    assert message.version == "3.8.2"
    assert message.message_id == "MSG-0001"
    assert message.thread_id == "THREAD-0001"
    assert message.sender_dpid == "PADPIDA2024LINER0N"
    assert message.sender_name == "Liner Test Label"
    assert message.sent_on_behalf_of == MessageParty("PADPIDA2011072101T", "Behalf Records")
    assert message.recipients == (MessageParty("PADPIDA202401120D9", "Liner"),)
    assert message.created_at == datetime(2024, 3, 5, 8, 1, 48, 123456, tzinfo=UTC)
    assert message.update_indicator == "OriginalMessage"
    assert message.control_type == "LiveMessage"
    assert not message.is_test
    assert message.release_profile == "CommonReleaseTypesTypes/14/AudioAlbumMusicOnly"
    assert message.location == "ern382_album.xml"
    assert not message.rejected
    provenance = message.provenance()
    assert (provenance.kind, provenance.sender, provenance.reference) == (
        "ddex",
        "PADPIDA2024LINER0N",
        "MSG-0001",
    )


def test_release_identity(release: ReleaseRecord) -> None:
    assert release.upc == "5012345678900"
    assert release.grid == "A1LINERTEST000001U"
    assert release.catalog_number == "LTL-001"
    assert release.ids == (ExternalId("proprietary:PADPIDA2024LINER0N", "rel-001"),)
    assert release.source_key == "upc:5012345678900"
    assert release.natural_key() == "upc:5012345678900"


def test_release_metadata_comes_from_the_worldwide_block(release: ReleaseRecord) -> None:
    assert release.title == "Night Drive"
    assert release.version_title == "Deluxe Edition"
    assert release.release_type is ReleaseType.ALBUM
    assert release.label == "Liner Test Label"
    assert [(c.artist.name, c.join_phrase, c.role) for c in release.artists] == [
        ("Alpha", " & ", "main"),
        ("Zeta", "", "main"),
    ]
    assert release.p_line == "(P) 2024 Liner Test Label"
    assert release.c_line == "(C) 2024 Liner Test Label"
    assert release.release_date == PartialDate(date(2024, 5, 1), DatePrecision.MONTH)
    assert release.original_release_date == PartialDate(date(1999, 1, 1), DatePrecision.YEAR)
    assert release.genres == ("Electronic", "Synthwave")
    assert release.parental_warning == "explicit"


def test_release_image_and_assets(release: ReleaseRecord) -> None:
    assert release.images == (Image("resources/cover.jpg", 3000, 3000),)
    assert release.assets == (
        FileAsset("resources/cover.jpg", "image", "md5", "03a3372963d1567ef98f7229c49538e0"),
    )


def test_tracks_follow_disc_groups_and_sequence_numbers(release: ReleaseRecord) -> None:
    assert [(t.disc_number, t.track_number, t.source_ref) for t in release.tracks] == [
        (1, 1, "A1"),
        (1, 2, "A2"),
        (2, 1, "A3"),
    ]
    assert [t.isrc for t in release.tracks] == ["GBAAA2400001", "GBAAA2400002", "GBAAA2400003"]


def test_first_track(release: ReleaseRecord) -> None:
    track = release.tracks[0]
    assert track.title == "First Light"
    assert track.version_title == "Radio Edit"
    assert track.duration_ms == 205_500
    assert track.explicit is True
    assert track.genres == ("Electronic", "House")
    assert [(c.artist.name, c.join_phrase, c.role) for c in track.artists] == [
        ("Alpha", " feat. ", "main"),
        ("Beta", "", "featured"),
    ]
    alpha = track.artists[0].artist
    assert alpha.names == (LocalizedName("アルファ", "ja-Jpan"),)
    assert alpha.ids == (ExternalId("isni", "0000000121032683"),)
    assert [(c.artist.name, c.role, c.user_defined_role) for c in track.contributors] == [
        ("Delta", "remixer", "Remixer"),
        ("Delta", "other", "Vibes Curator"),
        ("Gamma", "producer", None),
        ("Epsilon", "composer_lyricist", None),
    ]
    assert track.ids == (
        ExternalId("proprietary:PADPIDA2024LINER0N", "rec-001"),
        ExternalId("iswc", "T0345246801"),
    )
    assert track.assets == (
        FileAsset("resources/A1.flac", "audio", "md5", "5e2994cdd94f14a197283a00387ca451"),
    )


def test_second_track_version_title_type_and_own_deal(release: ReleaseRecord) -> None:
    track = release.tracks[1]
    assert track.title == "Second Wind"
    assert track.version_title == "Acoustic Version"
    assert track.duration_ms == 241_000
    assert track.explicit is False
    assert [c.artist.name for c in track.artists] == ["Alpha", "Zeta"]
    assert track.availability == (
        Availability(
            territories=("GB",),
            start=datetime(2024, 5, 17, tzinfo=UTC),
            commercial_models=("pay_as_you_go_model",),
            use_types=("permanent_download",),
        ),
    )


def test_third_track_falls_back_to_reference_title_and_drops_absurd_duration(
    message: ErnMessage, release: ReleaseRecord
) -> None:
    track = release.tracks[2]
    assert track.title == "Third Eye"
    assert track.duration_ms is None
    assert track.explicit is True
    assert track.availability == ()
    codes = {(p.code, p.location) for p in message.problems}
    assert (
        "ddex_duration_invalid",
        "/NewReleaseMessage/ResourceList/SoundRecording[3]/Duration",
    ) in codes


def test_release_deals(release: ReleaseRecord) -> None:
    worldwide, north_america, france = release.availability
    assert worldwide == Availability(
        territories=("WW",),
        excluded_territories=("CA", "US"),
        start=datetime(2024, 5, 17, 4, tzinfo=UTC),
        commercial_models=("subscription_model", "advertisement_supported_model"),
        use_types=("on_demand_stream", "non_interactive_stream"),
        preorder_start=datetime(2024, 4, 1, tzinfo=UTC),
    )
    assert north_america.territories == ("CA", "US")
    assert north_america.start == datetime(2024, 6, 1, tzinfo=UTC)
    assert north_america.end == datetime(2025, 1, 1, tzinfo=UTC)
    assert france.territories == ("FR",)
    assert france.takedown is True


def test_problems_are_warnings_with_locations(message: ErnMessage) -> None:
    found = {p.code: p for p in message.problems}
    assert set(found) == {
        "ddex_duration_invalid",
        "ddex_duration_missing",
        "ddex_territory_invalid",
        "ddex_deal_reference_dangling",
    }
    assert all(p.severity == "warning" for p in message.problems)
    assert found["ddex_territory_invalid"].location == (
        "/NewReleaseMessage/DealList/ReleaseDeal[1]/Deal[1]/DealTerms/ExcludedTerritoryCode[3]"
    )
    assert "R404" in found["ddex_deal_reference_dangling"].message


def test_track_release_is_folded_not_skipped(message: ErnMessage) -> None:
    assert message.skipped == ()
