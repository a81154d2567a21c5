"""Every served document validates against the Spotify Web API reference's schemas.

The reference is OpenAPI 3.0 (``nullable``); its ``components`` are turned into JSON Schema
2020-12 and put in a ``referencing`` registry, so ``#/components/schemas/...`` refs resolve
inside it. Object types that the reference leaves without ``required`` are also checked
for completeness: every property Spotify defines is present, except the ones that are
optional by Spotify's own semantics (market-dependent fields, user-dependent ones, and
the deprecated ``language`` of an episode).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from .support import (
    HARBOUR_LIGHTS,
    NORTHERN_LIGHTS,
    POLAR_NIGHT_SINGLE,
    Catalog,
)

pytestmark = pytest.mark.corpus

URI = "urn:spotify-web-api"
LONG_ALBUM = "842100000142"
OPTIONAL = {
    "TrackObject": {"is_playable", "linked_from", "restrictions", "available_markets"},
    "SimplifiedTrackObject": {"is_playable", "linked_from", "restrictions", "available_markets"},
    "AlbumObject": {"restrictions"},
    "SimplifiedAlbumObject": {"restrictions"},
    "ArtistDiscographyAlbumObject": {"restrictions"},
    "EpisodeObject": {"resume_point", "restrictions", "language"},
    "SimplifiedEpisodeObject": {"resume_point", "restrictions", "language"},
}


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema objects as JSON Schema: ``nullable`` becomes a null type."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k not in ("nullable", "example")}
    if node.get("nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


class Reference:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.components: dict[str, Any] = _json_schema(spec["components"])
        resource = DRAFT202012.create_resource({"components": self.components})
        self.registry: Registry[Any] = Registry().with_resource(URI, resource)

    def validator(self, pointer: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"{URI}#{pointer}"}, registry=self.registry)

    def validate(self, name: str, document: Any) -> None:
        pointer = f"/components/schemas/{name}"
        errors = sorted(self.validator(pointer).iter_errors(document), key=str)
        assert not errors, f"{name}: " + "; ".join(
            f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]
        )
        missing = self.properties(name) - OPTIONAL.get(name, set()) - set(document)
        assert not missing, f"{name} lacks {sorted(missing)}"

    def validate_response(self, name: str, document: Any) -> None:
        pointer = f"/components/responses/{name}/content/application~1json/schema"
        self.validator(pointer).validate(document)

    def properties(self, name: str) -> set[str]:
        return set(self._properties(self.components["schemas"][name]))

    def _properties(self, schema: dict[str, Any]) -> Iterator[str]:
        yield from schema.get("properties", {})
        for part in schema.get("allOf", []):
            ref = part.get("$ref")
            if ref:
                yield from self._properties(self.components["schemas"][ref.rsplit("/", 1)[1]])
            else:
                yield from self._properties(part)


@pytest.fixture(scope="module")
def reference(shared_dir: Path) -> Reference:
    path = shared_dir / "reference" / "spotify-web-api-openapi.yml"
    return Reference(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_the_reference_rejects_what_it_should(reference: Reference) -> None:
    """The converted reference still has teeth: a wrong type or a missing field fails."""
    with pytest.raises(ValidationError):
        reference.validator("/components/schemas/ImageObject").validate({"url": "x"})
    with pytest.raises(ValidationError):
        reference.validator("/components/schemas/PagingObject").validate({"href": 1})
    reference.validator("/components/schemas/ImageObject").validate(
        {"url": "x", "height": None, "width": None}
    )
    with pytest.raises(AssertionError):
        reference.validate("TrackObject", {"id": "x"})


def _tracks(catalog: Catalog) -> list[str]:
    return [
        catalog.track(NORTHERN_LIGHTS, "Polar Night"),
        catalog.track(NORTHERN_LIGHTS, "Magnetic Field"),
        catalog.track(NORTHERN_LIGHTS, "Solar Wind - Extended Mix"),
        catalog.track(NORTHERN_LIGHTS, "Aftermath"),
        catalog.track(POLAR_NIGHT_SINGLE, "Polar Night"),
        catalog.track(HARBOUR_LIGHTS, "Tideline"),
    ]


MARKETS = ["", "?market=SE", "?market=DE", "?market=US"]


def test_tracks(catalog: Catalog, reference: Reference) -> None:
    client = catalog.client
    for track_id in _tracks(catalog):
        for market in MARKETS:
            track = client.json(f"/v1/tracks/{track_id}{market}")
            reference.validate("TrackObject", track)
            reference.validate("SimplifiedAlbumObject", track["album"])
            for artist in track["artists"]:
                reference.validate("SimplifiedArtistObject", artist)
            if "linked_from" in track:
                reference.validate("LinkedTrackObject", track["linked_from"])
    for market in MARKETS:
        several = client.json(
            f"/v1/tracks?ids={','.join(_tracks(catalog))}{market.replace('?', '&')}"
        )
        reference.validate_response("ManyTracks", several)
    reference.validate_response("ManyTracks", client.json("/v1/tracks?isrc=QZES72400001"))


def test_albums(catalog: Catalog, reference: Reference) -> None:
    client = catalog.client
    for album_id in catalog.albums.values():
        for market in MARKETS:
            album = client.json(f"/v1/albums/{album_id}{market}")
            reference.validate("AlbumObject", album)
            reference.validate("PagingSimplifiedTrackObject", album["tracks"])
            for track in album["tracks"]["items"]:
                reference.validate("SimplifiedTrackObject", track)
            for copyright_line in album["copyrights"]:
                reference.validate("CopyrightObject", copyright_line)
    ids = ",".join(list(catalog.albums.values())[:20])
    reference.validate_response("ManyAlbums", client.json(f"/v1/albums?ids={ids}"))
    reference.validate_response("ManyAlbums", client.json(f"/v1/albums?upc={NORTHERN_LIGHTS}"))


def test_album_track_pages(catalog: Catalog, reference: Reference) -> None:
    album_id = catalog.albums[LONG_ALBUM]
    for query in ("", "?limit=50", "?limit=7&offset=14", "?offset=50&market=SE", "?offset=99"):
        page = catalog.client.json(f"/v1/albums/{album_id}/tracks{query}")
        reference.validate("PagingObject", page)
        reference.validate("PagingSimplifiedTrackObject", page)
        for track in page["items"]:
            reference.validate("SimplifiedTrackObject", track)


def test_artists_and_their_albums(catalog: Catalog, reference: Reference) -> None:
    client = catalog.client
    for artist_id in catalog.artists.values():
        reference.validate("ArtistObject", client.json(f"/v1/artists/{artist_id}"))
        for query in ("", "?include_groups=appears_on", "?limit=1&offset=1", "?market=SE"):
            page = client.json(f"/v1/artists/{artist_id}/albums{query}")
            reference.validate("PagingObject", page)
            reference.validate("PagingArtistDiscographyAlbumObject", page)
            for album in page["items"]:
                reference.validate("ArtistDiscographyAlbumObject", album)
    ids = ",".join(catalog.artists.values())
    reference.validate_response("ManyArtists", client.json(f"/v1/artists?ids={ids}"))


def test_shows_and_episodes(catalog: Catalog, reference: Reference) -> None:
    client = catalog.client
    for guid, show_id in catalog.shows.items():
        show = client.json(f"/v1/shows/{show_id}")
        reference.validate("ShowObject", show)
        reference.validate("PagingSimplifiedEpisodeObject", show["episodes"])
        for query in ("", "?limit=2&offset=1", "?market=SE"):
            page = client.json(f"/v1/shows/{show_id}/episodes{query}")
            reference.validate("PagingObject", page)
            reference.validate("PagingSimplifiedEpisodeObject", page)
            for episode in page["items"]:
                reference.validate("SimplifiedEpisodeObject", episode)
        reference.validate_response("ManySimplifiedShows", client.json(f"/v1/shows?guid={guid}"))
    for episode_id in catalog.episodes.values():
        episode = client.json(f"/v1/episodes/{episode_id}")
        reference.validate("EpisodeObject", episode)
        reference.validate("SimplifiedShowObject", episode["show"])
    ids = ",".join(catalog.episodes.values())
    reference.validate_response("ManyEpisodes", client.json(f"/v1/episodes?ids={ids}"))
    ids = ",".join(catalog.shows.values())
    reference.validate_response("ManySimplifiedShows", client.json(f"/v1/shows?ids={ids}"))


def test_markets(catalog: Catalog, reference: Reference) -> None:
    reference.validate_response("Markets", catalog.client.json("/v1/markets"))


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/tracks/" + "7" * 22, 404),
        ("GET", "/v1/tracks/bad", 400),
        ("GET", "/v1/albums?ids=", 400),
        ("GET", "/v1/nope", 404),
        ("DELETE", "/v1/markets", 405),
        ("POST", "/v1/ingest/releases", 401),
        ("GET", "/v1/tracks/" + "a" * 9000, 414),
    ],
)
def test_errors(
    catalog: Catalog, reference: Reference, method: str, path: str, status: int
) -> None:
    response = catalog.client.request(method, path)
    assert response.status_code == status
    body = response.json()
    reference.validate("ErrorObject", body["error"])
    reference.validate_response("Unauthorized", body)


def test_spotify_paths_liner_serves_exist_in_the_reference(
    shared_dir: Path, catalog: Catalog
) -> None:
    path = shared_dir / "reference" / "spotify-web-api-openapi.yml"
    spec: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    served: dict[str, Any] = catalog.client.json("/openapi.json")["paths"]
    extensions = {
        "/v1/changes",
        "/v1/ingest/releases",
        "/v1/ingest/shows",
        "/v1/ingest/ddex",
        "/v1/ingest/feeds",
        "/v1/deliveries",
        "/v1/deliveries/{id}",
        "/v1/feeds",
        "/v1/feeds/{id}",
    }
    for liner_path, operations in served.items():
        if liner_path in extensions:
            continue
        spotify_path = liner_path.removeprefix("/v1")
        assert spotify_path in spec["paths"], liner_path
        assert set(operations) <= set(spec["paths"][spotify_path]), liner_path
        ours = {p["name"] for p in operations["get"]["parameters"]}
        theirs = {
            _parameter_name(spec, p)
            for p in spec["paths"][spotify_path]["get"].get("parameters", [])
        }
        assert theirs <= ours | {"additional_types"}, (liner_path, theirs - ours)


def _parameter_name(spec: dict[str, Any], parameter: dict[str, Any]) -> str:
    ref: str | None = parameter.get("$ref")
    if ref is None:
        return str(parameter["name"])
    return str(spec["components"]["parameters"][ref.rsplit("/", 1)[1]]["name"])
