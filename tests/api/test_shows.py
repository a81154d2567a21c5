"""/v1/shows and /v1/episodes: objects, episode paging, and lookups by feed URL and GUID."""

from __future__ import annotations

import pytest

from .support import BASE_URL, SIGNAL_AND_NOISE, SIGNAL_AND_NOISE_FEED, Catalog, strip_base

LONG_WAVE = "2f0a6b1e-3c55-5d6f-9a1b-7c2d3e4f5a6b"
LONG_WAVE_FEED = "https://Podcasts.Example.net/Long-Wave/feed.xml"


def test_show_object(catalog: Catalog) -> None:
    show_id = catalog.shows[SIGNAL_AND_NOISE]
    show = catalog.client.json(f"/v1/shows/{show_id}")
    assert show["id"] == show_id
    assert show["type"] == "show"
    assert show["uri"] == f"liner:show:{show_id}"
    assert show["href"] == f"{BASE_URL}/v1/shows/{show_id}"
    assert show["name"] == "Signal & Noise"
    assert show["publisher"] == "Liner Example Studios"
    assert show["description"] == "Conversations about how sound is made, shipped and heard."
    assert "<strong>sound</strong>" in show["html_description"]
    assert "script" not in show["html_description"]
    assert show["languages"] == ["en"]
    assert show["media_type"] == "audio"
    assert show["explicit"] is False
    assert show["is_externally_hosted"] is True
    assert show["total_episodes"] == 3
    assert "SE" in show["available_markets"]
    assert show["images"] == [
        {"url": "https://images.example.com/sn/show-1400.jpg", "height": 1400, "width": 1400}
    ]
    episodes = show["episodes"]
    assert episodes["href"] == f"{BASE_URL}/v1/shows/{show_id}/episodes?offset=0&limit=50"
    assert (episodes["total"], episodes["limit"], episodes["offset"]) == (3, 50, 0)
    assert episodes["next"] is None
    assert [e["name"] for e in episodes["items"]] == [
        "Loudness wars, revisited",
        "Metadata is a product",
        "Trailer: Signal & Noise",
    ]
    assert all("show" not in e for e in episodes["items"])


def test_show_territories_are_its_markets(catalog: Catalog) -> None:
    show = catalog.client.json(f"/v1/shows/{catalog.shows[LONG_WAVE]}")
    assert show["available_markets"] == ["NO", "SE"]
    assert show["total_episodes"] == 7


def test_show_accepts_and_checks_a_market(catalog: Catalog) -> None:
    show_id = catalog.shows[SIGNAL_AND_NOISE]
    client = catalog.client
    assert client.json(f"/v1/shows/{show_id}?market=SE")["id"] == show_id
    client.error("GET", f"/v1/shows/{show_id}?market=XX", 400)
    client.error("GET", f"/v1/shows/{show_id}/episodes?market=XX", 400)


def test_episode_object(catalog: Catalog) -> None:
    episode_id = catalog.episodes[(SIGNAL_AND_NOISE, "Loudness wars, revisited")]
    episode = catalog.client.json(f"/v1/episodes/{episode_id}")
    assert episode["id"] == episode_id
    assert episode["type"] == "episode"
    assert episode["uri"] == f"liner:episode:{episode_id}"
    assert episode["href"] == f"{BASE_URL}/v1/episodes/{episode_id}"
    assert episode["duration_ms"] == 3_012_000
    assert episode["release_date"] == "2024-05-06"
    assert episode["release_date_precision"] == "day"
    assert episode["audio_preview_url"] is None
    assert episode["is_playable"] is True
    assert episode["is_externally_hosted"] is True
    assert episode["description"] == "Why everything got louder, and why it stopped. Notes"
    assert 'rel="nofollow noopener"' in episode["html_description"]
    assert episode["audio"] == {
        "url": "https://media.example.com/sn/003.mp3",
        "type": "audio/mpeg",
        "length": 48_200_000,
    }
    assert (episode["season_number"], episode["episode_number"]) == (1, 3)
    assert episode["episode_type"] == "full"
    assert episode["chapters_url"] == "https://media.example.com/sn/003-chapters.json"
    show = episode["show"]
    assert show["id"] == catalog.shows[SIGNAL_AND_NOISE]
    assert show["name"] == "Signal & Noise"
    assert "episodes" not in show
    trailer_id = catalog.episodes[(SIGNAL_AND_NOISE, "Trailer: Signal & Noise")]
    trailer = catalog.client.json(f"/v1/episodes/{trailer_id}?market=SE")
    assert trailer["episode_type"] == "trailer"
    assert trailer["duration_ms"] == 130_000


