"""What a release delivery says, reduced to content hashes and natural keys: a write
whose hashes are unchanged is a no-op."""

from __future__ import annotations

from typing import Any

from liner.catalog.hashing import content_hash
from liner.ingest.records import (
    ArtistCredit,
    ArtistRecord,
    Availability,
    FileAsset,
    ReleaseRecord,
    TrackRecord,
)


def _availability_json(items: tuple[Availability, ...]) -> list[dict[str, Any]]:
    return [
        {
            "territories": sorted(a.territories),
            "excluded": sorted(a.excluded_territories),
            "start": a.start,
            "end": a.end,
            "models": sorted(a.commercial_models),
            "uses": sorted(a.use_types),
            "takedown": a.takedown,
            "preorder": a.preorder_start,
        }
        for a in items
    ]


def _artist_json(artist: ArtistRecord) -> list[Any]:
    """Everything a delivery says about an artist, so that a redelivery that only enriches
    an artist (a name in another script, an id, an image) is not taken as unchanged."""
    return [
        artist.name,
        sorted((e.namespace, e.value) for e in artist.ids),
        [(n.name, n.language_script) for n in artist.names],
        list(artist.genres),
        [(i.url, i.width, i.height) for i in artist.images],
    ]


def _credits_json(credits: tuple[ArtistCredit, ...]) -> list[Any]:
    return [(c.join_phrase, c.role, _artist_json(c.artist)) for c in credits]


def _assets_json(assets: tuple[FileAsset, ...]) -> list[Any]:
    return [(a.kind, a.uri, a.hash_algorithm, a.hash_value, a.size) for a in assets]


def release_hash(record: ReleaseRecord) -> str:
    return content_hash(
        {
            "title": record.title,
            "version": record.version_title,
            "type": record.release_type.value,
            "upc": record.upc,
            "grid": record.grid,
            "catno": record.catalog_number,
            "ids": sorted((e.namespace, e.value) for e in record.ids),
            "credits": _credits_json(record.artists),
            "label": record.label,
            "p": record.p_line,
            "c": record.c_line,
            "date": record.release_date.isoformat() if record.release_date else None,
            "original": (
                record.original_release_date.isoformat() if record.original_release_date else None
            ),
            "genres": list(record.genres),
            "pw": record.parental_warning,
            "images": [(i.url, i.width, i.height) for i in record.images],
            "availability": _availability_json(record.availability),
            "assets": _assets_json(record.assets),
            "tracks": [track_key(t) for t in record.tracks],
        }
    )


def track_key(record: TrackRecord) -> str:
    if record.isrc:
        return f"isrc:{record.isrc}"
    return f"pos:{record.disc_number}:{record.track_number}"


def track_hash(record: TrackRecord) -> str:
    return content_hash(
        {
            "title": record.title,
            "version": record.version_title,
            "disc": record.disc_number,
            "position": record.track_number,
            "isrc": record.isrc,
            "duration": record.duration_ms,
            "explicit": record.explicit,
            "credits": _credits_json(record.artists),
            "contributors": [
                (c.role, c.user_defined_role, _artist_json(c.artist)) for c in record.contributors
            ],
            "preview": record.preview_url,
            "genres": list(record.genres),
            "availability": _availability_json(record.availability),
            "assets": _assets_json(record.assets),
            "ref": record.source_ref,
        }
    )


def display_name(credits: tuple[ArtistCredit, ...]) -> str:
    return "".join(
        c.artist.name + (c.join_phrase if i < len(credits) - 1 else "")
        for i, c in enumerate(credits)
    )
