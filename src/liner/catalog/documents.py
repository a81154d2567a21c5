"""Building serving documents in the Spotify Web API's shapes from catalog rows.

Documents are built here, once per change, by the projector; the read API only
assembles pre-serialised pieces. Market-dependent fields (``available_markets``,
``is_playable``, ``restrictions``, ``linked_from``) are left off the stored prefix of a
track so that the read path can append them per request.

Albums and tracks are built from plain rows (:class:`ReleaseFacts`,
:class:`TrackFacts`) that :func:`load_releases` reads with one Core query per table for
a whole chunk of releases: a release's documents are cheap to build, and loading the
same rows as ORM objects cost more than building the documents did.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Executable, select
from sqlalchemy.orm import Session

from liner.kit.ids import uri
from liner.models import (
    Artist,
    ArtistCreditRow,
    AvailabilityRow,
    ContributorRow,
    Episode,
    Release,
    Show,
    Track,
)

ALBUM_TYPES = {"album": "album", "single": "single", "ep": "single", "compilation": "compilation"}


@dataclass(frozen=True, slots=True)
class Links:
    """Where documents point: the public base URL of this deployment."""

    base: str

    def href(self, kind: str, public_id: str) -> str:
        return f"{self.base}/v1/{kind}s/{public_id}"

    def external(self, kind: str, public_id: str) -> dict[str, str]:
        return {"liner": f"{self.base}/{kind}/{public_id}"}


@dataclass(slots=True)
class Credit:
    """An artist as a release or a track credits it."""

    artist_id: int
    public_id: str
    name: str
    credited_name: str | None


@dataclass(slots=True)
class Contribution:
    """A contributor to a track, with its role."""

    public_id: str
    name: str
    role: str
    user_defined_role: str | None


@dataclass(slots=True)
class Deal:
    """A deal's window, territories and uses: what markets and deal boundaries need."""

    territories: list[str]
    excluded_territories: list[str]
    start_at: datetime | None
    end_at: datetime | None
    use_types: list[str]
    takedown: bool
    preorder_start_at: datetime | None


@dataclass(slots=True)
class TrackFacts:
    """What a track's documents are built from, read from SQL as plain rows."""

    id: int
    release_id: int
    public_id: str
    status: str
    disc_number: int
    track_number: int
    isrc: str | None
    title: str
    version_title: str | None
    duration_ms: int | None
    explicit: bool
    preview_url: str | None
    relink_group_id: int | None
    credits: list[Credit] = field(default_factory=list)
    contributors: list[Contribution] = field(default_factory=list)
    availability: list[Deal] = field(default_factory=list)


@dataclass(slots=True)
class ReleaseFacts:
    """What an album's documents are built from, read from SQL as plain rows."""

    id: int
    public_id: str
    status: str
    release_type: str
    title: str
    version_title: str | None
    upc: str | None
    label: str | None
    p_line: str | None
    c_line: str | None
    release_date: str | None
    release_date_precision: str | None
    original_release_date: str | None
    original_release_date_precision: str | None
    genres: list[str]
    images: list[dict[str, Any]]
    created_at: datetime
    availability_changes_at: datetime | None
    credits: list[Credit] = field(default_factory=list)
    availability: list[Deal] = field(default_factory=list)
    tracks: list[TrackFacts] = field(default_factory=list)


TRACK_SLICE = 1000
"""Track ids per contributors query."""

RELEASE_COLUMNS = (
    Release.id,
    Release.public_id,
    Release.status,
    Release.release_type,
    Release.title,
    Release.version_title,
    Release.upc,
    Release.label,
    Release.p_line,
    Release.c_line,
    Release.release_date,
    Release.release_date_precision,
    Release.original_release_date,
    Release.original_release_date_precision,
    Release.genres,
    Release.images,
    Release.created_at,
    Release.availability_changes_at,
)
"""The columns of :class:`ReleaseFacts`, in its order."""

TRACK_COLUMNS = (
    Track.id,
    Track.release_id,
    Track.public_id,
    Track.status,
    Track.disc_number,
    Track.track_number,
    Track.isrc,
    Track.title,
    Track.version_title,
    Track.duration_ms,
    Track.explicit,
    Track.preview_url,
    Track.relink_group_id,
)
"""The columns of :class:`TrackFacts`, in its order."""

DEAL_COLUMNS = (
    AvailabilityRow.territories,
    AvailabilityRow.excluded_territories,
    AvailabilityRow.start_at,
    AvailabilityRow.end_at,
    AvailabilityRow.use_types,
    AvailabilityRow.takedown,
    AvailabilityRow.preorder_start_at,
)
"""The columns of :class:`Deal`, in its order."""


def plain_rows(session: Session, statement: Executable) -> Iterator[Any]:
    """A Core statement's rows, to unpack into the plain row types."""
    return iter(session.execute(statement))


