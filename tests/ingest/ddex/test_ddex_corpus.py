"""The parser against the 48 real ERN messages in ../shared/corpus/ddex (see its INDEX.md)."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from liner.ingest.ddex import DdexError, ErnMessage, MessageType, parse_ern
from liner.ingest.records import ExternalId, LocalizedName, ReleaseRecord, ReleaseType
from liner.kit.errors import LinerError, XmlError

pytestmark = pytest.mark.corpus

AUDIUS = "AudiusProject+ddex-processor/fixtures"
BATCH = "AudiusProject+audius-protocol/packages/ddex/ingester/e2e_test/fixtures/batch"
CPD = {
    1: f"{BATCH}/ern382/1_CPD1/20161024145603121/721620118165/721620118165.xml",
    2: f"{BATCH}/ern382/2_CPD2/20161024145603122/721620118165/721620118165.xml",
    3: f"{BATCH}/ern382/CPD3/20161024145603123/721620118165/721620118165.xml",
    4: f"{BATCH}/ern382/CPD4/20161024145603124/721620118165/721620118165.xml",
    5: f"{BATCH}/ern382/CPD5/20161024145603125/721620118165/721620118165.xml",
    6: f"{BATCH}/ern382/CPD6/20161024145603126/721620118166/721620118166.xml",
}
FUGA = f"{BATCH}/fuga/20240305090206405/8718857546047/8718857546047.xml"
SONY = (
    "AudiusProject+audius-protocol/packages/ddex/ingester/e2e_test/fixtures/"
    "release_by_release/ern381/sony1/A10301A0005108088N/A10301A0005108088N.xml"
)
SAMPLES43 = "daddykev+ddex-suite/examples/Samples43"
PROFILES = "googleinterns+ddex-mead-parser/java/ddex-convertercli/src/main/resources"
DEDEX = "miqwit+dedex/tests/samples"
ORIGINAL_WORKS = "originalworks+protocol/DDEX_messages"


@pytest.fixture(scope="module")
def corpus(shared_dir: Path) -> Path:
    folder = shared_dir / "corpus" / "ddex"
    if not folder.is_dir():
        pytest.skip("no DDEX corpus in ../shared")
    return folder


@pytest.fixture(scope="module")
def outcomes(corpus: Path) -> dict[str, ErnMessage | LinerError]:
    """Every corpus file parsed once; any exception other than a LinerError fails."""
    results: dict[str, ErnMessage | LinerError] = {}
    for path in sorted(corpus.rglob("*.xml")):
        name = path.relative_to(corpus).as_posix()
        try:
            results[name] = parse_ern(path.read_bytes(), location=name)
        except LinerError as exc:
            results[name] = exc
    return results


def message(outcomes: dict[str, ErnMessage | LinerError], name: str) -> ErnMessage:
    outcome = outcomes[name]
    assert isinstance(outcome, ErnMessage), f"{name}: {outcome!r}"
    return outcome


def only_release(outcomes: dict[str, ErnMessage | LinerError], name: str) -> ReleaseRecord:
    parsed = message(outcomes, name)
    assert not parsed.rejected, parsed.errors
    (release,) = parsed.releases
    return release


def test_every_file_is_a_message_or_a_typed_error(
    corpus: Path, outcomes: dict[str, ErnMessage | LinerError]
) -> None:
    assert len(outcomes) == 48
    messages = [o for o in outcomes.values() if isinstance(o, ErnMessage)]
    errors = {name: o for name, o in outcomes.items() if isinstance(o, LinerError)}
    assert len(messages) == 37
    assert len(errors) == 11
    assert sum(m.message_type is MessageType.PURGE_RELEASE for m in messages) == 3
    assert all(m.created_at is not None and m.created_at.tzinfo is UTC for m in messages)
    manifests = [n for n in errors if Path(n).name.startswith("BatchComplete_")]
    assert len(manifests) == 7
    assert all(errors[n].code == "ddex_unknown_message_type" for n in manifests)


def test_whole_corpus_parses_quickly(corpus: Path) -> None:
    started = time.perf_counter()
    for path in corpus.rglob("*.xml"):
        with contextlib.suppress(LinerError):
            parse_ern(path.read_bytes())
    assert time.perf_counter() - started < 5


def test_hostile_and_broken_files_give_xml_errors(
    outcomes: dict[str, ErnMessage | LinerError],
) -> None:
    for name in (
        "daddykev+ddex-suite/test-suite/nasty/billion-laughs.xml",
        f"{DEDEX}/002_erroneous_xml.xml",
        f"{DEDEX}/004_xmlns_ern_missing.xml",
    ):
        assert isinstance(outcomes[name], XmlError), name


def test_update_release_message_does_not_exist(
    outcomes: dict[str, ErnMessage | LinerError],
) -> None:
    outcome = outcomes[f"{ORIGINAL_WORKS}/ERN_UpdateReleaseMessage_example.xml"]
    assert isinstance(outcome, DdexError)
    assert outcome.code == "ddex_unknown_message_type"


def test_cpd_update_chain(outcomes: dict[str, ErnMessage | LinerError]) -> None:
    releases = {step: only_release(outcomes, CPD[step]) for step in range(1, 6)}
    assert {r.source_key for r in releases.values()} == {"upc:721620118165"}
    assert {r.upc for r in releases.values()} == {"721620118165"}
    assert [releases[s].release_type for s in range(1, 6)] == [
        ReleaseType.ALBUM,
        ReleaseType.EP,
        ReleaseType.SINGLE,
        ReleaseType.COMPILATION,
        ReleaseType.COMPILATION,
    ]
    assert [len(releases[s].tracks) for s in range(1, 6)] == [2, 2, 6, 6, 6]
    assert [t.isrc for t in releases[3].tracks] == [f"CASE0000000{n}" for n in range(1, 7)]
    assert releases[1].title == "A Monkey Claw in a Velvet Glove"
    assert releases[1].artists[0].artist.name == "Monkey Claw"
    assert releases[1].tracks[0].duration_ms == 811_000
    # deals are on the track releases only
    assert all(r.availability == () for r in releases.values())
    first = releases[1].tracks[0].availability[0]
    assert (first.territories, first.use_types) == (("NL",), ("stream",))
    assert first.start == datetime(2018, 1, 10, tzinfo=UTC)
    assert releases[2].tracks[0].availability[0].territories == ("BE", "NL")
    assert releases[3].tracks[5].availability[0].start == datetime(2018, 7, 25, 4, tzinfo=UTC)
    # CPD4: the deal for the first track is gone; CPD5: every deal is gone
    assert releases[4].tracks[0].availability == ()
    assert all(t.availability for t in releases[4].tracks[1:])
    assert all(t.availability == () for t in releases[5].tracks)


def test_cpd6_classical_release_with_a_bad_upc(
    outcomes: dict[str, ErnMessage | LinerError],
) -> None:
    parsed = message(outcomes, CPD[6])
    (release,) = parsed.releases
    assert release.upc == "721620118166"
    assert release.release_type is ReleaseType.ALBUM
    assert [p.severity for p in parsed.problems if p.code == "ddex_icpn_check_digit"] == ["warning"]
    assert release.availability == ()
    assert all(t.availability == () for t in release.tracks)


def test_audius_chain(outcomes: dict[str, ErnMessage | LinerError]) -> None:
    delivery = message(outcomes, f"{AUDIUS}/01_delivery.xml")
    update = message(outcomes, f"{AUDIUS}/02_update.xml")
    purge = message(outcomes, f"{AUDIUS}/03_delete.xml")
    no_deal = message(outcomes, f"{AUDIUS}/04_no_deal.xml")
    key = "grid:A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6Q7R8S9T0"
    assert delivery.releases[0].source_key == key
    assert update.releases[0].source_key == key
    assert no_deal.releases[0].source_key == key
    assert purge.message_type is MessageType.PURGE_RELEASE
    assert [p.source_key for p in purge.purged] == [key]
    assert delivery.created_at == datetime(2024, 4, 1, 5, tzinfo=UTC)
    assert update.created_at == datetime(2024, 4, 1, 6, tzinfo=UTC)
    assert delivery.created_at < update.created_at
    assert delivery.releases[0].tracks[0].title == "Example Song"
    assert update.releases[0].tracks[0].title == "Updated Example Song"
    assert delivery.releases[0].tracks[0].isrc == "USRC12345678"
    assert delivery.releases[0].artists[0].artist.name == "DJ Theo"
    (open_deal,) = delivery.releases[0].availability
    assert (open_deal.territories, open_deal.end) == (("WW",), None)
    assert open_deal.commercial_models == ("free_of_charge_model",)
    (expired,) = no_deal.releases[0].availability
    assert expired.end == datetime(2023, 10, 3, tzinfo=UTC)
    assert no_deal.created_at is not None
    assert expired.end < no_deal.created_at


def test_sony_delivery(outcomes: dict[str, ErnMessage | LinerError]) -> None:
    parsed = message(outcomes, SONY)
    assert parsed.version == "3.8.1"
    assert parsed.sender_dpid == "PADPIDA2007040502I"
    assert parsed.created_at == datetime(2023, 8, 17, 10, 54, 17, 131000, tzinfo=UTC)
    (release,) = parsed.releases
    assert (release.upc, release.grid) == ("196871335584", "A10301A0005108088N")
    assert release.title == "Present."
    assert release.parental_warning == "explicit"
    assert [t.isrc for t in release.tracks][:2] == ["ZAA012300131", "ZAA012300128"]
    assert all(t.explicit for t in release.tracks)
    assert [a.artist.name for a in release.tracks[1].artists] == ["Theo Random", "Thato Saul"]
    composers = [c for c in release.tracks[0].contributors if c.role == "composer"]
    assert composers[0].artist.name == "Thabiso Moya"
    assert composers[0].user_defined_role == "Composer"
    (download,) = release.availability
    assert len(download.territories) == 233
    assert download.use_types == ("permanent_download",)
    assert release.images[0].width == 500
    assert release.tracks[0].assets[0].hash_value == "8bb2ce119257314a8fcb215a49f14b33"


def test_fuga_worldwide_minus_deals(outcomes: dict[str, ErnMessage | LinerError]) -> None:
    release = only_release(outcomes, FUGA)
    assert release.upc == "8718857546047"
    assert release.catalog_number == "Test Products 01"
    assert ExternalId("proprietary:PADPIDA20110330020", "1000020402803") in release.ids
    assert [(a.artist.name, a.join_phrase) for a in release.artists] == [
        ("2pec Shakur", " and "),
        ("2FUGA", ""),
    ]
    worldwide = [a for a in release.availability if a.territories == ("WW",)]
    assert len(worldwide) == 3
    assert all(len(a.excluded_territories) == 52 for a in worldwide)
    assert "NL" in worldwide[0].excluded_territories
    (track,) = release.tracks
    assert track.isrc == "NLRD51952976"
    assert ("Mad Max", "remixer", "Remixer") in [
        (c.artist.name, c.role, c.user_defined_role) for c in track.contributors
    ]
    assert release.images[0].width == 2000


def test_ern43_audio_sample(outcomes: dict[str, ErnMessage | LinerError]) -> None:
    release = only_release(outcomes, f"{SAMPLES43}/1 Audio.xml")
    assert release.upc == "00094631432057"
    assert len(release.tracks) == 21
    assert release.tracks[0].isrc == "JPTO09404900"
    assert [t.track_number for t in release.tracks] == list(range(1, 22))
    artist = release.artists[0].artist
    assert artist.name == "Saeko Shu"
    assert LocalizedName("しゅうさえこ", "ja-Jpan") in artist.names
    assert release.label == "EMI MUSIC JAPAN INC."
    assert {a.territories for a in release.availability} == {("JP",)}


def test_ern43_classical_sample_is_one_disc(outcomes: dict[str, ErnMessage | LinerError]) -> None:
    release = only_release(outcomes, f"{SAMPLES43}/Variant Classical.xml")
    assert release.grid == "A10302B0003989564F"
    assert release.version_title == "Concertos for Violins and Strings"
    assert [(t.disc_number, t.track_number) for t in release.tracks] == [
        (1, n) for n in range(1, 13)
    ]


def test_ern3_classical_profile_has_two_discs(outcomes: dict[str, ErnMessage | LinerError]) -> None:
    release = only_release(
        outcomes, f"{PROFILES}/ern381/Profile_DigitalClassicalAudioAlbum_MulitPartWork.xml"
    )
    assert [t.disc_number for t in release.tracks] == [1] * 6 + [2] * 6
    assert [t.isrc for t in release.tracks][-1] == "CASE00000912"


def test_utf16_revelator_delivery(outcomes: dict[str, ErnMessage | LinerError]) -> None:
    release = only_release(outcomes, f"{ORIGINAL_WORKS}/ern-tests/2024-12-03.xml")
    assert (release.upc, release.title) == ("701798205904", "Gobe")
    assert release.artists[0].artist.name == "L.A.X"
    assert release.tracks[0].isrc == "QZAM61900408"


@pytest.mark.parametrize(
    "name",
    [
        f"{SAMPLES43}/2 Video.xml",
        f"{SAMPLES43}/5 SimpleVideoSingle.xml",
        f"{SAMPLES43}/6 Ringtone.xml",
        f"{SAMPLES43}/7 LongformMusicalWorkVideo.xml",
        f"{PROFILES}/ern381/Profile_MidiRingtone.xml",
        f"{PROFILES}/ern381/Profile_Ringtone.xml",
        f"{PROFILES}/ern35/LongformVideo_10.xml",
    ],
)
def test_releases_not_carried_are_skipped(
    outcomes: dict[str, ErnMessage | LinerError], name: str
) -> None:
    parsed = message(outcomes, name)
    assert parsed.releases == ()
    assert parsed.skipped[0].reason == "release_type_not_carried"
    assert not parsed.rejected


def test_mixed_media_keeps_only_the_audio(outcomes: dict[str, ErnMessage | LinerError]) -> None:
    parsed = message(outcomes, f"{SAMPLES43}/3 MixedMedia.xml")
    (release,) = parsed.releases
    assert len(release.tracks) == 14
    assert len(parsed.skipped) == 3
    assert {s.reason for s in parsed.skipped} == {"no_sound_recordings"}


def test_purges(outcomes: dict[str, ErnMessage | LinerError]) -> None:
    dedex = message(outcomes, f"{DEDEX}/017_purged_release.xml")
    assert dedex.version == "3.8.2"
    (purged,) = dedex.purged
    assert purged.source_key == "upc:7665431654967"
    assert purged.title == "Whoa"
    assert ExternalId("catalog_number", "46567987654") in purged.ids
    original_works = message(outcomes, f"{ORIGINAL_WORKS}/ERN_PurgeReleaseMessage_example.xml")
    assert original_works.version == "4.3"
    assert [p.source_key for p in original_works.purged] == ["grid:G123456789012345"]


def test_dedex_missing_isrc_and_cover(outcomes: dict[str, ErnMessage | LinerError]) -> None:
    missing = message(outcomes, f"{DEDEX}/012_missing_isrc.xml")
    assert [t.isrc for t in missing.releases[0].tracks].count(None) == 1
    assert "ddex_isrc_missing" in {p.code for p in missing.warnings}
    no_cover = message(outcomes, f"{DEDEX}/008_one_image_not_front.xml")
    assert "ddex_front_cover_missing" in {p.code for p in no_cover.warnings}


def test_version_detection_ignores_folder_names(
    outcomes: dict[str, ErnMessage | LinerError],
) -> None:
    assert message(outcomes, f"{PROFILES}/ern341/AudioSingle_10.xml").version == "3.5"
    assert message(outcomes, f"{PROFILES}/ern381/Profile_MixedMediaBundle.xml").version == "3.8.2"
