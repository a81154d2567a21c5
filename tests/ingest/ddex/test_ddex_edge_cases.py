"""Versions, rejections, skips and graded problems, on small messages built here."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liner.ingest.ddex import DdexError, ErnMessage, parse_ern
from liner.ingest.ddex.parties import join_phrases
from liner.ingest.ddex.versions import version_from_code
from liner.ingest.records import ReleaseType
from liner.kit.errors import InputError, LinerError, XmlError


def ern3(
    *,
    namespace: str = "http://ddex.net/xml/ern/382",
    msvi: str | None = "ern/382",
    root: str = "NewReleaseMessage",
    header: str | None = None,
    release_type: str = "<ReleaseType>Album</ReleaseType>",
    release_title: str = '<Title TitleType="DisplayTitle"><TitleText>Album</TitleText></Title>',
    release_id: str = "<ICPN>5012345678900</ICPN>",
    main_flag: str = ' IsMainRelease="true"',
    group_reference: str = "A1",
    duration: str = "PT3M",
    isrc: str = "GBAAA2400001",
    sound_recordings: str | None = None,
    deals: str = "",
) -> bytes:
    attribute = f' MessageSchemaVersionId="{msvi}"' if msvi is not None else ""
    if header is None:
        header = (
            "<MessageHeader><MessageId>M1</MessageId>"
            "<MessageSender><PartyId>PADPIDA2024LINER0N</PartyId></MessageSender>"
            "<MessageRecipient><PartyId>PADPIDA202401120D9</PartyId></MessageRecipient>"
            "<MessageCreatedDateTime>2024-01-01T00:00:00Z</MessageCreatedDateTime>"
            "</MessageHeader>"
        )
    if sound_recordings is None:
        sound_recordings = (
            "<SoundRecording><SoundRecordingId><ISRC>"
            + isrc
            + "</ISRC></SoundRecordingId><ResourceReference>A1</ResourceReference>"
            "<ReferenceTitle><TitleText>Song</TitleText></ReferenceTitle>"
            f"<Duration>{duration}</Duration></SoundRecording>"
        )
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<ern:{root} xmlns:ern="{namespace}"{attribute}>
  {header}
  <ResourceList>{sound_recordings}</ResourceList>
  <ReleaseList>
    <Release{main_flag}>
      <ReleaseId>{release_id}</ReleaseId>
      <ReleaseReference>R0</ReleaseReference>
      {release_type}
      <ReleaseDetailsByTerritory>
        <TerritoryCode>Worldwide</TerritoryCode>
        <DisplayArtistName>Someone</DisplayArtistName>
        {release_title}
        <ResourceGroup><ResourceGroupContentItem><SequenceNumber>1</SequenceNumber>
          <ReleaseResourceReference>{group_reference}</ReleaseResourceReference>
        </ResourceGroupContentItem></ResourceGroup>
      </ReleaseDetailsByTerritory>
    </Release>
  </ReleaseList>
  <DealList>{deals}</DealList>
</ern:{root}>"""
    return text.encode()


def codes(message: ErnMessage, severity: str | None = None) -> set[str]:
    return {p.code for p in message.problems if severity is None or p.severity == severity}


# Versions


@pytest.mark.parametrize(
    ("namespace", "msvi", "version"),
    [
        ("http://ddex.net/xml/ern/34", "ern/34", "3.4"),
        ("http://ddex.net/xml/ern/341", "ern/341", "3.4.1"),
        ("http://ddex.net/xml/ern/35", "ern/35", "3.5"),
        ("http://ddex.net/xml/ern/36", "ern/36", "3.6"),
        ("http://ddex.net/xml/ern/37", "ern/37", "3.7"),
        ("http://ddex.net/xml/ern/37D2", "ern/37D2", "3.7D2"),
        ("http://ddex.net/xml/ern/371", "ern/371", "3.7.1"),
        ("http://ddex.net/xml/ern/381", "/ern/381", "3.8.1"),
        ("http://ddex.net/xml/ern/382", "/ern/382", "3.8.2"),
        ("http://ddex.net/xml/ern/41", None, "4.1"),
        ("http://ddex.net/xml/ern/411", None, "4.1.1"),
        ("http://ddex.net/xml/ern/42", None, "4.2"),
        ("http://ddex.net/xml/ern/43", None, "4.3"),
    ],
)
def test_versions(namespace: str, msvi: str | None, version: str) -> None:
    message = parse_ern(ern3(namespace=namespace, msvi=msvi))
    assert message.version == version
    assert "ddex_version_unsupported" not in codes(message)
    assert len(message.releases) == 1


