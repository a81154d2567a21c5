"""Helpers for the DDEX ingestion suites: corpus paths and copies, settings, and reading
the catalog back through the read model."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from liner.api.app import LinerApp
from liner.catalog.serving import AlbumEntry, IdsEntry, TrackItem
from liner.config import Settings
from liner.models import Base, Release, Track
from liner.runtime import Runtime

BATCH = "AudiusProject+audius-protocol/packages/ddex/ingester/e2e_test/fixtures/batch"
ERN382 = f"{BATCH}/ern382"
CPD_BATCHES = {
    1: f"{ERN382}/1_CPD1/20161024145603121",
    2: f"{ERN382}/2_CPD2/20161024145603122",
    3: f"{ERN382}/CPD3/20161024145603123",
    4: f"{ERN382}/CPD4/20161024145603124",
    5: f"{ERN382}/CPD5/20161024145603125",
    6: f"{ERN382}/CPD6/20161024145603126",
}
FUGA_BATCH = f"{BATCH}/fuga/20240305090206405"
FUGA = f"{FUGA_BATCH}/8718857546047/8718857546047.xml"
SONY = (
    "AudiusProject+audius-protocol/packages/ddex/ingester/e2e_test/fixtures/"
    "release_by_release/ern381/sony1/A10301A0005108088N/A10301A0005108088N.xml"
)
AUDIUS = "AudiusProject+ddex-processor/fixtures"
CPD_SENDER = "DPID_OF_THE_SENDER"
CPD_UPC = "721620118165"


def copy_tree(source: Path, target: Path) -> Path:
    """Copy (part of) the read-only corpus into a writable test folder."""
    if source.is_dir():
        shutil.copytree(source, target, copy_function=shutil.copyfile)
        for path in [target, *target.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return target


def make_settings(database_url: str, data_dir: Path) -> Settings:
    return Settings.from_env(
        {
            "LINER_DATA_DIR": str(data_dir),
            "LINER_DATABASE_URL": database_url,
            "LINER_PUBLIC_URL": "http://liner.test",
            "LINER_LOG_LEVEL": "WARNING",
        }
    )


def wipe(runtime: Runtime) -> None:
    """Empty every table (to run a second ingestion on the same database)."""
    tables = list(reversed(Base.metadata.sorted_tables))
    with runtime.engine.begin() as connection:
        if runtime.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())
    runtime.reader.clear()


# ---------------------------------------------------------------------------
# Reading the catalog back
# ---------------------------------------------------------------------------


def _track_json(item: TrackItem) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(item.prefix + b"}")
    return data


def read_album(runtime: Runtime, public_id: str) -> dict[str, Any] | None:
    """The album as the read API serves it: its fields, markets and tracks (with their
    ISRCs and markets), or None when it is not served."""
    runtime.reader.clear()
    entry = runtime.reader.load([f"album:{public_id}"])[f"album:{public_id}"]
    if entry is None:
        return None
    assert isinstance(entry, AlbumEntry)
    album: dict[str, Any] = orjson.loads(entry.prefix + b"}")
    track_ids = [_track_json(t)["id"] for t in entry.tracks]
    documents = runtime.reader.load([f"track:{i}" for i in track_ids])
    tracks = []
    for item in entry.tracks:
        simple = _track_json(item)
        document = documents[f"track:{simple['id']}"]
        assert isinstance(document, TrackItem)
        full = _track_json(document)
        tracks.append(
            {
                "name": simple["name"],
                "disc": simple["disc_number"],
                "number": simple["track_number"],
                "isrc": full["external_ids"].get("isrc"),
                "artists": [a["name"] for a in simple["artists"]],
                "markets": sorted(item.markets.markets),
                "duration_ms": simple["duration_ms"],
            }
        )
    return {
        "id": album["id"],
        "name": album["name"],
        "album_type": album["album_type"],
        "upc": album["external_ids"].get("upc") or album["external_ids"].get("ean"),
        "artists": [a["name"] for a in album["artists"]],
        "markets": sorted(entry.markets.markets),
        "total_tracks": album["total_tracks"],
        "tracks": tracks,
    }


def lookup(runtime: Runtime, kind: str, value: str) -> list[str]:
    """Public ids behind ``upc:<value>`` or ``isrc:<value>`` in the read model."""
    runtime.reader.clear()
    entry = runtime.reader.load([f"{kind}:{value}"])[f"{kind}:{value}"]
    if entry is None:
        return []
    assert isinstance(entry, IdsEntry)
    return list(entry.ids)


def release_id(runtime: Runtime, owner: str, source_key: str) -> str | None:
    with runtime.sessions() as session:
        found: str | None = session.scalar(
            sa.select(Release.public_id).where(
                Release.owner == owner,
                Release.source_key == source_key,
                Release.status == "active",
            )
        )
    return found


def _deals(rows: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (
            tuple(r.territories),
            tuple(r.excluded_territories),
            r.start_at.isoformat() if r.start_at else "",
            r.end_at.isoformat() if r.end_at else "",
            tuple(r.commercial_models),
            tuple(r.use_types),
            r.takedown,
        )
        for r in rows
    )


def catalog_dump(runtime: Runtime) -> dict[str, Any]:
    """Every active release with its tracks and deals, from SQL, and what the read model
    serves for it, keyed by (owner, source key); public ids left out."""
    runtime.project()
    dump: dict[str, Any] = {}
    with runtime.sessions() as session:
        releases = session.scalars(
            sa.select(Release)
            .where(Release.status == "active")
            .options(
                selectinload(Release.tracks).selectinload(Track.availability),
                selectinload(Release.availability),
            )
        ).all()
        rows = []
        for release in releases:
            tracks = sorted(
                (
                    (
                        t.disc_number,
                        t.track_number,
                        t.track_key,
                        t.title,
                        t.version_title,
                        t.isrc,
                        t.duration_ms,
                        t.explicit,
                        t.display_artist,
                        _deals(t.availability),
                    )
                    for t in release.tracks
                    if t.status == "active"
                ),
                key=repr,
            )
            rows.append(
                (
                    release,
                    {
                        "type": release.release_type,
                        "title": release.title,
                        "version": release.version_title,
                        "upc": release.upc,
                        "grid": release.grid,
                        "catalog_number": release.catalog_number,
                        "artist": release.display_artist,
                        "label": release.label,
                        "date": release.release_date,
                        "genres": list(release.genres),
                        "warning": release.parental_warning,
                        "deals": _deals(release.availability),
                        "tracks": tracks,
                    },
                )
            )
    for release, data in rows:
        served = read_album(runtime, release.public_id)
        assert served is not None, release.source_key
        data["served"] = {
            "markets": served["markets"],
            "tracks": [
                (t["disc"], t["number"], t["isrc"], t["name"], t["markets"])
                for t in served["tracks"]
            ],
        }
        dump[f"{release.owner} {release.source_key}"] = data
    return dump


def env_for(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a ``liner`` subprocess on this database (no other LINER_*
    than these and ``settings``, given as ``LINER_<NAME>=value``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINER_")}
    env.update(
        {
            "LINER_DATA_DIR": str(data_dir),
            "LINER_DATABASE_URL": database_url,
            "LINER_LOG_LEVEL": "WARNING",
        }
    )
    env.update((f"LINER_{name.upper()}", value) for name, value in settings.items())
    return env


# ---------------------------------------------------------------------------
# The HTTP API, in process
# ---------------------------------------------------------------------------


class AppClient:
    """The catalog API app (``LinerApp``) over ``settings``, driven through real HTTP
    request/response handling by httpx's ASGI transport on a private event loop."""

    def __init__(self, settings: Settings) -> None:
        self.app = LinerApp(lambda: Runtime.open(settings))
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://liner.test", timeout=30
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def json(self, url: str) -> Any:
        response = self.request("GET", url)
        assert response.status_code == 200, (url, response.status_code, response.text)
        return response.json()

    def close(self) -> None:
        try:
            self._loop.run_until_complete(self._client.aclose())
        finally:
            self.app.stop()
            self._loop.run_until_complete(self._loop.shutdown_default_executor())
            self._loop.close()


# ---------------------------------------------------------------------------
# ``liner`` as real processes
# ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def liner_cli(env: dict[str, str], *args: str, timeout: float = 120) -> list[dict[str, Any]]:
    """Run ``python -m liner ARGS`` to its end; its JSON lines (it must succeed)."""
    done = subprocess.run(
        [sys.executable, "-m", "liner", *args],
        env=env,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, (args, done.returncode, done.stdout[-2000:], done.stderr)
    return [orjson.loads(line) for line in done.stdout.splitlines() if line.startswith(b"{")]


class Server:
    """``python -m liner serve`` on a free port, over ``env``'s database."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "LINER_PUBLIC_URL": self.url, "LINER_INVALIDATION_INTERVAL": "0.1"}
        self.log = log
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        with self.log.open("wb") as out:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "liner", "serve", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        with httpx.Client(base_url=self.url, timeout=2) as client:
            while True:
                assert self._process.poll() is None, self.log.read_text()[-3000:]
                try:
                    if client.get("/healthz").status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, self.log.read_text()[-3000:]
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
