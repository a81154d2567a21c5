"""/v1/artists: one artist, several artists, and an artist's albums by group, market and page."""

from __future__ import annotations

from typing import Any

import pytest

from .support import BASE_URL, NORTHERN_LIGHTS, POLAR_NIGHT_SINGLE, Catalog, strip_base

TIDAL_ATLAS = "842100000104"
LOWLIGHT = "842100000111"
SOL_YEARS = "842100000128"
SLOW_CURRENTS = "842100000135"


def _mira_sol(catalog: Catalog) -> str:
    return catalog.artists["Mira Sol"]


def _albums(catalog: Catalog, query: str = "") -> dict[str, Any]:
    page: dict[str, Any] = catalog.client.json(f"/v1/artists/{_mira_sol(catalog)}/albums{query}")
    return page


def test_artist_object(catalog: Catalog) -> None:
    artist_id = catalog.artists["Aurora Vale"]
    artist = catalog.client.json(f"/v1/artists/{artist_id}")
    assert artist["id"] == artist_id
    assert artist["name"] == "Aurora Vale"
    assert artist["type"] == "artist"
    assert artist["uri"] == f"liner:artist:{artist_id}"
    assert artist["href"] == f"{BASE_URL}/v1/artists/{artist_id}"
    assert artist["external_urls"] == {"liner": f"{BASE_URL}/artist/{artist_id}"}
    assert artist["followers"] == {"href": None, "total": 0}
    assert artist["popularity"] == 0
    assert artist["genres"] == []
    assert artist["images"] == []
    assert artist["external_ids"] == {"isni": "0000000121032683"}
    assert {"name": "オーロラ・ヴェイル", "language_script": "ja-Kana"} in artist["names"]


def test_the_same_isni_is_one_artist_across_releases(catalog: Catalog) -> None:
    client = catalog.client
    album = client.json(f"/v1/albums/{catalog.albums[NORTHERN_LIGHTS]}")
    single = client.json(f"/v1/albums/{catalog.albums[POLAR_NIGHT_SINGLE]}")
    assert album["artists"][0]["id"] == single["artists"][0]["id"] == catalog.artists["Aurora Vale"]


def test_several_artists(catalog: Catalog) -> None:
    aurora = catalog.artists["Aurora Vale"]
    mira = _mira_sol(catalog)
    client = catalog.client
    artists = client.json(f"/v1/artists?ids={mira},{'2' * 22},{aurora}")["artists"]
    assert [a and a["name"] for a in artists] == ["Mira Sol", None, "Aurora Vale"]
    assert artists[2] == client.json(f"/v1/artists/{aurora}")
    assert len(client.json(f"/v1/artists?ids={','.join([aurora] * 50)}")["artists"]) == 50
    client.error("GET", f"/v1/artists?ids={','.join([aurora] * 51)}", 400)
    client.error("GET", "/v1/artists", 400)
    client.error("GET", "/v1/artists?ids=x", 400)


def test_unknown_and_malformed_artists(catalog: Catalog) -> None:
    client = catalog.client
    client.error("GET", "/v1/artists/" + "2" * 22, 404)
    client.error("GET", "/v1/artists/" + "2" * 22 + "/albums", 404)
    client.error("GET", "/v1/artists/2", 400)
    client.error("GET", "/v1/artists/2/albums", 400)


def test_artist_albums_newest_first_with_every_group(catalog: Catalog) -> None:
    page = _albums(catalog)
    assert page["total"] == 4
    assert (page["limit"], page["offset"]) == (20, 0)
    assert page["next"] is None
    assert page["previous"] is None
    assert page["href"] == f"{BASE_URL}/v1/artists/{_mira_sol(catalog)}/albums?offset=0&limit=20"
    summary = [(a["name"], a["album_group"], a["album_type"]) for a in page["items"]]
    assert summary == [
        ("Sol Years", "compilation", "compilation"),
        ("Lowlight", "single", "single"),
        ("Tidal Atlas", "album", "album"),
        ("Slow Currents", "appears_on", "album"),
    ]
    assert [a["release_date"] for a in page["items"]] == sorted(
        (a["release_date"] for a in page["items"]), reverse=True
    )
    for album in page["items"]:
        assert "tracks" not in album
        assert album["type"] == "album"


