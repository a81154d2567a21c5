"""Helpers for the DDEX ingestion suites: corpus paths and copies, settings, and reading
the catalog back through the read model."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

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


def env_for(database_url: str, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "LINER_DATA_DIR": str(data_dir),
            "LINER_DATABASE_URL": database_url,
            "LINER_LOG_LEVEL": "WARNING",
        }
    )
    return env
