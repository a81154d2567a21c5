"""The creators' JSON format: a release with its tracks, a show with its episodes.

Validated with every problem reported by its field path (``tracks[1].isrc``); nothing
is written unless the whole document is valid. Unknown fields are errors, so that a
misspelt field is caught rather than silently ignored. See ``docs/json-ingestion.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from liner.kit.errors import InputError
from liner.quality.identifiers import (
    normalise_icpn,
    normalise_isni,
    normalise_isrc,
    normalise_territory,
    parse_iso8601_duration,
    parse_partial_date,
)


def _wrap(fn: Callable[[str], str]) -> Callable[[str], str]:
    """Turn an identifier check's InputError into the ValueError pydantic reports."""

    def check(value: str) -> str:
        try:
            return fn(value)
        except InputError as exc:
            raise ValueError(exc.message) from None

    return check


def _date(value: str) -> str:
    try:
        return parse_partial_date(value).isoformat()
    except InputError as exc:
        raise ValueError(exc.message) from None


def _duration(value: str) -> str:
    try:
        parse_iso8601_duration(value)
    except InputError as exc:
        raise ValueError(exc.message) from None
    return value


_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


def _url_as_written(value: str) -> str:
    """Check an http(s) URL but keep it as written: a feed URL identifies its show and is
    looked up byte for byte (as the RSS path stores it), not in pydantic's normalised form."""
    try:
        _HTTP_URL.validate_python(value)
    except ValidationError as exc:
        raise ValueError(exc.errors(include_url=False)[0]["msg"]) from None
    return value


Isrc = Annotated[str, AfterValidator(_wrap(normalise_isrc))]
Icpn = Annotated[str, AfterValidator(_wrap(normalise_icpn))]
Isni = Annotated[str, AfterValidator(_wrap(normalise_isni))]
Territory = Annotated[str, AfterValidator(_wrap(normalise_territory))]
PartialDateText = Annotated[str, AfterValidator(_date)]
Duration = Annotated[str, AfterValidator(_duration)]
Text = Annotated[str, Field(min_length=1, max_length=1000)]
FeedUrl = Annotated[str, Field(max_length=2083), AfterValidator(_url_as_written)]
LongText = Annotated[str, Field(max_length=100_000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class LocalizedNameIn(Strict):
    name: Text
    language_script: Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]


class IdIn(Strict):
    namespace: Annotated[str, Field(min_length=1, max_length=100)]
    value: Annotated[str, Field(min_length=1, max_length=255)]


class ArtistIn(Strict):
    name: Text
    isni: Isni | None = None
    ipi: Annotated[str, Field(pattern=r"^\d{9,11}$")] | None = None
    ids: list[IdIn] = []
    names: list[LocalizedNameIn] = []
    join_phrase: Annotated[str, Field(max_length=50)] = ""


class ContributorIn(Strict):
    name: Text
    role: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z_]+$")]
    isni: Isni | None = None


class ImageIn(Strict):
    url: HttpUrl
    width: Annotated[int, Field(gt=0, le=20000)] | None = None
    height: Annotated[int, Field(gt=0, le=20000)] | None = None


class AvailabilityIn(Strict):
    territories: Annotated[list[Territory], Field(min_length=1)] = ["WW"]
    excluded_territories: list[Territory] = []
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    takedown: bool = False

    @model_validator(mode="after")
    def _window(self) -> AvailabilityIn:
        if self.start and self.end and self.end <= self.start:
            raise ValueError("end must be after start")
        if self.excluded_territories and "WW" not in self.territories:
            raise ValueError("excluded_territories only make sense with territories ['WW']")
        return self


class TrackIn(Strict):
    title: Text
    version: Text | None = None
    isrc: Isrc | None = None
    duration: Duration | None = None
    duration_ms: Annotated[int, Field(gt=0, le=48 * 3600 * 1000)] | None = None
    disc_number: Annotated[int, Field(ge=1, le=999)] = 1
    track_number: Annotated[int, Field(ge=1, le=9999)] | None = None
    explicit: bool = False
    artists: list[ArtistIn] = []
    contributors: list[ContributorIn] = []
    preview_url: HttpUrl | None = None
    genres: list[Text] = []
    availability: list[AvailabilityIn] = []

    @model_validator(mode="after")
    def _one_duration(self) -> TrackIn:
        if self.duration is not None and self.duration_ms is not None:
            raise ValueError("give duration or duration_ms, not both")
        return self


