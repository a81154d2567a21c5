"""Creators' JSON -> source-neutral records, with every problem listed by field path."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from liner.ingest.json.schemas import ArtistIn, AvailabilityIn, ReleaseIn, ShowIn
from liner.ingest.records import (
    ArtistCredit,
    ArtistRecord,
    Availability,
    Contributor,
    Enclosure,
    EpisodeRecord,
    EpisodeType,
    ExternalId,
    Image,
    LocalizedName,
    Problem,
    ReleaseRecord,
    ReleaseType,
    ShowRecord,
    ShowType,
    TrackRecord,
    Transcript,
)
from liner.ingest.rss.html import sanitize
from liner.kit.errors import InputError
from liner.quality.identifiers import parse_iso8601_duration, parse_partial_date

M = TypeVar("M", bound=BaseModel)


class JsonValidationError(InputError):
    """A JSON document that failed validation; ``problems`` has every problem."""

    code = "json_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the document")
        self.problems = problems


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "$"


def _nul_problems(value: Any, loc: tuple[int | str, ...] = ()) -> list[Problem]:
    """Text holding a NUL character, which PostgreSQL cannot store, one problem per field."""
    if isinstance(value, str):
        if "\x00" not in value:
            return []
        return [Problem("json_nul_character", "text must not contain NUL", location=_path(loc))]
    problems: list[Problem] = []
    if isinstance(value, dict):
        for key, item in value.items():
            problems.extend(_nul_problems(key, (*loc, key)) or _nul_problems(item, (*loc, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems.extend(_nul_problems(item, (*loc, index)))
    return problems


def _validate(model: type[M], data: bytes) -> M:
    try:
        value: Any = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise JsonValidationError(
            [Problem("json_malformed", f"not valid JSON: {exc}", location="$")]
        ) from None
    nul = _nul_problems(value)
    try:
        document = model.model_validate(value)
    except ValidationError as exc:
        problems = [
            Problem(
                code=f"json_{error['type']}",
                message=error["msg"].removeprefix("Value error, "),
                location=_path(tuple(error["loc"])),
            )
            for error in exc.errors(include_url=False)
        ]
        raise JsonValidationError(nul + problems) from None
    if nul:
        raise JsonValidationError(nul)
    return document


def _artist(artist: ArtistIn) -> ArtistRecord:
    ids = [ExternalId(i.namespace, i.value) for i in artist.ids]
    if artist.isni:
        ids.insert(0, ExternalId("isni", artist.isni))
    if artist.ipi:
        ids.append(ExternalId("ipi", artist.ipi))
    return ArtistRecord(
        name=artist.name,
        names=tuple(LocalizedName(n.name, n.language_script) for n in artist.names),
        ids=tuple(ids),
    )


def _credits(artists: list[ArtistIn]) -> tuple[ArtistCredit, ...]:
    return tuple(ArtistCredit(_artist(a), join_phrase=a.join_phrase) for a in artists)


def _availability(items: list[AvailabilityIn]) -> tuple[Availability, ...]:
    return tuple(
        Availability(
            territories=tuple(a.territories),
            excluded_territories=tuple(a.excluded_territories),
            start=a.start,
            end=a.end,
            takedown=a.takedown,
        )
        for a in items
    )


def _images(items: list[Any]) -> tuple[Image, ...]:
    return tuple(Image(str(i.url), i.width, i.height) for i in items)


def release_from_json(data: bytes) -> tuple[ReleaseRecord, ReleaseIn]:
    doc = _validate(ReleaseIn, data)
    tracks = []
    for index, track in enumerate(doc.tracks):
        duration = track.duration_ms
        if track.duration is not None:
            duration = parse_iso8601_duration(track.duration)
        tracks.append(
            TrackRecord(
                title=track.title,
                version_title=track.version,
                isrc=track.isrc,
                duration_ms=duration,
                disc_number=track.disc_number,
                track_number=track.track_number or index + 1,
                explicit=track.explicit,
                artists=_credits(track.artists) or _credits(doc.artists),
                contributors=tuple(
                    Contributor(
                        ArtistRecord(c.name, ids=(ExternalId("isni", c.isni),) if c.isni else ()),
                        role=c.role,
                    )
                    for c in track.contributors
                ),
                preview_url=str(track.preview_url) if track.preview_url else None,
                genres=tuple(track.genres),
                availability=_availability(track.availability),
            )
        )
    record = ReleaseRecord(
        title=doc.title,
        version_title=doc.version,
        release_type=ReleaseType(doc.type),
        upc=doc.upc,
        catalog_number=doc.catalog_number,
        ids=(ExternalId("proprietary:creator", doc.id),) if doc.id else (),
        artists=_credits(doc.artists),
        label=doc.label,
        p_line=doc.p_line,
        c_line=doc.c_line,
        release_date=parse_partial_date(doc.release_date) if doc.release_date else None,
        original_release_date=(
            parse_partial_date(doc.original_release_date) if doc.original_release_date else None
        ),
        genres=tuple(doc.genres),
        parental_warning=doc.parental_warning,
        images=_images(doc.images),
        tracks=tuple(tracks),
        availability=_availability(doc.availability),
        source_key=f"id:{doc.id}" if doc.id else None,
    )
    return record, doc


def show_from_json(data: bytes) -> tuple[ShowRecord, ShowIn]:
    doc = _validate(ShowIn, data)
    episodes = []
    for episode in doc.episodes:
        duration = episode.duration_ms
        if episode.duration is not None:
            duration = parse_iso8601_duration(episode.duration)
        html, plain = sanitize(episode.html_description or episode.description)
        episodes.append(
            EpisodeRecord(
                title=episode.title,
                guid=episode.guid,
                enclosure=Enclosure(
                    str(episode.enclosure.url), episode.enclosure.type, episode.enclosure.length
                ),
                description=episode.description or plain,
                html_description=html,
                duration_ms=duration,
                published_at=episode.published_at,
                season=episode.season,
                episode_number=episode.episode,
                episode_type=EpisodeType(episode.episode_type),
                explicit=episode.explicit,
                images=_images(episode.images),
                chapters_url=str(episode.chapters_url) if episode.chapters_url else None,
                transcripts=tuple(
                    Transcript(str(t.url), t.type, t.language) for t in episode.transcripts
                ),
                language=episode.language,
            )
        )
    html, plain = sanitize(doc.html_description or doc.description)
    record = ShowRecord(
        title=doc.title,
        feed_url=doc.feed_url,
        podcast_guid=doc.guid,
        publisher=doc.publisher,
        description=doc.description or plain,
        html_description=html,
        language=doc.language,
        categories=tuple(doc.categories),
        explicit=doc.explicit,
        show_type=ShowType(doc.type),
        images=_images(doc.images),
        territories=tuple(doc.territories),
        episodes=tuple(episodes),
    )
    return record, doc
