"""Every served document validates against the response schema /openapi.json declares."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from .support import NORTHERN_LIGHTS, SIGNAL_AND_NOISE, Catalog

URI = "urn:liner-openapi"


@pytest.fixture(scope="module")
def served_spec(catalog: Catalog) -> dict[str, Any]:
    spec: dict[str, Any] = catalog.client.json("/openapi.json")
    return spec


def test_component_schemas_are_valid_json_schema(served_spec: dict[str, Any]) -> None:
    for name, schema in served_spec["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object", name


def _validator(spec: dict[str, Any], template: str, status: str) -> Draft202012Validator:
    registry: Registry[Any] = Registry().with_resource(URI, DRAFT202012.create_resource(spec))
    escaped = template.replace("~", "~0").replace("/", "~1")
    pointer = f"/paths/{escaped}/get/responses/{status}/content/application~1json/schema"
    return Draft202012Validator({"$ref": f"{URI}#{pointer}"}, registry=registry)


def test_reads_conform_to_the_served_spec(catalog: Catalog, served_spec: dict[str, Any]) -> None:
    album = catalog.albums[NORTHERN_LIGHTS]
    track = catalog.track(NORTHERN_LIGHTS, "Polar Night")
    show = catalog.shows[SIGNAL_AND_NOISE]
    episode = catalog.episodes[(SIGNAL_AND_NOISE, "Metadata is a product")]
    artist = catalog.artists["Mira Sol"]
    unknown = "8" * 22
    cases = [
        ("/v1/tracks/{id}", f"/v1/tracks/{track}", "200"),
        ("/v1/tracks/{id}", f"/v1/tracks/{track}?market=SE", "200"),
        ("/v1/tracks/{id}", f"/v1/tracks/{unknown}", "404"),
        ("/v1/tracks", f"/v1/tracks?ids={track},{unknown}&market=DE", "200"),
        ("/v1/tracks", "/v1/tracks?ids=x", "400"),
        ("/v1/albums/{id}", f"/v1/albums/{album}?market=SE", "200"),
        ("/v1/albums", f"/v1/albums?ids={album},{unknown}", "200"),
        ("/v1/albums/{id}/tracks", f"/v1/albums/{album}/tracks?limit=2&offset=1", "200"),
        ("/v1/artists/{id}", f"/v1/artists/{artist}", "200"),
        ("/v1/artists", f"/v1/artists?ids={unknown},{artist}", "200"),
        ("/v1/artists/{id}/albums", f"/v1/artists/{artist}/albums?limit=2", "200"),
        ("/v1/shows/{id}", f"/v1/shows/{show}", "200"),
        ("/v1/shows", f"/v1/shows?ids={show},{unknown}", "200"),
        ("/v1/shows/{id}/episodes", f"/v1/shows/{show}/episodes?limit=1", "200"),
        ("/v1/episodes/{id}", f"/v1/episodes/{episode}", "200"),
        ("/v1/episodes", f"/v1/episodes?ids={episode},{unknown}", "200"),
        ("/v1/markets", "/v1/markets", "200"),
        ("/v1/changes", "/v1/changes?limit=5", "200"),
        ("/v1/changes", "/v1/changes?since=x", "400"),
    ]
    for template, url, status in cases:
        response = catalog.client.get(url)
        assert str(response.status_code) == status, url
        _validator(served_spec, template, status).validate(response.json())
