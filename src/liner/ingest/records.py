"""Source-neutral records: what every parser produces and the catalog service consumes.

Parsers (DDEX, RSS, creators' JSON) turn bytes into these records and never touch the
database or the network. The catalog service turns them into rows. Records are plain,
immutable data; validation of their content lives in ``liner.quality``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class DatePrecision(StrEnum):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"


class ReleaseType(StrEnum):
    ALBUM = "album"
    SINGLE = "single"
    EP = "ep"
    COMPILATION = "compilation"


class EpisodeType(StrEnum):
    FULL = "full"
    TRAILER = "trailer"
    BONUS = "bonus"


class ShowType(StrEnum):
    EPISODIC = "episodic"
    SERIAL = "serial"


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date known to a year, a month or a day (``2024``, ``2024-05``, ``2024-05-17``)."""

    value: date
    precision: DatePrecision = DatePrecision.DAY

    def isoformat(self) -> str:
        if self.precision is DatePrecision.YEAR:
            return f"{self.value.year:04d}"
        if self.precision is DatePrecision.MONTH:
            return f"{self.value.year:04d}-{self.value.month:02d}"
        return self.value.isoformat()


@dataclass(frozen=True, slots=True)
class ExternalId:
    """An identifier in a namespace: ``isni``, ``ipi``, ``isrc``, ``upc``, ``grid``,
    ``catalog_number``, or ``proprietary:<namespace>`` (a DPID, a label's own scheme)."""

    namespace: str
    value: str


@dataclass(frozen=True, slots=True)
class LocalizedName:
    """A name in a language and script, as a BCP 47 tag (``ja-Jpan``, ``ja-Latn``)."""

    name: str
    language_script: str | None = None


@dataclass(frozen=True, slots=True)
class Image:
    url: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class ArtistRecord:
    """A party as delivered: its main name, names in other languages and scripts, its ids."""

    name: str
    names: tuple[LocalizedName, ...] = ()
    ids: tuple[ExternalId, ...] = ()
    images: tuple[Image, ...] = ()
    genres: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ArtistCredit:
    """One artist in a display credit, in order, with the phrase that joins it to the next."""

    artist: ArtistRecord
    join_phrase: str = ""
    role: str = "main"


@dataclass(frozen=True, slots=True)
class Contributor:
    """A contributor to a recording: ``composer``, ``lyricist``, ``producer``, ``remixer``...
    ``user_defined_role`` carries a sender's own role name when the role is ``other``."""

    artist: ArtistRecord
    role: str
    user_defined_role: str | None = None


@dataclass(frozen=True, slots=True)
class Availability:
    """Where, when and how something may be streamed (a DDEX deal, or a creator's terms).

    ``territories`` are ISO 3166-1 alpha-2 codes, or ``("WW",)`` for worldwide, in which
    case ``excluded_territories`` lists the exceptions. ``takedown`` means unavailable there.
    """

    territories: tuple[str, ...] = ("WW",)
    excluded_territories: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    commercial_models: tuple[str, ...] = ()
    use_types: tuple[str, ...] = ()
    takedown: bool = False
    preorder_start: datetime | None = None


@dataclass(frozen=True, slots=True)
class FileAsset:
    """A file a delivery refers to (audio, artwork), with its hash when the sender gave one."""

    uri: str
    kind: str = "audio"
    hash_algorithm: str | None = None
    hash_value: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class TrackRecord:
    title: str
    disc_number: int = 1
    track_number: int = 1
    isrc: str | None = None
    version_title: str | None = None
    duration_ms: int | None = None
    explicit: bool = False
    artists: tuple[ArtistCredit, ...] = ()
    contributors: tuple[Contributor, ...] = ()
    preview_url: str | None = None
    ids: tuple[ExternalId, ...] = ()
    genres: tuple[str, ...] = ()
    availability: tuple[Availability, ...] = ()
    """Track-level deals; empty means the track follows its release's availability."""
    assets: tuple[FileAsset, ...] = ()
    source_ref: str | None = None
    """The sender's own reference for this track (a DDEX ResourceReference), for reports."""


