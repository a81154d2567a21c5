"""A synchronous client for the in-process ASGI app, and catalog loading for the API suites."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from liner.accounts.keys import create_key
from liner.api.app import LinerApp
from liner.config import Settings
from liner.ingest.json.loader import ingest_json_files
from liner.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CATALOG_FIXTURES = sorted((FIXTURES / "catalog").glob("*.json"))
INGEST_FIXTURES = FIXTURES / "ingest"
BASE_URL = "http://liner.test"


def make_settings(database_url: str, data_dir: Path, **extra: str) -> Settings:
    env = {
        "LINER_DATA_DIR": str(data_dir),
        "LINER_DATABASE_URL": database_url,
        "LINER_PUBLIC_URL": BASE_URL,
        "LINER_INVALIDATION_INTERVAL": "0.05",
        "LINER_LOG_LEVEL": "WARNING",
        "LINER_FEED_SCHEDULER": "off",
    }
    env.update(extra)
    return Settings.from_env(env)


def load_files(
    settings: Settings, files: Iterable[Path], owner: str = "demo"
) -> list[dict[str, Any]]:
    """Ingest creators' JSON files and project them, the way ``liner ingest json`` does."""
    runtime = Runtime.open(settings)
    try:
        outcomes = list(ingest_json_files(runtime, list(files), owner))
        runtime.project()
    finally:
        runtime.close()
    rejected = [o for o in outcomes if o["status"] == "rejected"]
    assert not rejected, rejected
    return outcomes


def make_key(settings: Settings, *scopes: str, owner: str = "demo") -> str:
    runtime = Runtime.open(settings)
    try:
        return create_key(runtime.sessions, name="test", owner=owner, scopes=list(scopes))
    finally:
        runtime.close()


class ApiClient:
    """Drives a :class:`LinerApp` through httpx's ASGI transport on a private event loop."""

    def __init__(self, app: LinerApp) -> None:
        self.app = app
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE_URL, timeout=30
        )

    @classmethod
    def for_settings(
        cls, settings: Settings, factory: Callable[[], Runtime] | None = None
    ) -> ApiClient:
        return cls(LinerApp(factory or (lambda: Runtime.open(settings))))

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def json(self, url: str, *, status: int = 200, **kwargs: Any) -> Any:
        response = self.get(url, **kwargs)
        assert response.status_code == status, (url, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/json")
        return response.json()

    def error(self, method: str, url: str, status: int, **kwargs: Any) -> str:
        """Request ``url``, expect Spotify's error object with ``status``; its message."""
        response = self.request(method, url, **kwargs)
        assert response.status_code == status, (url, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert set(body) == {"error"}
        assert body["error"]["status"] == status
        assert isinstance(body["error"]["message"], str)
        assert body["error"]["message"]
        return str(body["error"]["message"])

    def wait_for(
        self, url: str, predicate: Callable[[httpx.Response], bool], timeout: float = 5.0
    ) -> httpx.Response:
        deadline = time.monotonic() + timeout
        while True:
            response = self.get(url)
            if predicate(response) or time.monotonic() > deadline:
                return response
            time.sleep(0.02)

    def close(self) -> None:
        try:
            self._loop.run_until_complete(self._client.aclose())
        finally:
            self.app.stop()
            self._loop.run_until_complete(self._loop.shutdown_default_executor())
            self._loop.close()


def strip_base(url: str) -> str:
    assert url.startswith(BASE_URL), url
    return url[len(BASE_URL) :]


@dataclass
class Catalog:
    """The examples and the catalog fixtures, loaded and served, with the ids they got."""

    client: ApiClient
    settings: Settings
    albums: dict[str, str] = field(default_factory=dict)
    """Album ids by UPC."""
    tracks: dict[tuple[str, str], str] = field(default_factory=dict)
    """Track ids by (UPC of the album, track name)."""
    shows: dict[str, str] = field(default_factory=dict)
    """Show ids by podcast GUID."""
    episodes: dict[tuple[str, str], str] = field(default_factory=dict)
    """Episode ids by (show GUID, episode name)."""
    artists: dict[str, str] = field(default_factory=dict)
    """Artist ids by name, for the artists credited on albums."""

    def track(self, upc: str, name: str) -> str:
        return self.tracks[(upc, name)]


NORTHERN_LIGHTS = "842100000012"
POLAR_NIGHT_SINGLE = "842100000029"
HARBOUR_LIGHTS = "842100000036"
SIGNAL_AND_NOISE = "9b024349-ccf0-5f69-a609-6b82873eab3c"
SIGNAL_AND_NOISE_FEED = "https://feeds.example.com/signal-and-noise.xml"


def index_catalog(catalog: Catalog, outcomes: Iterable[Mapping[str, Any]]) -> None:
    client = catalog.client
    for outcome in outcomes:
        if outcome["type"] == "album":
            album = client.json(f"/v1/albums/{outcome['id']}")
            upc = album["external_ids"]["upc"]
            catalog.albums[upc] = album["id"]
            for artist in album["artists"]:
                catalog.artists.setdefault(artist["name"], artist["id"])
            url: str | None = f"/v1/albums/{album['id']}/tracks?limit=50"
            while url:
                page = client.json(url)
                for track in page["items"]:
                    catalog.tracks[(upc, track["name"])] = track["id"]
                url = strip_base(page["next"]) if page["next"] else None
        else:
            show = client.json(f"/v1/shows/{outcome['id']}")
            guid = str(orjson.loads(Path(outcome["file"]).read_bytes())["guid"])
            catalog.shows[guid] = show["id"]
            url = f"/v1/shows/{show['id']}/episodes?limit=50"
            while url:
                page = client.json(url)
                for episode in page["items"]:
                    catalog.episodes[(guid, episode["name"])] = episode["id"]
                url = strip_base(page["next"]) if page["next"] else None
