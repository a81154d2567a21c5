"""/v1/albums: one album, several albums, UPC lookup, and an album's tracks page by page."""

from __future__ import annotations

from typing import Any

import pytest

from .support import (
    BASE_URL,
    HARBOUR_LIGHTS,
    NORTHERN_LIGHTS,
    POLAR_NIGHT_SINGLE,
    Catalog,
    strip_base,
)

LONG_ALBUM = "842100000142"


def test_album_object(catalog: Catalog) -> None:
    album_id = catalog.albums[NORTHERN_LIGHTS]
    album = catalog.client.json(f"/v1/albums/{album_id}")
    assert album["id"] == album_id
    assert album["type"] == "album"
    assert album["uri"] == f"liner:album:{album_id}"
    assert album["href"] == f"{BASE_URL}/v1/albums/{album_id}"
    assert album["name"] == "Northern Lights"
    assert album["album_type"] == "album"
    assert album["total_tracks"] == 4
    assert album["release_date"] == "2024-03-15"
    assert album["release_date_precision"] == "day"
    assert album["label"] == "Liner Example Records"
    assert album["genres"] == ["Electronic", "Ambient"]
    assert album["external_ids"] == {"upc": NORTHERN_LIGHTS}
    assert album["copyrights"] == [
        {"text": "2024 Liner Example Records", "type": "C"},
        {"text": "2024 Liner Example Records", "type": "P"},
    ]
    assert album["images"] == [
        {"url": "https://images.example.com/nl/cover-640.jpg", "height": 640, "width": 640}
    ]
    assert [a["name"] for a in album["artists"]] == ["Aurora Vale"]
    assert "SE" not in album["available_markets"]
    assert "restrictions" not in album
    tracks = album["tracks"]
    assert tracks["href"] == f"{BASE_URL}/v1/albums/{album_id}/tracks?offset=0&limit=50"
    assert (tracks["total"], tracks["limit"], tracks["offset"]) == (4, 50, 0)
    assert tracks["next"] is None
    assert tracks["previous"] is None
    assert [t["name"] for t in tracks["items"]] == [
        "Polar Night",
        "Magnetic Field",
        "Solar Wind - Extended Mix",
        "Aftermath",
    ]
    for item in tracks["items"]:
        assert "album" not in item
        assert "available_markets" in item
        assert item["type"] == "track"


def test_album_types_and_date_precision(catalog: Catalog) -> None:
    client = catalog.client
    single = client.json(f"/v1/albums/{catalog.albums[POLAR_NIGHT_SINGLE]}")
    assert single["album_type"] == "single"
    assert single["available_markets"] == ["DK", "FI", "NO", "SE"]
    ep = client.json(f"/v1/albums/{catalog.albums[HARBOUR_LIGHTS]}")
    assert ep["album_type"] == "single"
    assert (ep["release_date"], ep["release_date_precision"]) == ("2023-11", "month")
    assert ep["copyrights"] == [{"text": "2023 Kite Harbour", "type": "C"}]
    compilation = client.json(f"/v1/albums/{catalog.albums['842100000128']}")
    assert compilation["album_type"] == "compilation"
    long_album = client.json(f"/v1/albums/{catalog.albums[LONG_ALBUM]}")
    assert (long_album["release_date"], long_album["release_date_precision"]) == ("2020", "year")


def test_album_in_a_market_where_it_is_not_available(catalog: Catalog) -> None:
    album_id = catalog.albums[NORTHERN_LIGHTS]
    album = catalog.client.json(f"/v1/albums/{album_id}?market=SE")
    assert album["restrictions"] == {"reason": "market"}
    items = album["tracks"]["items"]
    assert all("available_markets" not in t for t in items)
    magnetic = next(t for t in items if t["name"] == "Magnetic Field")
    assert magnetic["is_playable"] is False
    assert magnetic["restrictions"] == {"reason": "market"}
    assert album["tracks"]["href"].endswith("&market=SE")
    in_germany = catalog.client.json(f"/v1/albums/{album_id}?market=DE")
    assert "restrictions" not in in_germany
    by_name = {t["name"]: t for t in in_germany["tracks"]["items"]}
    assert by_name["Magnetic Field"]["is_playable"] is True
    assert by_name["Aftermath"]["is_playable"] is False


def test_album_object_embeds_the_first_fifty_tracks(catalog: Catalog) -> None:
    album_id = catalog.albums[LONG_ALBUM]
    album = catalog.client.json(f"/v1/albums/{album_id}")
    assert album["total_tracks"] == 55
    tracks = album["tracks"]
    assert (tracks["total"], tracks["limit"], tracks["offset"]) == (55, 50, 0)
    assert len(tracks["items"]) == 50
    assert tracks["next"] == f"{BASE_URL}/v1/albums/{album_id}/tracks?offset=50&limit=50"
    rest = catalog.client.json(strip_base(tracks["next"]))
    assert [t["name"] for t in rest["items"]] == [f"Miniature {n}" for n in range(51, 56)]
    assert rest["next"] is None


def _page(catalog: Catalog, album_id: str, query: str) -> dict[str, Any]:
    page: dict[str, Any] = catalog.client.json(f"/v1/albums/{album_id}/tracks{query}")
    return page