@dataclass(frozen=True, slots=True)
class ReleaseRecord:
    """A release with its tracks: one aggregate, written in one transaction."""

    title: str
    release_type: ReleaseType = ReleaseType.ALBUM
    upc: str | None = None
    grid: str | None = None
    catalog_number: str | None = None
    ids: tuple[ExternalId, ...] = ()
    """Other ids, proprietary ones with their namespace."""
    version_title: str | None = None
    artists: tuple[ArtistCredit, ...] = ()
    label: str | None = None
    p_line: str | None = None
    c_line: str | None = None
    release_date: PartialDate | None = None
    original_release_date: PartialDate | None = None
    genres: tuple[str, ...] = ()
    parental_warning: str | None = None
    """``explicit``, ``not_explicit``, ``explicit_content_edited``, ``no_advice`` or None."""
    images: tuple[Image, ...] = ()
    tracks: tuple[TrackRecord, ...] = ()
    availability: tuple[Availability, ...] = ()
    assets: tuple[FileAsset, ...] = ()
    source_key: str | None = None
    """The release's natural key within its sender; defaults to the UPC, GRid or first id."""

    def natural_key(self) -> str | None:
        if self.source_key:
            return self.source_key
        if self.upc:
            return f"upc:{self.upc}"
        if self.grid:
            return f"grid:{self.grid}"
        for ext in self.ids:
            return f"{ext.namespace}:{ext.value}"
        if self.catalog_number:
            return f"catalog_number:{self.catalog_number}"
        return None


@dataclass(frozen=True, slots=True)
class Transcript:
    url: str
    type: str
    language: str | None = None
    rel: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    role: str = "host"
    group: str = "cast"
    href: str | None = None
    img: str | None = None


@dataclass(frozen=True, slots=True)
class Enclosure:
    url: str
    type: str | None = None
    length: int | None = None


@dataclass(frozen=True, slots=True)
class EpisodeRecord:
    title: str
    guid: str | None = None
    enclosure: Enclosure | None = None
    alternate_enclosures: tuple[Enclosure, ...] = ()
    description: str = ""
    """Plain-text description."""
    html_description: str = ""
    """Sanitised HTML description."""
    duration_ms: int | None = None
    published_at: datetime | None = None
    season: int | None = None
    episode_number: int | None = None
    episode_type: EpisodeType = EpisodeType.FULL
    explicit: bool = False
    images: tuple[Image, ...] = ()
    chapters_url: str | None = None
    transcripts: tuple[Transcript, ...] = ()
    persons: tuple[Person, ...] = ()
    language: str | None = None
    link: str | None = None


@dataclass(frozen=True, slots=True)
class ShowRecord:
    """A show with its episodes: one aggregate, written in one transaction."""

    title: str
    feed_url: str | None = None
    podcast_guid: str | None = None
    publisher: str = ""
    description: str = ""
    html_description: str = ""
    language: str | None = None
    categories: tuple[str, ...] = ()
    explicit: bool = False
    show_type: ShowType = ShowType.EPISODIC
    images: tuple[Image, ...] = ()
    link: str | None = None
    owner_name: str | None = None
    owner_email: str | None = None
    new_feed_url: str | None = None
    blocked: bool = False
    complete: bool = False
    locked: bool = False
    medium: str | None = None
    funding: tuple[tuple[str, str], ...] = ()
    """(url, label) pairs from ``podcast:funding``."""
    persons: tuple[Person, ...] = ()
    territories: tuple[str, ...] = ("WW",)
    episodes: tuple[EpisodeRecord, ...] = ()
    source_key: str | None = None
    replaces_key: str | None = None
    """The key the show was stored under until now, when its natural key supersedes it
    (a feed URL key, once the feed carries a ``podcast:guid``)."""

    def natural_key(self) -> str | None:
        if self.source_key:
            return self.source_key
        if self.podcast_guid:
            return f"guid:{self.podcast_guid.lower()}"
        if self.feed_url:
            return f"feed:{self.feed_url}"
        return None


@dataclass(frozen=True, slots=True)
class Problem:
    """A problem found in a delivery: a stable code, a severity, and where it was found
    (an XPath for XML, a JSON path for JSON)."""

    code: str
    message: str
    severity: str = "error"
    """``error`` rejects the message; ``warning`` is stored for the quality report."""
    location: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "location": self.location,
        }


@dataclass(frozen=True, slots=True)
class Provenance:
    """Which delivery, upload or feed fetch a write came from."""

    kind: str
    """``ddex``, ``json``, ``rss``..."""
    sender: str
    """Who owns what is written: a DPID, a creator account, a feed registrant."""
    reference: str
    """The message id, file name or feed URL."""
    created_at: datetime
    """When the source says the message was created; newest wins."""
    extra: dict[str, str] = field(default_factory=dict)
