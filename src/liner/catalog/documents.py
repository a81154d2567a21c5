"""Building serving documents in the Spotify Web API's shapes from catalog rows.

Documents are built here, once per change, by the projector; the read API only
assembles pre-serialised pieces. Market-dependent fields (``available_markets``,
``is_playable``, ``restrictions``, ``linked_from``) are left off the stored prefix of a
track so that the read path can append them per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from liner.kit.ids import uri
from liner.models import Artist, ArtistCreditRow, Episode, Release, Show, Track

ALBUM_TYPES = {"album": "album", "single": "single", "ep": "single", "compilation": "compilation"}


@dataclass(frozen=True, slots=True)
class Links:
    """Where documents point: the public base URL of this deployment."""

    base: str

    def href(self, kind: str, public_id: str) -> str:
        return f"{self.base}/v1/{kind}s/{public_id}"

    def external(self, kind: str, public_id: str) -> dict[str, str]:
        return {"liner": f"{self.base}/{kind}/{public_id}"}


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def prefix_of(document: dict[str, Any]) -> str:
    """The JSON text of ``document`` without its closing brace, to append fields to."""
    text = orjson.dumps(document).decode()
    return text[:-1]


def images(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"url": i["url"], "height": i.get("height"), "width": i.get("width")}
        for i in items
        if i.get("url")
    ]


def simplified_artist(
    artist: Artist, links: Links, credited_name: str | None = None
) -> dict[str, Any]:
    return {
        "external_urls": links.external("artist", artist.public_id),
        "href": links.href("artist", artist.public_id),
        "id": artist.public_id,
        "name": credited_name or artist.name,
        "type": "artist",
        "uri": uri("artist", artist.public_id),
    }


def credit_artists(credits: list[ArtistCreditRow], links: Links) -> list[dict[str, Any]]:
    return [simplified_artist(c.artist, links, c.credited_name) for c in credits]


def artist_document(artist: Artist, links: Links) -> dict[str, Any]:
    document = simplified_artist(artist, links)
    document.update(
        {
            "followers": {"href": None, "total": 0},
            "genres": list(artist.genres),
            "images": images(artist.images),
            "popularity": 0,
            "names": [{"name": n.name, "language_script": n.language_script} for n in artist.names],
            "external_ids": {e.namespace: e.value for e in artist.external_ids},
        }
    )
    return document


def _release_date(release: Release) -> tuple[str, str]:
    if release.release_date and release.release_date_precision:
        return release.release_date, release.release_date_precision
    if release.original_release_date and release.original_release_date_precision:
        return release.original_release_date, release.original_release_date_precision
    return f"{release.created_at.year:04d}", "year"


def album_name(release: Release) -> str:
    return f"{release.title} ({release.version_title})" if release.version_title else release.title


def track_name(track: Track) -> str:
    return f"{track.title} - {track.version_title}" if track.version_title else track.title


SIMPLIFIED_ALBUM_FIELDS = (
    "album_type",
    "total_tracks",
    "available_markets",
    "external_urls",
    "href",
    "id",
    "images",
    "name",
    "release_date",
    "release_date_precision",
    "type",
    "uri",
    "artists",
)
"""The fields of :func:`simplified_album`, in its order (the album document's prefix
starts with them)."""


def simplified_album(
    release: Release, links: Links, markets: list[str], total_tracks: int
) -> dict[str, Any]:
    release_date, precision = _release_date(release)
    return {
        "album_type": ALBUM_TYPES.get(release.release_type, "album"),
        "total_tracks": total_tracks,
        "available_markets": markets,
        "external_urls": links.external("album", release.public_id),
        "href": links.href("album", release.public_id),
        "id": release.public_id,
        "images": images(release.images),
        "name": album_name(release),
        "release_date": release_date,
        "release_date_precision": precision,
        "type": "album",
        "uri": uri("album", release.public_id),
        "artists": credit_artists(release.credits, links),
    }


def copyrights(release: Release) -> list[dict[str, str]]:
    result = []
    if release.c_line:
        result.append({"text": release.c_line, "type": "C"})
    if release.p_line:
        result.append({"text": release.p_line, "type": "P"})
    return result


def album_prefix(
    release: Release, links: Links, markets: list[str], total_tracks: int
) -> dict[str, Any]:
    """The album object without its ``tracks`` paging object."""
    document = simplified_album(release, links, markets, total_tracks)
    external_ids: dict[str, str] = {}
    if release.upc:
        external_ids["upc" if len(release.upc) == 12 else "ean"] = release.upc
    document.update(
        {
            "copyrights": copyrights(release),
            "external_ids": external_ids,
            "genres": list(release.genres),
            "label": release.label or "",
            "popularity": 0,
        }
    )
    return document


def simplified_track(track: Track, links: Links) -> dict[str, Any]:
    """A track without its market-dependent fields."""
    credits = track.credits or track.release.credits
    return {
        "artists": credit_artists(credits, links),
        "disc_number": track.disc_number,
        "duration_ms": track.duration_ms or 0,
        "explicit": track.explicit,
        "external_urls": links.external("track", track.public_id),
        "href": links.href("track", track.public_id),
        "id": track.public_id,
        "name": track_name(track),
        "preview_url": track.preview_url,
        "track_number": track.track_number,
        "type": "track",
        "uri": uri("track", track.public_id),
        "is_local": False,
    }


def track_document(track: Track, album: dict[str, Any], links: Links) -> dict[str, Any]:
    document = simplified_track(track, links)
    document["album"] = album
    document["external_ids"] = {"isrc": track.isrc} if track.isrc else {}
    document["popularity"] = 0
    if track.contributors:
        document["contributors"] = [
            {
                "name": c.artist.name,
                "id": c.artist.public_id,
                "role": c.role,
                **({"user_defined_role": c.user_defined_role} if c.user_defined_role else {}),
            }
            for c in track.contributors
        ]
    return document


def _show_markets(show: Show, all_markets: tuple[str, ...]) -> list[str]:
    if "WW" in show.territories:
        return list(all_markets)
    return sorted(t for t in show.territories if t in all_markets)


def show_base(show: Show, links: Links, total: int, all_markets: tuple[str, ...]) -> dict[str, Any]:
    copyright_text = show.extra.get("copyright") if isinstance(show.extra, dict) else None
    return {
        "available_markets": _show_markets(show, all_markets),
        "copyrights": [{"text": copyright_text, "type": "C"}] if copyright_text else [],
        "description": show.description,
        "html_description": show.html_description,
        "explicit": show.explicit,
        "external_urls": links.external("show", show.public_id),
        "href": links.href("show", show.public_id),
        "id": show.public_id,
        "images": images(show.images),
        "is_externally_hosted": True,
        "languages": [show.language] if show.language else [],
        "media_type": show.media_type,
        "name": show.title,
        "publisher": show.publisher,
        "type": "show",
        "uri": uri("show", show.public_id),
        "total_episodes": total,
    }


def _episode_date(published: datetime | None, fallback: datetime) -> str:
    return (published or fallback).date().isoformat()


def simplified_episode(episode: Episode, links: Links) -> dict[str, Any]:
    document: dict[str, Any] = {
        "audio_preview_url": None,
        "description": episode.description,
        "html_description": episode.html_description,
        "duration_ms": episode.duration_ms or 0,
        "explicit": episode.explicit,
        "external_urls": links.external("episode", episode.public_id),
        "href": links.href("episode", episode.public_id),
        "id": episode.public_id,
        "images": images(episode.images),
        "is_externally_hosted": True,
        "is_playable": episode.status == "active" and episode.enclosure_url is not None,
        "languages": [episode.language] if episode.language else [],
        "name": episode.title,
        "release_date": _episode_date(episode.published_at, episode.created_at),
        "release_date_precision": "day",
        "type": "episode",
        "uri": uri("episode", episode.public_id),
    }
    if episode.language:
        document["language"] = episode.language
    if episode.enclosure_url:
        document["audio"] = {
            "url": episode.enclosure_url,
            "type": episode.enclosure_type,
            "length": episode.enclosure_length,
        }
    if episode.season is not None:
        document["season_number"] = episode.season
    if episode.episode_number is not None:
        document["episode_number"] = episode.episode_number
    document["episode_type"] = episode.episode_type
    if episode.chapters_url:
        document["chapters_url"] = episode.chapters_url
    if episode.transcripts:
        document["transcripts"] = episode.transcripts
    return document
