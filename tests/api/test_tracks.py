"""/v1/tracks: one track, several tracks, ISRC lookup, markets and track relinking."""

from __future__ import annotations

import pytest

from liner.catalog.markets import MARKETS

from .support import BASE_URL, NORTHERN_LIGHTS, POLAR_NIGHT_SINGLE, Catalog

MARKET_FIELDS = {"available_markets", "is_playable", "restrictions", "linked_from"}


def test_track_without_market_lists_its_available_markets(catalog: Catalog) -> None:
    track_id = catalog.track(NORTHERN_LIGHTS, "Polar Night")
    track = catalog.client.json(f"/v1/tracks/{track_id}")
    assert track["id"] == track_id
    assert track["type"] == "track"
    assert track["uri"] == f"liner:track:{track_id}"
    assert track["href"] == f"{BASE_URL}/v1/tracks/{track_id}"
    assert track["name"] == "Polar Night"
    assert track["duration_ms"] == 252_000
    assert track["disc_number"] == 1
    assert track["track_number"] == 1
    assert track["explicit"] is False
    assert track["is_local"] is False
    assert track["preview_url"] is None
    assert track["external_ids"] == {"isrc": "QZES72400001"}
    assert [a["name"] for a in track["artists"]] == ["Aurora Vale"]
    assert track["album"]["id"] == catalog.albums[NORTHERN_LIGHTS]
    assert track["album"]["name"] == "Northern Lights"
    assert track["album"]["album_type"] == "album"
    assert "tracks" not in track["album"]
    assert "SE" not in track["available_markets"]
    assert set(track["available_markets"]) == set(MARKETS) - {"SE"}
    assert track["available_markets"] == sorted(track["available_markets"])
    assert not {"is_playable", "restrictions", "linked_from"} & set(track)


def test_track_names_carry_the_version(catalog: Catalog) -> None:
    track_id = catalog.track(NORTHERN_LIGHTS, "Solar Wind - Extended Mix")
    track = catalog.client.json(f"/v1/tracks/{track_id}")
    assert track["name"] == "Solar Wind - Extended Mix"
    assert track["duration_ms"] == 401_000
    assert [a["name"] for a in track["artists"]] == ["Aurora Vale", "Kite Harbour"]


def test_track_in_a_market_where_it_is_available(catalog: Catalog) -> None:
    track_id = catalog.track(NORTHERN_LIGHTS, "Polar Night")
    track = catalog.client.json(f"/v1/tracks/{track_id}?market=DE")
    assert track["id"] == track_id
    assert track["is_playable"] is True
    assert not {"available_markets", "restrictions", "linked_from"} & set(track)


def test_track_in_a_market_where_it_is_not_available(catalog: Catalog) -> None:
    track_id = catalog.track(NORTHERN_LIGHTS, "Magnetic Field")
    track = catalog.client.json(f"/v1/tracks/{track_id}?market=SE")
    assert track["id"] == track_id
    assert track["is_playable"] is False
    assert track["restrictions"] == {"reason": "market"}
    assert "available_markets" not in track
    assert "linked_from" not in track


def test_a_takedown_deal_removes_a_market(catalog: Catalog) -> None:
    track_id = catalog.track(NORTHERN_LIGHTS, "Aftermath")
    client = catalog.client
    track = client.json(f"/v1/tracks/{track_id}")
    assert track["disc_number"] == 2
    assert track["track_number"] == 1
    assert "DE" not in track["available_markets"]
    assert "SE" not in track["available_markets"]
    assert "FR" in track["available_markets"]
    assert client.json(f"/v1/tracks/{track_id}?market=DE")["is_playable"] is False
    assert client.json(f"/v1/tracks/{track_id}?market=FR")["is_playable"] is True


def test_market_is_case_insensitive_and_from_token_means_none(catalog: Catalog) -> None:
    track_id = catalog.track(NORTHERN_LIGHTS, "Magnetic Field")
    client = catalog.client
    assert client.json(f"/v1/tracks/{track_id}?market=se") == client.json(
        f"/v1/tracks/{track_id}?market=SE"
    )
    assert client.json(f"/v1/tracks/{track_id}?market=from_token") == client.json(
        f"/v1/tracks/{track_id}"
    )


def test_relinking_serves_the_playable_version_with_linked_from(catalog: Catalog) -> None:
    """The album excludes SE; the single with the same ISRC is available in SE."""
    requested = catalog.track(NORTHERN_LIGHTS, "Polar Night")
    single_track = catalog.track(POLAR_NIGHT_SINGLE, "Polar Night")
    assert requested != single_track
    track = catalog.client.json(f"/v1/tracks/{requested}?market=SE")
    assert track["id"] == single_track
    assert track["album"]["id"] == catalog.albums[POLAR_NIGHT_SINGLE]
    assert track["album"]["album_type"] == "single"
    assert track["external_ids"] == {"isrc": "QZES72400001"}
    assert track["is_playable"] is True
    assert "restrictions" not in track
    assert "available_markets" not in track
    assert track["linked_from"] == {
        "external_urls": {"liner": f"{BASE_URL}/track/{requested}"},
        "href": f"{BASE_URL}/v1/tracks/{requested}",
        "id": requested,
        "type": "track",
        "uri": f"liner:track:{requested}",
    }