ReleaseTypeIn = Literal["album", "single", "ep", "compilation"]
ParentalWarning = Literal["explicit", "not_explicit", "explicit_content_edited", "no_advice"]


class ReleaseIn(Strict):
    id: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    """Your own id for the release; with the UPC, how updates find it again."""
    title: Text
    version: Text | None = None
    type: ReleaseTypeIn = "album"
    upc: Icpn | None = None
    catalog_number: Annotated[str, Field(max_length=128)] | None = None
    label: Text | None = None
    artists: Annotated[list[ArtistIn], Field(min_length=1)]
    release_date: PartialDateText | None = None
    original_release_date: PartialDateText | None = None
    genres: list[Text] = []
    parental_warning: ParentalWarning | None = None
    p_line: Text | None = None
    c_line: Text | None = None
    images: list[ImageIn] = []
    availability: list[AvailabilityIn] = [AvailabilityIn()]
    tracks: Annotated[list[TrackIn], Field(min_length=1, max_length=500)]
    updated_at: AwareDatetime | None = None
    """When this version was made; a write older than the stored one is ignored."""

    @model_validator(mode="after")
    def _keys(self) -> ReleaseIn:
        if self.id is None and self.upc is None:
            raise ValueError("a release needs an id or a upc")
        positions = set()
        for index, track in enumerate(self.tracks):
            position = (track.disc_number, track.track_number or index + 1)
            if position in positions:
                raise ValueError(f"tracks[{index}] repeats disc {position[0]} track {position[1]}")
            positions.add(position)
        isrcs = [t.isrc for t in self.tracks if t.isrc]
        if len(isrcs) != len(set(isrcs)):
            raise ValueError("two tracks share an ISRC")
        return self


class EnclosureIn(Strict):
    url: HttpUrl
    type: Annotated[str, Field(max_length=128)] | None = None
    length: Annotated[int, Field(ge=0)] | None = None


class TranscriptIn(Strict):
    url: HttpUrl
    type: Annotated[str, Field(min_length=1, max_length=128)]
    language: Annotated[str, Field(max_length=35)] | None = None


class EpisodeIn(Strict):
    guid: Annotated[str, Field(min_length=1, max_length=1000)]
    title: Text
    description: LongText = ""
    html_description: LongText = ""
    enclosure: EnclosureIn
    duration: Duration | None = None
    duration_ms: Annotated[int, Field(gt=0, le=48 * 3600 * 1000)] | None = None
    published_at: AwareDatetime | None = None
    season: Annotated[int, Field(ge=0)] | None = None
    episode: Annotated[int, Field(ge=0)] | None = None
    episode_type: Literal["full", "trailer", "bonus"] = "full"
    explicit: bool = False
    images: list[ImageIn] = []
    chapters_url: HttpUrl | None = None
    transcripts: list[TranscriptIn] = []
    language: Annotated[str, Field(max_length=35)] | None = None


class ShowIn(Strict):
    title: Text
    feed_url: FeedUrl | None = None
    guid: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    publisher: Annotated[str, Field(max_length=1000)] = ""
    description: LongText = ""
    html_description: LongText = ""
    language: Annotated[str, Field(max_length=35)] | None = None
    categories: list[Text] = []
    explicit: bool = False
    type: Literal["episodic", "serial"] = "episodic"
    images: list[ImageIn] = []
    territories: Annotated[list[Territory], Field(min_length=1)] = ["WW"]
    episodes: Annotated[list[EpisodeIn], Field(max_length=10_000)] = []
    updated_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _key(self) -> ShowIn:
        if self.feed_url is None and self.guid is None:
            raise ValueError("a show needs a guid or a feed_url")
        guids = [e.guid for e in self.episodes]
        if len(guids) != len(set(guids)):
            raise ValueError("two episodes share a guid")
        return self
