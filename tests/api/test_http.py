"""HTTP behaviour shared by every route: conditional GET, caching headers, HEAD, errors."""

from __future__ import annotations

import asyncio

import pytest

from liner.api.http import Request
from liner.catalog.markets import MARKETS

from .support import NORTHERN_LIGHTS, SIGNAL_AND_NOISE, Catalog


def test_markets(catalog: Catalog) -> None:
    body = catalog.client.json("/v1/markets")
    assert list(body) == ["markets"]
    markets = body["markets"]
    assert markets == sorted(markets)
    assert len(markets) == len(set(markets)) == len(MARKETS)
    assert {"SE", "US", "DE", "JP", "BR"} <= set(markets)
    assert all(len(m) == 2 and m.isupper() for m in markets)
    assert "WW" not in markets


def _reads(catalog: Catalog) -> list[str]:
    album = catalog.albums[NORTHERN_LIGHTS]
    track = catalog.track(NORTHERN_LIGHTS, "Polar Night")
    show = catalog.shows[SIGNAL_AND_NOISE]
    episode = catalog.episodes[(SIGNAL_AND_NOISE, "Metadata is a product")]
    artist = catalog.artists["Aurora Vale"]
    return [
        f"/v1/tracks/{track}",
        f"/v1/tracks/{track}?market=SE",
        f"/v1/tracks?ids={track}",
        "/v1/tracks?isrc=QZES72400001",
        f"/v1/albums/{album}",
        f"/v1/albums?ids={album}",
        f"/v1/albums?upc={NORTHERN_LIGHTS}",
        f"/v1/albums/{album}/tracks",
        f"/v1/artists/{artist}",
        f"/v1/artists?ids={artist}",
        f"/v1/artists/{artist}/albums",
        f"/v1/shows/{show}",
        f"/v1/shows?ids={show}",
        f"/v1/shows?guid={SIGNAL_AND_NOISE}",
        f"/v1/shows/{show}/episodes",
        f"/v1/episodes/{episode}",
        f"/v1/episodes?ids={episode}",
        "/v1/markets",
    ]


def test_every_catalog_read_is_cacheable_with_an_etag(catalog: Catalog) -> None:
    for url in _reads(catalog):
        response = catalog.client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "public, max-age=30", url
        etag = response.headers["etag"]
        assert etag.startswith('"'), url
        assert etag.endswith('"'), url
        assert int(response.headers["content-length"]) == len(response.content)
        again = catalog.client.get(url)
        assert again.headers["etag"] == etag, url
        assert again.content == response.content, url


def test_if_none_match_answers_304(catalog: Catalog) -> None:
    client = catalog.client
    for url in _reads(catalog):
        etag = client.get(url).headers["etag"]
        response = client.get(url, headers={"If-None-Match": etag})
        assert response.status_code == 304, url
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert response.headers["cache-control"] == "public, max-age=30"
        assert "content-type" not in response.headers


def test_if_none_match_forms(catalog: Catalog) -> None:
    client = catalog.client
    url = f"/v1/albums/{catalog.albums[NORTHERN_LIGHTS]}"
    etag = client.get(url).headers["etag"]
    for value in (f'"nope", {etag}', f'{etag},"other"', "*", f"W/{etag}", f' "x" , W/{etag} '):
        assert client.get(url, headers={"If-None-Match": value}).status_code == 304, value
    for value in ('"nope"', etag[:-2] + '"', "", "W/"):
        response = client.get(url, headers={"If-None-Match": value})
        assert response.status_code == 200, value
        assert response.headers["etag"] == etag


def test_the_etag_follows_the_representation(catalog: Catalog) -> None:
    client = catalog.client
    track = catalog.track(NORTHERN_LIGHTS, "Polar Night")
    plain = client.get(f"/v1/tracks/{track}").headers["etag"]
    in_sweden = client.get(f"/v1/tracks/{track}?market=SE").headers["etag"]
    in_germany = client.get(f"/v1/tracks/{track}?market=DE").headers["etag"]
    assert len({plain, in_sweden, in_germany}) == 3
    response = client.get(f"/v1/tracks/{track}?market=SE", headers={"If-None-Match": plain})
    assert response.status_code == 200


def test_head_answers_the_headers_without_a_body(catalog: Catalog) -> None:
    client = catalog.client
    url = f"/v1/albums/{catalog.albums[NORTHERN_LIGHTS]}"
    get = client.get(url)
    head = client.request("HEAD", url)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["content-type"] == get.headers["content-type"]
    assert client.request("HEAD", "/v1/albums/" + "4" * 22).status_code == 404