def test_old_version_is_read_with_a_warning() -> None:
    message = parse_ern(
        ern3(namespace="http://ddex.net/xml/2011/ern-main/33", msvi="2011/ern-main/33")
    )
    assert message.version == "3.3"
    assert "ddex_version_unsupported" in codes(message, "warning")
    assert message.releases[0].title == "Album"


def test_version_mismatch_is_a_warning_and_msvi_wins_for_ern3() -> None:
    message = parse_ern(ern3(namespace="http://ddex.net/xml/ern/382", msvi="ern/381"))
    assert message.version == "3.8.1"
    assert "ddex_version_mismatch" in codes(message, "warning")


def test_unknown_version_is_a_typed_error() -> None:
    with pytest.raises(DdexError) as exc:
        parse_ern(ern3(namespace="urn:example", msvi=None))
    assert exc.value.code == "ddex_unknown_version"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("382", "3.8.2"),
        ("37D2", "3.7D2"),
        ("43", "4.3"),
        ("4.1.1", "4.1.1"),
        ("x1", None),
        ("", None),
    ],
)
def test_version_from_code(code: str, expected: str | None) -> None:
    assert version_from_code(code) == expected


# Rejections


@pytest.mark.parametrize("root", ["UpdateReleaseMessage", "ManifestMessage", "CatalogListMessage"])
def test_other_message_types_are_rejected(root: str) -> None:
    with pytest.raises(DdexError) as exc:
        parse_ern(ern3(root=root))
    assert exc.value.code == "ddex_unknown_message_type"
    assert isinstance(exc.value, InputError)