def test_album_tracks_paging(catalog: Catalog) -> None:
    album_id = catalog.albums[NORTHERN_LIGHTS]
    base = f"{BASE_URL}/v1/albums/{album_id}/tracks"
    first = _page(catalog, album_id, "?limit=2")
    assert (first["limit"], first["offset"], first["total"]) == (2, 0, 4)
    assert first["href"] == f"{base}?offset=0&limit=2"
    assert first["next"] == f"{base}?offset=2&limit=2"
    assert first["previous"] is None
    assert [t["track_number"] for t in first["items"]] == [1, 2]
    second = catalog.client.json(strip_base(first["next"]))
    assert second["offset"] == 2
    assert second["next"] is None
    assert second["previous"] == f"{base}?offset=0&limit=2"
    assert [(t["disc_number"], t["track_number"]) for t in second["items"]] == [(1, 3), (2, 1)]
    middle = _page(catalog, album_id, "?limit=2&offset=1")
    assert [t["name"] for t in middle["items"]] == ["Magnetic Field", "Solar Wind - Extended Mix"]
    assert middle["previous"] == f"{base}?offset=0&limit=2"
    assert middle["next"] == f"{base}?offset=3&limit=2"
    beyond = _page(catalog, album_id, "?offset=10")
    assert beyond["items"] == []
    assert beyond["total"] == 4
    assert beyond["next"] is None
    assert beyond["previous"] == f"{base}?offset=0&limit=20"
    default = _page(catalog, album_id, "")
    assert (default["limit"], default["offset"]) == (20, 0)
    assert len(default["items"]) == 4


def test_album_tracks_pages_cover_every_track_once(catalog: Catalog) -> None:
    album_id = catalog.albums[LONG_ALBUM]
    names: list[str] = []
    url: str | None = f"/v1/albums/{album_id}/tracks?limit=7"
    pages = 0
    while url:
        page = catalog.client.json(url)
        names.extend(t["name"] for t in page["items"])
        url = strip_base(page["next"]) if page["next"] else None
        pages += 1
    assert pages == 8
    assert names == [f"Miniature {n}" for n in range(1, 56)]


def test_album_tracks_with_a_market(catalog: Catalog) -> None:
    album_id = catalog.albums[NORTHERN_LIGHTS]
    page = _page(catalog, album_id, "?market=SE&limit=1")
    assert page["next"] == f"{BASE_URL}/v1/albums/{album_id}/tracks?offset=1&limit=1&market=SE"
    assert all("is_playable" in t for t in page["items"])


@pytest.mark.parametrize(
    "query",
    [
        "?limit=0",
        "?limit=51",
        "?limit=abc",
        "?limit=-1",
        "?limit=1.5",
        "?offset=-1",
        "?offset=abc",
        "?offset=100000001",
        "?market=XX",
    ],
)
def test_album_tracks_reject_bad_parameters(catalog: Catalog, query: str) -> None:
    album_id = catalog.albums[NORTHERN_LIGHTS]
    message = catalog.client.error("GET", f"/v1/albums/{album_id}/tracks{query}", 400)
    assert query[1:].split("=", maxsplit=1)[0] in message


def test_album_tracks_accepts_the_limits(catalog: Catalog) -> None:
    album_id = catalog.albums[NORTHERN_LIGHTS]
    assert _page(catalog, album_id, "?limit=1")["limit"] == 1
    assert _page(catalog, album_id, "?limit=50")["limit"] == 50
    assert _page(catalog, album_id, "?offset=100000000")["items"] == []


def test_several_albums(catalog: Catalog) -> None:
    first = catalog.albums[HARBOUR_LIGHTS]
    second = catalog.albums[NORTHERN_LIGHTS]
    unknown = "1" * 22
    client = catalog.client
    albums = client.json(f"/v1/albums?ids={second},{unknown},{first}")["albums"]
    assert [a and a["id"] for a in albums] == [second, None, first]
    assert albums[0] == client.json(f"/v1/albums/{second}")
    in_sweden = client.json(f"/v1/albums?ids={second}&market=SE")["albums"]
    assert in_sweden[0]["restrictions"] == {"reason": "market"}


def test_several_albums_take_at_most_twenty_ids(catalog: Catalog) -> None:
    album_id = catalog.albums[NORTHERN_LIGHTS]
    client = catalog.client
    assert len(client.json(f"/v1/albums?ids={','.join([album_id] * 20)}")["albums"]) == 20
    message = client.error("GET", f"/v1/albums?ids={','.join([album_id] * 21)}", 400)
    assert "20" in message
    client.error("GET", "/v1/albums", 400)
    client.error("GET", "/v1/albums?ids=nope", 400)


def test_albums_by_upc(catalog: Catalog) -> None:
    client = catalog.client
    albums = client.json(f"/v1/albums?upc={NORTHERN_LIGHTS}")["albums"]
    assert [a["id"] for a in albums] == [catalog.albums[NORTHERN_LIGHTS]]
    assert albums[0]["tracks"]["total"] == 4
    assert client.json("/v1/albums?upc=842100000203") == {"albums": []}
    # A wrong check digit is looked up as delivered: real senders' releases carry them.
    assert client.json("/v1/albums?upc=842100000013") == {"albums": []}
    message = client.error("GET", "/v1/albums?upc=abc", 400)
    assert "upc" in message
    client.error("GET", "/v1/albums?upc=84210000001", 400)


def test_unknown_album_is_404_everywhere(catalog: Catalog) -> None:
    client = catalog.client
    client.error("GET", "/v1/albums/" + "1" * 22, 404)
    client.error("GET", "/v1/albums/" + "1" * 22 + "/tracks", 404)
    client.error("GET", "/v1/albums/bad-id", 400)
    client.error("GET", "/v1/albums/bad-id/tracks", 400)
    track_id = catalog.track(NORTHERN_LIGHTS, "Polar Night")
    client.error("GET", f"/v1/albums/{track_id}", 404)