def test_relinking_works_both_ways(catalog: Catalog) -> None:
    album_track = catalog.track(NORTHERN_LIGHTS, "Polar Night")
    single_track = catalog.track(POLAR_NIGHT_SINGLE, "Polar Night")
    client = catalog.client
    in_us = client.json(f"/v1/tracks/{single_track}?market=US")
    assert in_us["id"] == album_track
    assert in_us["linked_from"]["id"] == single_track
    assert in_us["is_playable"] is True
    in_norway = client.json(f"/v1/tracks/{single_track}?market=NO")
    assert in_norway["id"] == single_track
    assert "linked_from" not in in_norway
    assert in_norway["is_playable"] is True
    without = client.json(f"/v1/tracks/{single_track}")
    assert without["available_markets"] == ["DK", "FI", "NO", "SE"]


def test_a_track_with_no_playable_version_is_not_relinked(catalog: Catalog) -> None:
    """The Lowlight single is only in NO, and its recording is on no other release."""
    lowlight = catalog.track("842100000111", "Lowlight")
    track = catalog.client.json(f"/v1/tracks/{lowlight}?market=SE")
    assert track["id"] == lowlight
    assert track["is_playable"] is False
    assert track["restrictions"] == {"reason": "market"}


def test_a_track_uri_is_accepted_as_its_id(catalog: Catalog) -> None:
    track_id = catalog.track(NORTHERN_LIGHTS, "Polar Night")
    client = catalog.client
    assert client.json(f"/v1/tracks/liner:track:{track_id}") == client.json(
        f"/v1/tracks/{track_id}"
    )
    client.error("GET", f"/v1/tracks/liner:album:{track_id}", 400)


def test_several_tracks_keep_order_and_answer_null_for_unknown_ids(catalog: Catalog) -> None:
    first = catalog.track(NORTHERN_LIGHTS, "Aftermath")
    second = catalog.track(NORTHERN_LIGHTS, "Polar Night")
    unknown = "0" * 22
    body = catalog.client.json(f"/v1/tracks?ids={first},{unknown},{second},{first}")
    assert list(body) == ["tracks"]
    tracks = body["tracks"]
    assert [t and t["id"] for t in tracks] == [first, None, second, first]
    assert tracks[0] == catalog.client.json(f"/v1/tracks/{first}")


def test_several_tracks_apply_the_market_and_relinking(catalog: Catalog) -> None:
    album_track = catalog.track(NORTHERN_LIGHTS, "Polar Night")
    other = catalog.track(NORTHERN_LIGHTS, "Magnetic Field")
    tracks = catalog.client.json(f"/v1/tracks?ids={album_track},{other}&market=SE")["tracks"]
    assert tracks[0]["id"] == catalog.track(POLAR_NIGHT_SINGLE, "Polar Night")
    assert tracks[0]["linked_from"]["id"] == album_track
    assert tracks[1]["id"] == other
    assert tracks[1]["is_playable"] is False


def test_several_tracks_take_at_most_fifty_ids(catalog: Catalog) -> None:
    track_id = catalog.track(NORTHERN_LIGHTS, "Polar Night")
    client = catalog.client
    fifty = ",".join([track_id] * 50)
    assert len(client.json(f"/v1/tracks?ids={fifty}")["tracks"]) == 50
    message = client.error("GET", f"/v1/tracks?ids={fifty},{track_id}", 400)
    assert "50" in message


@pytest.mark.parametrize(
    "query",
    ["", "?ids=", "?ids=%20", "?ids=abc", "?ids={id},abc", "?ids={id},", "?ids={id}&market=XX"],
)
def test_several_tracks_reject_bad_parameters(catalog: Catalog, query: str) -> None:
    track_id = catalog.track(NORTHERN_LIGHTS, "Polar Night")
    catalog.client.error("GET", "/v1/tracks" + query.format(id=track_id), 400)


def test_tracks_by_isrc(catalog: Catalog) -> None:
    client = catalog.client
    album_track = catalog.track(NORTHERN_LIGHTS, "Polar Night")
    single_track = catalog.track(POLAR_NIGHT_SINGLE, "Polar Night")
    tracks = client.json("/v1/tracks?isrc=QZES72400001")["tracks"]
    assert {t["id"] for t in tracks} == {album_track, single_track}
    assert client.json("/v1/tracks?isrc=qz-es7-24-00001")["tracks"] == tracks
    in_sweden = client.json("/v1/tracks?isrc=QZES72400001&market=SE")["tracks"]
    assert all(t["is_playable"] for t in in_sweden)
    assert {t["id"] for t in in_sweden} == {single_track}
    assert client.json("/v1/tracks?isrc=QZES79900001") == {"tracks": []}
    client.error("GET", "/v1/tracks?isrc=not-an-isrc", 400)


def test_ids_win_over_isrc(catalog: Catalog) -> None:
    track_id = catalog.track(NORTHERN_LIGHTS, "Aftermath")
    tracks = catalog.client.json(f"/v1/tracks?ids={track_id}&isrc=QZES72400001")["tracks"]
    assert [t["id"] for t in tracks] == [track_id]


def test_unknown_track_is_404(catalog: Catalog) -> None:
    message = catalog.client.error("GET", "/v1/tracks/" + "0" * 22, 404)
    assert "id" in message


@pytest.mark.parametrize(
    "raw_id", ["abc", "0" * 21, "0" * 23, "0" * 21 + "-", "liner:track:abc", "liner:track"]
)
def test_malformed_track_id_is_400(catalog: Catalog, raw_id: str) -> None:
    message = catalog.client.error("GET", f"/v1/tracks/{raw_id}", 400)
    assert "track" in message


@pytest.mark.parametrize("market", ["XX", "S", "SWE", "12", "ZZ"])
def test_bad_market_is_400(catalog: Catalog, market: str) -> None:
    track_id = catalog.track(NORTHERN_LIGHTS, "Polar Night")
    message = catalog.client.error("GET", f"/v1/tracks/{track_id}?market={market}", 400)
    assert "market" in message
