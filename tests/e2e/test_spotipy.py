"""An unmodified Spotify client (spotipy) reads the catalog with only its base URL changed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import spotipy

from .conftest import Demo

pytestmark = pytest.mark.e2e


@pytest.fixture
def sp(demo: Demo) -> Iterator[spotipy.Spotify]:
    with requests.Session() as session:
        client = spotipy.Spotify(auth="any-token", requests_session=session, retries=0)
        client.prefix = f"{demo.url}/v1/"
        yield client


def test_a_track(demo: Demo, sp: spotipy.Spotify) -> None:
    album = sp.album(demo.albums["Northern Lights"])
    track_id = album["tracks"]["items"][0]["id"]
    track = sp.track(track_id)
    assert track["id"] == track_id
    assert track["name"] == "Polar Night"
    assert track["duration_ms"] == 252_000
    assert track["external_ids"] == {"isrc": "QZES72400001"}
    assert track["album"]["name"] == "Northern Lights"
    assert [a["name"] for a in track["artists"]] == ["Aurora Vale"]
    assert "SE" not in track["available_markets"]
    relinked = sp.track(track_id, market="SE")
    assert relinked["is_playable"] is True
    assert relinked["linked_from"]["id"] == track_id
    assert relinked["album"]["id"] == demo.albums["Polar Night"]
    several = sp.tracks([track_id, relinked["id"]])["tracks"]
    assert [t["album"]["name"] for t in several] == ["Northern Lights", "Polar Night"]
    with pytest.raises(spotipy.SpotifyException) as raised:
        sp.track("0" * 22)
    assert raised.value.http_status == 404


def test_an_album_and_its_tracks(demo: Demo, sp: spotipy.Spotify) -> None:
    album = sp.album(demo.albums["Northern Lights"])
    assert album["name"] == "Northern Lights"
    assert album["label"] == "Liner Example Records"
    assert album["release_date"] == "2024-03-15"
    assert album["external_ids"] == {"upc": "842100000012"}
    assert album["tracks"]["total"] == 4
    page = sp.album_tracks(album["id"], limit=2)
    names = [t["name"] for t in page["items"]]
    while page["next"]:
        page = sp.next(page)
        names.extend(t["name"] for t in page["items"])
    assert names == ["Polar Night", "Magnetic Field", "Solar Wind - Extended Mix", "Aftermath"]
    ep = sp.album(demo.albums["Harbour Lights"])
    assert ep["album_type"] == "single"
    assert [t["name"] for t in ep["tracks"]["items"]] == ["Tideline", "Lanterns", "Breakwater"]


def test_an_artists_albums(demo: Demo, sp: spotipy.Spotify) -> None:
    album = sp.album(demo.albums["Northern Lights"])
    artist_id = album["artists"][0]["id"]
    artist = sp.artist(artist_id)
    assert artist["name"] == "Aurora Vale"
    assert artist["followers"]["total"] == 0
    albums = sp.artist_albums(artist_id, include_groups="album,single")
    assert albums["total"] == 2
    assert [(a["name"], a["album_group"]) for a in albums["items"]] == [
        ("Northern Lights", "album"),
        ("Polar Night", "single"),
    ]
    singles = sp.artist_albums(artist_id, include_groups="single", country="SE")
    assert [a["name"] for a in singles["items"]] == ["Polar Night"]
    assert sp.artist_albums(artist_id, include_groups="album", country="SE")["items"] == []
    first = sp.artist_albums(artist_id, limit=1)
    assert [a["name"] for a in sp.next(first)["items"]] == ["Polar Night"]


def test_a_show_and_its_episodes(demo: Demo, sp: spotipy.Spotify) -> None:
    show = sp.show(demo.shows["Signal & Noise"])
    assert show["name"] == "Signal & Noise"
    assert show["publisher"] == "Liner Example Studios"
    assert show["total_episodes"] == 3
    episodes = sp.show_episodes(show["id"], limit=2)
    assert episodes["total"] == 3
    names = [e["name"] for e in episodes["items"]]
    names.extend(e["name"] for e in sp.next(episodes)["items"])
    assert names == ["Loudness wars, revisited", "Metadata is a product", "Trailer: Signal & Noise"]
    episode = sp.episode(episodes["items"][0]["id"], market="SE")
    assert episode["name"] == "Loudness wars, revisited"
    assert episode["duration_ms"] == 3_012_000
    assert episode["show"]["name"] == "Signal & Noise"
    assert sp.shows([show["id"]])["shows"][0]["name"] == "Signal & Noise"