def test_hostile_xml_is_refused_by_the_hardened_parser() -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<NewReleaseMessage>&lol2;</NewReleaseMessage>"""
    with pytest.raises(XmlError):
        parse_ern(bomb)


def test_malformed_xml_is_an_xml_error() -> None:
    with pytest.raises(XmlError) as exc:
        parse_ern(ern3()[:-40], location="broken.xml")
    assert exc.value.location == "broken.xml"


def test_utf16_with_bom_is_read() -> None:
    data = ern3().decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    message = parse_ern(data)
    assert message.releases[0].upc == "5012345678900"


def test_missing_release_title_rejects_the_message() -> None:
    message = parse_ern(ern3(release_title=""))
    assert "ddex_release_title_missing" in codes(message, "error")
    assert message.rejected


def test_no_main_release_rejects_the_message() -> None:
    message = parse_ern(ern3(main_flag="", release_type="<ReleaseType>TrackRelease</ReleaseType>"))
    assert "ddex_no_main_release" in codes(message, "error")
    assert message.releases == ()


def test_dangling_track_reference_is_an_error() -> None:
    message = parse_ern(ern3(group_reference="A9"))
    (problem,) = [p for p in message.problems if p.code == "ddex_resource_reference_dangling"]
    assert problem.severity == "error"
    assert problem.location.endswith("ResourceGroupContentItem/ReleaseResourceReference")


def test_missing_sender_and_bad_date_are_errors() -> None:
    header = (
        "<MessageHeader><MessageId>M1</MessageId>"
        "<MessageCreatedDateTime>yesterday</MessageCreatedDateTime></MessageHeader>"
    )
    message = parse_ern(ern3(header=header))
    assert {"ddex_sender_missing", "ddex_created_invalid"} <= codes(message, "error")
    assert message.created_at is None
    with pytest.raises(LinerError):
        message.provenance()


def test_release_without_usable_id_is_an_error() -> None:
    message = parse_ern(ern3(release_id="<ISRC>GBAAA2400001</ISRC>"))
    assert "ddex_release_id_missing" in codes(message, "error")


# Graded problems


def test_bad_check_digit_is_a_warning_and_keeps_the_value() -> None:
    message = parse_ern(ern3(release_id="<ICPN>721620118166</ICPN>"))
    assert codes(message, "error") == set()
    assert "ddex_icpn_check_digit" in codes(message, "warning")
    assert message.releases[0].upc == "721620118166"
    assert message.releases[0].source_key == "upc:721620118166"


def test_bad_syntax_id_is_dropped_but_still_keys_the_release() -> None:
    message = parse_ern(ern3(release_id="<GRid>A1B2-C3D4E5F6G7H8I9J0K1L2M3N4O5P6Q7R8S9T0</GRid>"))
    release = message.releases[0]
    assert release.grid is None
    assert release.source_key == "grid:A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6Q7R8S9T0"
    assert "ddex_grid_invalid" in codes(message, "warning")


def test_bad_isrc_and_duration_are_warnings() -> None:
    message = parse_ern(ern3(isrc="ISRC_Woot", duration="3:25"))
    track = message.releases[0].tracks[0]
    assert track.isrc is None
    assert track.duration_ms is None
    assert {"ddex_isrc_invalid", "ddex_isrc_missing", "ddex_duration_invalid"} <= codes(
        message, "warning"
    )
    assert not message.rejected


def test_unknown_isrc_country_is_a_warning() -> None:
    message = parse_ern(ern3(isrc="XXAAA2400001"))
    assert message.releases[0].tracks[0].isrc == "XXAAA2400001"
    assert "ddex_isrc_country_unknown" in codes(message, "warning")


def test_user_defined_compilation_type() -> None:
    release_type = '<ReleaseType UserDefinedValue="Compilation">UserDefined</ReleaseType>'
    message = parse_ern(ern3(release_type=release_type))
    assert message.releases[0].release_type is ReleaseType.COMPILATION


def test_missing_type_is_guessed_from_the_track_count() -> None:
    message = parse_ern(ern3(release_type=""))
    assert message.releases[0].release_type is ReleaseType.SINGLE
    assert "ddex_release_type_unknown" in codes(message, "warning")


@pytest.mark.parametrize(
    "kind", ["RingtoneRelease", "VideoSingle", "LongFormMusicalWorkVideoRelease"]
)
def test_releases_a_streaming_catalog_does_not_carry_are_skipped(kind: str) -> None:
    message = parse_ern(ern3(release_type=f"<ReleaseType>{kind}</ReleaseType>"))
    assert message.releases == ()
    (skipped,) = message.skipped
    assert (skipped.reference, skipped.reason, skipped.release_type) == (
        "R0",
        "release_type_not_carried",
        kind,
    )
    assert skipped.title == "Album"
    assert not message.rejected


def test_midi_only_release_is_skipped() -> None:
    midi = (
        "<MIDI><ResourceReference>A1</ResourceReference>"
        "<ReferenceTitle><TitleText>Tone</TitleText></ReferenceTitle></MIDI>"
    )
    message = parse_ern(ern3(sound_recordings=midi))
    (skipped,) = message.skipped
    assert skipped.reason == "no_sound_recordings"
    assert "MIDI" in skipped.detail


def test_deal_without_territory_and_tis_worldwide() -> None:
    deals = """
      <ReleaseDeal><DealReleaseReference>R0</DealReleaseReference>
        <Deal><DealTerms><CommercialModelType>SubscriptionModel</CommercialModelType>
          <Usage><UseType>Stream</UseType></Usage>
          <ValidityPeriod><StartDate>2024-01-01</StartDate></ValidityPeriod></DealTerms></Deal>
        <Deal><DealTerms><CommercialModelType>SubscriptionModel</CommercialModelType>
          <Usage><UseType>Stream</UseType></Usage>
          <TerritoryCode IdentifierType="TIS">2136</TerritoryCode>
          <ValidityPeriod><StartDate>2024-01-01</StartDate></ValidityPeriod></DealTerms></Deal>
      </ReleaseDeal>"""
    message = parse_ern(ern3(deals=deals))
    (availability,) = message.releases[0].availability
    assert availability.territories == ("WW",)
    assert availability.use_types == ("stream",)
    assert "ddex_deal_without_territory" in codes(message, "warning")


def test_per_country_deals_are_merged() -> None:
    one = """<Deal><DealTerms><CommercialModelType>SubscriptionModel</CommercialModelType>
      <Usage><UseType>OnDemandStream</UseType></Usage><TerritoryCode>{}</TerritoryCode>
      <ValidityPeriod><StartDate>2024-01-01</StartDate></ValidityPeriod></DealTerms></Deal>"""
    deals = (
        "<ReleaseDeal><DealReleaseReference>R0</DealReleaseReference>"
        + "".join(one.format(c) for c in ("SE", "NO", "DK", "NO"))
        + "</ReleaseDeal>"
    )
    message = parse_ern(ern3(deals=deals))
    (availability,) = message.releases[0].availability
    assert availability.territories == ("DK", "NO", "SE")


def test_deals_differing_only_in_territory_keep_their_own_terms() -> None:
    """Terms read once for a per-country matrix are reused only where everything but
    the territory is the same: each other difference still shows."""
    deal = """<Deal><DealTerms><CommercialModelType>{model}</CommercialModelType>
      <Usage><UseType>OnDemandStream</UseType></Usage><TerritoryCode>{territory}</TerritoryCode>
      {extra}<ValidityPeriod><StartDate>{start}</StartDate></ValidityPeriod></DealTerms></Deal>"""
    rows = [
        ("SubscriptionModel", "SE", "", "2024-01-01"),
        ("SubscriptionModel", "NO", "", "2024-01-01"),
        ("AdvertisementSupportedModel", "NO", "", "2024-01-01"),
        ("SubscriptionModel", "DK", "", "2024-02-01"),
        ("SubscriptionModel", "FI", "<TakeDown>true</TakeDown>", "2024-01-01"),
        (
            "SubscriptionModel",
            "IS",
            "<ExcludedTerritoryCode>IS</ExcludedTerritoryCode>",
            "2024-01-01",
        ),
    ]
    deals = (
        "<ReleaseDeal><DealReleaseReference>R0</DealReleaseReference>"
        + "".join(deal.format(model=m, territory=t, extra=x, start=d) for m, t, x, d in rows)
        + "</ReleaseDeal>"
    )
    message = parse_ern(ern3(deals=deals))
    found = {
        (a.territories, a.commercial_models, a.start.month if a.start else 0, a.takedown)
        for a in message.releases[0].availability
    }
    assert found == {
        (("NO", "SE"), ("subscription_model",), 1, False),
        (("NO",), ("advertisement_supported_model",), 1, False),
        (("DK",), ("subscription_model",), 2, False),
        (("FI",), ("subscription_model",), 1, True),
    }
    assert "ddex_deal_without_territory" in codes(message, "warning")


def test_a_territory_element_nested_in_another_field_does_not_join_two_deals() -> None:
    deal = """<Deal><DealTerms><CommercialModelType>{}</CommercialModelType>
      <TerritoryCode>{}</TerritoryCode>
      <ValidityPeriod><StartDate>2024-01-01</StartDate></ValidityPeriod></DealTerms></Deal>"""
    deals = (
        "<ReleaseDeal><DealReleaseReference>R0</DealReleaseReference>"
        + deal.format("SubscriptionModel", "SE")
        + deal.format("Subscription<TerritoryCode>XX</TerritoryCode>Model", "NO")
        + "</ReleaseDeal>"
    )
    message = parse_ern(ern3(deals=deals))
    found = {(a.territories, a.commercial_models) for a in message.releases[0].availability}
    assert (("SE",), ("subscription_model",)) in found
    assert ("NO", "SE") not in {a.territories for a in message.releases[0].availability}
    assert len(found) == 2


def test_a_problem_in_repeated_deal_terms_is_reported_at_each_deal() -> None:
    deal = """<Deal><DealTerms><CommercialModelType>SubscriptionModel</CommercialModelType>
      <TerritoryCode>{}</TerritoryCode>
      <ValidityPeriod><StartDate>2024-13-45</StartDate></ValidityPeriod></DealTerms></Deal>"""
    deals = (
        "<ReleaseDeal><DealReleaseReference>R0</DealReleaseReference>"
        + "".join(deal.format(c) for c in ("SE", "NO", "DK"))
        + "</ReleaseDeal>"
    )
    message = parse_ern(ern3(deals=deals))
    places = sorted(p.location for p in message.problems if p.code.startswith("ddex_deal_date"))
    assert len(places) == 3
    assert len(set(places)) == 3


# Join phrases


def test_join_phrases_from_display_name() -> None:
    assert join_phrases(["A", "B", "C"], "A, B & C") == [", ", " & ", ""]
    assert join_phrases(["Alpha", "Beta"], "alpha FEAT. beta") == [" FEAT. ", ""]
    assert join_phrases(["A", "B", "C"], "Someone Else") == [", ", " & ", ""]
    assert join_phrases([], "x") == []
    assert join_phrases(["Ödön", "Åsa"], "ÖDÖN & ÅSA") == [" & ", ""]
    assert join_phrases(["Bob", "Ann"], "BOB x Bob x ANN") == [" x Bob x ", ""]
    # A name is not found inside a join phrase's word, and the last name ends the display.
    assert join_phrases(["A", "A"], "A feat. A") == [" feat. ", ""]
    assert join_phrases(["A", "x"], "A x x") == [" x ", ""]
    assert join_phrases(["A", "B"], "A feat. B (B-side mix)") == [" feat. ", ""]
    assert join_phrases(["山田太郎", "鈴木"], "山田太郎と鈴木") == ["と", ""]
    assert join_phrases(["A", "", "B"], "AB") == ["", "", ""]


@given(
    st.lists(
        st.text(st.characters(categories=["L"]), min_size=1, max_size=8), min_size=1, max_size=5
    ),
    st.lists(st.sampled_from([", ", " & ", " feat. ", " x ", " and "]), min_size=4, max_size=4),
)
def test_join_phrases_rebuild_the_display_name(names: list[str], joins: list[str]) -> None:
    display = "".join(
        name + (joins[i] if i < len(names) - 1 else "") for i, name in enumerate(names)
    )
    phrases = join_phrases(names, display)
    assert len(phrases) == len(names)
    assert phrases[-1] == ""
    assert "".join(n + p for n, p in zip(names, phrases, strict=True)) == display