def load_releases(
    session: Session, release_ids: list[int], *, people: bool = True
) -> dict[int, ReleaseFacts]:
    """Releases with their tracks, credits, contributors and deals, as plain rows: one
    query per table for the whole list (building ORM objects would cost several times
    more than the documents themselves). Without ``people``, only the release's own
    credits: no track credits or contributors."""
    releases = {
        row[0]: ReleaseFacts(*row)
        for row in plain_rows(session, select(*RELEASE_COLUMNS).where(Release.id.in_(release_ids)))
    }
    if not releases:
        return releases
    ids = sorted(releases)
    tracks: dict[int, TrackFacts] = {}
    for row in plain_rows(
        session,
        select(*TRACK_COLUMNS)
        .where(Track.release_id.in_(ids))
        .order_by(Track.release_id, Track.disc_number, Track.track_number, Track.id),
    ):
        track = TrackFacts(*row)
        tracks[track.id] = track
        releases[track.release_id].tracks.append(track)
    # Track credits and track deals carry their track's release id too.
    credits = (
        select(
            ArtistCreditRow.release_id,
            ArtistCreditRow.track_id,
            ArtistCreditRow.artist_id,
            Artist.public_id,
            Artist.name,
            ArtistCreditRow.credited_name,
        )
        .join(Artist, Artist.id == ArtistCreditRow.artist_id)
        .where(ArtistCreditRow.release_id.in_(ids))
        .order_by(ArtistCreditRow.position, ArtistCreditRow.id)
    )
    if not people:
        credits = credits.where(ArtistCreditRow.track_id.is_(None))
    for release_id, track_id, *credit in plain_rows(session, credits):
        if track_id is None:
            releases[release_id].credits.append(Credit(*credit))
        elif track_id in tracks:
            tracks[track_id].credits.append(Credit(*credit))
    track_ids = sorted(tracks) if people else []
    # A track's contributors all come from the same slice of ids, in their order; the
    # slices keep each statement's parameters bounded however long the albums are.
    for start in range(0, len(track_ids), TRACK_SLICE):
        for track_id, *contribution in plain_rows(
            session,
            select(
                ContributorRow.track_id,
                Artist.public_id,
                Artist.name,
                ContributorRow.role,
                ContributorRow.user_defined_role,
            )
            .join(Artist, Artist.id == ContributorRow.artist_id)
            .where(ContributorRow.track_id.in_(track_ids[start : start + TRACK_SLICE]))
            .order_by(ContributorRow.position, ContributorRow.id),
        ):
            tracks[track_id].contributors.append(Contribution(*contribution))
    for release_id, track_id, *deal in plain_rows(
        session,
        select(AvailabilityRow.release_id, AvailabilityRow.track_id, *DEAL_COLUMNS)
        .where(AvailabilityRow.release_id.in_(ids))
        .order_by(AvailabilityRow.id),
    ):
        if track_id is None:
            releases[release_id].availability.append(Deal(*deal))
        elif track_id in tracks:
            tracks[track_id].availability.append(Deal(*deal))
    return releases


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


def simplified_artist(public_id: str, name: str, links: Links) -> dict[str, Any]:
    return {
        "external_urls": links.external("artist", public_id),
        "href": links.href("artist", public_id),
        "id": public_id,
        "name": name,
        "type": "artist",
        "uri": uri("artist", public_id),
    }


def credit_artists(credits: list[Credit], links: Links) -> list[dict[str, Any]]:
    return [simplified_artist(c.public_id, c.credited_name or c.name, links) for c in credits]


def artist_document(artist: Artist, links: Links) -> dict[str, Any]:
    document = simplified_artist(artist.public_id, artist.name, links)
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


def _release_date(release: ReleaseFacts) -> tuple[str, str]:
    if release.release_date and release.release_date_precision:
        return release.release_date, release.release_date_precision
    if release.original_release_date and release.original_release_date_precision:
        return release.original_release_date, release.original_release_date_precision
    return f"{release.created_at.year:04d}", "year"


def album_name(release: ReleaseFacts) -> str:
    return f"{release.title} ({release.version_title})" if release.version_title else release.title


def track_name(track: TrackFacts) -> str:
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
    release: ReleaseFacts, links: Links, markets: list[str], total_tracks: int
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


def copyrights(release: ReleaseFacts) -> list[dict[str, str]]:
    result = []
    if release.c_line:
        result.append({"text": release.c_line, "type": "C"})
    if release.p_line:
        result.append({"text": release.p_line, "type": "P"})
    return result


def album_prefix(
    release: ReleaseFacts, links: Links, markets: list[str], total_tracks: int
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


def simplified_track(
    track: TrackFacts, release_credits: list[Credit], links: Links
) -> dict[str, Any]:
    """A track without its market-dependent fields; a track without credits of its own
    names the release's artists."""
    credits = track.credits or release_credits
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


def track_document(
    track: TrackFacts, simplified: dict[str, Any], album: dict[str, Any]
) -> dict[str, Any]:
    """The full track object from its simplified one (:func:`simplified_track`)."""
    document = dict(simplified)
    document["album"] = album
    document["external_ids"] = {"isrc": track.isrc} if track.isrc else {}
    document["popularity"] = 0
    if track.contributors:
        document["contributors"] = [
            {
                "name": c.name,
                "id": c.public_id,
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