def test_a_bearer_token_on_public_reads_is_ignored(catalog: Catalog) -> None:
    client = catalog.client
    for url in _reads(catalog)[:6]:
        plain = client.get(url)
        for token in ("Bearer some-spotify-token", "Bearer lnr_nope_nope", "Basic Zm9vOmJhcg=="):
            response = client.get(url, headers={"Authorization": token})
            assert response.status_code == 200, (url, token)
            assert response.content == plain.content


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/v1",
        "/v1/",
        "/v1/nope",
        "/v1/nope/" + "4" * 22,
        "/v1/tracks//",
        "/v1/albums/" + "4" * 22 + "/tracks//",
        "/v1/tracks/" + "4" * 22 + "/albums",
        "/v1/albums/" + "4" * 22 + "/nope",
        "/v1/albums/a/b/c",
        "/v1//tracks",
        "/v2/markets",
        "/v1/me",
        "/v1/search",
        "/V1/markets",
        "/healthz/x",
    ],
)
def test_unknown_paths_are_404(catalog: Catalog, path: str) -> None:
    catalog.client.error("GET", path, 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/markets"),
        ("PUT", "/v1/tracks/{track}"),
        ("DELETE", "/v1/albums/{album}"),
        ("PATCH", "/v1/albums/{album}/tracks"),
        ("POST", "/v1/tracks?ids={track}"),
        ("OPTIONS", "/v1/markets"),
        ("POST", "/v1/changes"),
        ("POST", "/healthz"),
        ("GET", "/v1/ingest/releases"),
        ("HEAD", "/v1/ingest/shows"),
        ("PUT", "/v1/ingest/releases"),
        ("DELETE", "/v1/ingest/shows"),
    ],
)
def test_wrong_method_is_405(catalog: Catalog, method: str, path: str) -> None:
    url = path.format(track=catalog.track(NORTHERN_LIGHTS, "Polar Night"), album="4" * 22)
    response = catalog.client.request(method, url)
    assert response.status_code == 405, response.text
    allowed = "POST" if path.startswith("/v1/ingest/") else "GET, HEAD"
    assert response.headers["allow"] == allowed
    if method != "HEAD":
        assert response.json() == {"error": {"status": 405, "message": "method not allowed"}}


def test_an_overlong_uri_is_414(catalog: Catalog) -> None:
    catalog.client.error("GET", "/v1/tracks/" + "a" * 9000, 414)


def test_query_parameters_are_taken_once_the_first_wins(catalog: Catalog) -> None:
    track = catalog.track(NORTHERN_LIGHTS, "Magnetic Field")
    first = catalog.client.json(f"/v1/tracks/{track}?market=SE&market=DE")
    assert first["is_playable"] is False


def test_changes_reject_bad_parameters(catalog: Catalog) -> None:
    for query in ("since=abc", "since=-1", "since=1.5", "since=" + "9" * 19, "limit=0", "limit=51"):
        message = catalog.client.error("GET", f"/v1/changes?{query}", 400)
        assert query.split("=")[0] in message
    assert catalog.client.get("/v1/changes?since=&limit=").status_code == 200


def test_one_trailing_slash_is_taken_as_spotify_does(catalog: Catalog) -> None:
    client = catalog.client
    album = catalog.albums[NORTHERN_LIGHTS]
    track = catalog.track(NORTHERN_LIGHTS, "Polar Night")
    show = catalog.shows[SIGNAL_AND_NOISE]
    for path in (
        f"/v1/tracks/?ids={track}",
        f"/v1/tracks/{track}/",
        f"/v1/albums/?ids={album}",
        f"/v1/albums/{album}/tracks/?limit=2",
        f"/v1/shows/{show}/episodes/",
        "/v1/markets/",
    ):
        assert client.json(path) == client.json(path.replace("/?", "?").rstrip("/")), path
    client.error("GET", "/v1/tracks/", 400)
    assert client.get("/healthz/").status_code == 200


@pytest.mark.parametrize(
    ("headers", "unread"),
    [
        ({}, False),
        ({b"content-length": b"0"}, False),
        ({b"content-length": b"00"}, False),
        ({b"content-length": b"120"}, True),
        ({b"transfer-encoding": b"chunked"}, True),
    ],
)
def test_a_body_left_unread_is_known(headers: dict[bytes, bytes], unread: bool) -> None:
    request = Request("POST", "/v1/ingest/releases", {}, headers)
    assert request.left_body_unread() is unread

    async def reader() -> bytes:
        return b"{}"

    request.body_reader = reader
    assert asyncio.run(request.read_body()) == b"{}"
    assert request.left_body_unread() is False