def test_show_episodes_paging(catalog: Catalog) -> None:
    show_id = catalog.shows[LONG_WAVE]
    base = f"{BASE_URL}/v1/shows/{show_id}/episodes"
    first = catalog.client.json(f"/v1/shows/{show_id}/episodes?limit=3")
    assert (first["total"], first["limit"], first["offset"]) == (7, 3, 0)
    assert first["href"] == f"{base}?offset=0&limit=3"
    assert first["next"] == f"{base}?offset=3&limit=3"
    assert first["previous"] is None
    names: list[str] = []
    page = first
    while True:
        names.extend(e["name"] for e in page["items"])
        if page["next"] is None:
            break
        page = catalog.client.json(strip_base(page["next"]))
    assert names == [f"Long Wave {n}" for n in range(7, 0, -1)]
    assert page["offset"] == 6
    assert page["previous"] == f"{base}?offset=3&limit=3"
    default = catalog.client.json(f"/v1/shows/{show_id}/episodes")
    assert (default["limit"], len(default["items"])) == (20, 7)
    beyond = catalog.client.json(f"/v1/shows/{show_id}/episodes?offset=7")
    assert beyond["items"] == []
    for query in ("?limit=0", "?limit=51", "?limit=abc", "?offset=-3"):
        catalog.client.error("GET", f"/v1/shows/{show_id}/episodes{query}", 400)


def test_several_shows_and_episodes(catalog: Catalog) -> None:
    client = catalog.client
    first = catalog.shows[LONG_WAVE]
    second = catalog.shows[SIGNAL_AND_NOISE]
    unknown = "3" * 22
    shows = client.json(f"/v1/shows?ids={second},{unknown},{first}")["shows"]
    assert [s and s["name"] for s in shows] == ["Signal & Noise", None, "Long Wave"]
    assert shows[0] == client.json(f"/v1/shows/{second}")
    episode = catalog.episodes[(LONG_WAVE, "Long Wave 2")]
    episodes = client.json(f"/v1/episodes?ids={unknown},{episode}")["episodes"]
    assert episodes[0] is None
    assert episodes[1] == client.json(f"/v1/episodes/{episode}")
    for kind, some_id in (("shows", first), ("episodes", episode)):
        assert len(client.json(f"/v1/{kind}?ids={','.join([some_id] * 50)}")[kind]) == 50
        client.error("GET", f"/v1/{kind}?ids={','.join([some_id] * 51)}", 400)
        client.error("GET", f"/v1/{kind}", 400)
        client.error("GET", f"/v1/{kind}?ids=bad", 400)
        client.error("GET", f"/v1/{kind}?ids={some_id}&market=XX", 400)


def test_unknown_and_malformed_shows_and_episodes(catalog: Catalog) -> None:
    client = catalog.client
    client.error("GET", "/v1/shows/" + "3" * 22, 404)
    client.error("GET", "/v1/shows/" + "3" * 22 + "/episodes", 404)
    client.error("GET", "/v1/episodes/" + "3" * 22, 404)
    client.error("GET", "/v1/shows/nope", 400)
    client.error("GET", "/v1/shows/nope/episodes", 400)
    client.error("GET", "/v1/episodes/nope", 400)
    episode = catalog.episodes[(LONG_WAVE, "Long Wave 1")]
    client.error("GET", f"/v1/shows/{episode}", 404)


def test_show_by_feed_url(catalog: Catalog) -> None:
    shows = catalog.client.json("/v1/shows", params={"feed_url": SIGNAL_AND_NOISE_FEED})
    assert [s["id"] for s in shows["shows"]] == [catalog.shows[SIGNAL_AND_NOISE]]
    assert shows["shows"][0]["episodes"]["total"] == 3
    unknown = catalog.client.json("/v1/shows", params={"feed_url": "https://nowhere.example/x"})
    assert unknown == {"shows": []}


def test_show_by_the_feed_url_as_the_creator_wrote_it(catalog: Catalog) -> None:
    shows = catalog.client.json("/v1/shows", params={"feed_url": LONG_WAVE_FEED})
    assert [s["id"] for s in shows["shows"]] == [catalog.shows[LONG_WAVE]]


@pytest.mark.parametrize(
    "guid", [SIGNAL_AND_NOISE, SIGNAL_AND_NOISE.upper(), f" {SIGNAL_AND_NOISE} "]
)
def test_show_by_podcast_guid(catalog: Catalog, guid: str) -> None:
    shows = catalog.client.json("/v1/shows", params={"guid": guid})
    assert [s["id"] for s in shows["shows"]] == [catalog.shows[SIGNAL_AND_NOISE]]


@pytest.mark.parametrize("guid", ["00000000-0000-0000-0000-000000000000", "x", "a\x00b", "é" * 300])
def test_show_by_an_unknown_guid(catalog: Catalog, guid: str) -> None:
    assert catalog.client.json("/v1/shows", params={"guid": guid}) == {"shows": []}


def test_ids_win_over_show_lookups(catalog: Catalog) -> None:
    show_id = catalog.shows[LONG_WAVE]
    shows = catalog.client.json("/v1/shows", params={"ids": show_id, "guid": SIGNAL_AND_NOISE})
    assert [s["id"] for s in shows["shows"]] == [show_id]
