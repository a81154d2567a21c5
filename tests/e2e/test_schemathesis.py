"""Schemathesis against the served /openapi.json: generated requests to every operation.

Public GET operations: no 5xx, every status documented, every body as its schema says.
Account operations (ingest POSTs, deliveries, feeds) without a key: always 401, whatever
the request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from .conftest import Demo, latest_cursor

pytestmark = pytest.mark.e2e

GETS = [
    "/v1/tracks/{id}",
    "/v1/tracks",
    "/v1/albums/{id}",
    "/v1/albums",
    "/v1/albums/{id}/tracks",
    "/v1/artists/{id}",
    "/v1/artists",
    "/v1/artists/{id}/albums",
    "/v1/shows/{id}",
    "/v1/shows",
    "/v1/shows/{id}/episodes",
    "/v1/episodes/{id}",
    "/v1/episodes",
    "/v1/markets",
    "/v1/changes",
]
POSTS = ["/v1/ingest/releases", "/v1/ingest/shows", "/v1/ingest/ddex", "/v1/ingest/feeds"]
KEYED_GETS = ["/v1/deliveries", "/v1/deliveries/{id}", "/v1/feeds", "/v1/feeds/{id}"]
BOUNDED = settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def api(demo: Demo) -> Any:
    return schemathesis.openapi.from_url(f"{demo.url}/openapi.json")


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as opened:
        yield opened


def test_every_operation_is_covered(api: Any) -> None:
    operations = [result.ok() for result in api.get_all_operations()]
    served = {(op.method.upper(), op.path) for op in operations}
    gets = {("GET", p) for p in [*GETS, *KEYED_GETS]}
    assert served == gets | {("POST", p) for p in POSTS}


@pytest.fixture(scope="module")
def seeds(demo: Demo) -> dict[str, dict[str, dict[str, str]]]:
    """Known ids per GET operation, so that generated requests also reach found documents."""
    album = demo.http.get(f"/v1/albums/{demo.albums['Northern Lights']}").json()
    show = demo.http.get(f"/v1/shows/{demo.shows['Signal & Noise']}").json()
    track = album["tracks"]["items"][0]["id"]
    artist = album["artists"][0]["id"]
    episode = show["episodes"]["items"][0]["id"]
    by_id = {"tracks": track, "albums": album["id"], "artists": artist, "shows": show["id"]}
    by_id["episodes"] = episode
    found: dict[str, dict[str, dict[str, str]]] = {}
    for kind, some_id in by_id.items():
        found[f"/v1/{kind}"] = {"query": {"ids": f"{some_id},{'0' * 22}"}}
        found[f"/v1/{kind}/{{id}}"] = {"path_parameters": {"id": some_id}}
    found["/v1/albums/{id}/tracks"] = found["/v1/albums/{id}"]
    found["/v1/artists/{id}/albums"] = found["/v1/artists/{id}"]
    found["/v1/shows/{id}/episodes"] = found["/v1/shows/{id}"]
    found["/v1/changes"] = {"query": {"since": "0"}}
    found["/v1/markets"] = {}
    return found


@pytest.mark.parametrize("path", GETS)
def test_get_operation(
    api: Any,
    session: requests.Session,
    demo: Demo,
    seeds: dict[str, dict[str, dict[str, str]]],
    path: str,
) -> None:
    operation = api[path]["GET"]
    statuses: list[int] = []

    def run(strategy: Any) -> None:
        @BOUNDED
        @given(case=strategy)
        def check(case: Any) -> None:
            response = case.call_and_validate(
                base_url=demo.url,
                session=session,
                checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
            )
            statuses.append(response.status_code)

        check()

    run(operation.as_strategy())
    run(operation.as_strategy(**seeds[path]))
    assert 200 in statuses
    if path != "/v1/markets":
        assert 400 in statuses


@pytest.mark.parametrize("path", POSTS)
def test_post_operation_without_a_key(
    api: Any, session: requests.Session, demo: Demo, path: str
) -> None:
    operation = api[path]["POST"]
    statuses: list[int] = []
    cursor = latest_cursor(demo)

    @BOUNDED
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        if case.headers:
            case.headers = {k: v for k, v in case.headers.items() if k.lower() != "authorization"}
        response = case.call_and_validate(
            base_url=demo.url,
            session=session,
            checks=[not_a_server_error, response_schema_conformance],
        )
        statuses.append(response.status_code)
        assert response.status_code == 401, response.text

    check()
    assert statuses
    assert demo.http.get(f"/v1/changes?since={cursor}").json()["changes"] == []


@pytest.mark.parametrize("path", KEYED_GETS)
def test_account_reads_without_a_key(
    api: Any, session: requests.Session, demo: Demo, path: str
) -> None:
    operation = api[path]["GET"]
    statuses: list[int] = []

    @BOUNDED
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        if case.headers:
            case.headers = {k: v for k, v in case.headers.items() if k.lower() != "authorization"}
        response = case.call_and_validate(
            base_url=demo.url,
            session=session,
            checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
        )
        statuses.append(response.status_code)
        assert response.status_code == 401, response.text

    check()
    assert statuses