@pytest.mark.parametrize(
    ("groups", "names"),
    [
        ("album", ["Tidal Atlas"]),
        ("single", ["Lowlight"]),
        ("compilation", ["Sol Years"]),
        ("appears_on", ["Slow Currents"]),
        ("album,single", ["Lowlight", "Tidal Atlas"]),
        ("single, appears_on", ["Lowlight", "Slow Currents"]),
        (
            "album,single,appears_on,compilation",
            ["Sol Years", "Lowlight", "Tidal Atlas", "Slow Currents"],
        ),
    ],
)
def test_artist_albums_include_groups(catalog: Catalog, groups: str, names: list[str]) -> None:
    page = _albums(catalog, f"?include_groups={groups}")
    assert [a["name"] for a in page["items"]] == names
    assert page["total"] == len(names)


@pytest.mark.parametrize("groups", ["albums", "album,playlist", "Album"])
def test_artist_albums_reject_unknown_groups(catalog: Catalog, groups: str) -> None:
    message = catalog.client.error(
        "GET", f"/v1/artists/{_mira_sol(catalog)}/albums?include_groups={groups}", 400
    )
    assert "include_groups" in message


def test_artist_albums_filter_by_market(catalog: Catalog) -> None:
    assert [a["name"] for a in _albums(catalog, "?market=SE")["items"]] == [
        "Sol Years",
        "Tidal Atlas",
        "Slow Currents",
    ]
    in_norway = _albums(catalog, "?market=NO&include_groups=single")
    assert [a["name"] for a in in_norway["items"]] == ["Lowlight"]
    catalog.client.error("GET", f"/v1/artists/{_mira_sol(catalog)}/albums?market=XX", 400)


def test_artist_albums_take_the_older_country_parameter(catalog: Catalog) -> None:
    assert _albums(catalog, "?country=SE") == _albums(catalog, "?market=SE")
    assert _albums(catalog, "?market=NO&country=SE") == _albums(catalog, "?market=NO")
    catalog.client.error("GET", f"/v1/artists/{_mira_sol(catalog)}/albums?country=XX", 400)


def test_artist_albums_paging_keeps_the_filters(catalog: Catalog) -> None:
    artist_id = _mira_sol(catalog)
    base = f"{BASE_URL}/v1/artists/{artist_id}/albums"
    first = _albums(catalog, "?include_groups=single,album,appears_on&limit=2")
    assert first["total"] == 3
    assert [a["name"] for a in first["items"]] == ["Lowlight", "Tidal Atlas"]
    assert first["next"] == f"{base}?offset=2&limit=2&include_groups=album%2Cappears_on%2Csingle"
    second = catalog.client.json(strip_base(first["next"]))
    assert [a["name"] for a in second["items"]] == ["Slow Currents"]
    assert second["next"] is None
    assert second["previous"] == (
        f"{base}?offset=0&limit=2&include_groups=album%2Cappears_on%2Csingle"
    )
    with_market = _albums(catalog, "?market=SE&limit=1&offset=1")
    assert with_market["next"] == f"{base}?offset=2&limit=1&market=SE"
    assert with_market["previous"] == f"{base}?offset=0&limit=1&market=SE"
    assert [a["name"] for a in with_market["items"]] == ["Tidal Atlas"]
    for query in ("?limit=0", "?limit=51", "?limit=abc", "?offset=x"):
        catalog.client.error("GET", f"/v1/artists/{artist_id}/albums{query}", 400)


def test_artist_albums_of_the_main_artist_of_a_guest_appearance(catalog: Catalog) -> None:
    dune_ferry = catalog.artists["Dune Ferry"]
    page = catalog.client.json(f"/v1/artists/{dune_ferry}/albums")
    assert [(a["name"], a["album_group"]) for a in page["items"]] == [("Slow Currents", "album")]
    path = f"/v1/artists/{dune_ferry}/albums"
    assert catalog.client.json(f"{path}?include_groups=single") == {
        "href": f"{BASE_URL}{path}?offset=0&limit=20&include_groups=single",
        "limit": 20,
        "next": None,
        "offset": 0,
        "previous": None,
        "total": 0,
        "items": [],
    }
