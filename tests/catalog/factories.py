"""Small, readable source-neutral records for the catalog suites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from liner.ingest.records import (
    ArtistCredit,
    ArtistRecord,
    Availability,
    Enclosure,
    EpisodeRecord,
    ExternalId,
    LocalizedName,
    PartialDate,
    Provenance,
    ReleaseRecord,
    ReleaseType,
    ShowRecord,
    TrackRecord,
)

SENDER = "PADPIDA2024000001A"
OTHER_SENDER = "PADPIDA2024000002B"
CREATOR = "creator:feeds"

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
"""When the first message of a test was created; later messages add minutes to it."""

WORLDWIDE = Availability(territories=("WW",), use_types=("OnDemandStream",))

DEFAULT_UPC = "5012345678900"


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def provenance(
    *, minutes: int = 0, sender: str = SENDER, kind: str = "ddex", reference: str = ""
) -> Provenance:
    return Provenance(
        kind=kind,
        sender=sender,
        reference=reference or f"{kind}-message-{minutes}",
        created_at=at(minutes),
    )


def deal(
    *territories: str,
    excluded: tuple[str, ...] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    takedown: bool = False,
) -> Availability:
    return Availability(
        territories=territories or ("WW",),
        excluded_territories=excluded,
        start=start,
        end=end,
        use_types=("OnDemandStream",),
        takedown=takedown,
    )


def artist(
    name: str,
    *,
    isni: str | None = None,
    names: tuple[tuple[str, str], ...] = (),
) -> ArtistRecord:
    return ArtistRecord(
        name=name,
        names=tuple(LocalizedName(n, script) for n, script in names),
        ids=(ExternalId("isni", isni),) if isni else (),
    )


def credit(record: ArtistRecord, join_phrase: str = "") -> ArtistCredit:
    return ArtistCredit(artist=record, join_phrase=join_phrase)


MAIN_ARTIST = artist("Aurora Lane", isni="0000000121479890")


def isrc_for(upc: str, number: int) -> str:
    return f"QZ{upc[-5:]}{number:05d}"


def track(
    number: int,
    *,
    isrc: str | None = None,
    title: str | None = None,
    disc: int = 1,
    availability: tuple[Availability, ...] = (),
    artists: tuple[ArtistCredit, ...] = (),
    duration_ms: int = 180_000,
) -> TrackRecord:
    return TrackRecord(
        title=title or f"Song {number}",
        disc_number=disc,
        track_number=number,
        isrc=isrc,
        duration_ms=duration_ms,
        artists=artists,
        availability=availability,
    )


def release(
    *,
    upc: str = DEFAULT_UPC,
    title: str = "Night Drive",
    tracks: tuple[TrackRecord, ...] | None = None,
    track_count: int = 3,
    availability: tuple[Availability, ...] = (WORLDWIDE,),
    artists: tuple[ArtistCredit, ...] = (credit(MAIN_ARTIST),),
    release_type: ReleaseType = ReleaseType.ALBUM,
) -> ReleaseRecord:
    if tracks is None:
        tracks = tuple(track(n, isrc=isrc_for(upc, n)) for n in range(1, track_count + 1))
    return ReleaseRecord(
        title=title,
        release_type=release_type,
        upc=upc,
        artists=artists,
        label="Lantern Records",
        p_line="2024 Lantern Records",
        release_date=PartialDate(T0.date()),
        tracks=tracks,
        availability=availability,
    )


FEED_URL = "https://feeds.example.com/lantern-talks.xml"


def enclosure_url(number: int, *, host: str = "media.example.com") -> str:
    return f"https://{host}/lantern-talks/episode-{number}.mp3"


def episode(
    number: int,
    *,
    guid: str | None = "default",
    url: str | None = None,
    title: str | None = None,
) -> EpisodeRecord:
    return EpisodeRecord(
        title=title or f"Episode {number}",
        guid=f"urn:lantern-talks:{number}" if guid == "default" else guid,
        enclosure=Enclosure(
            url=url or enclosure_url(number), type="audio/mpeg", length=1_000_000 + number
        ),
        description=f"Notes for episode {number}",
        duration_ms=1_800_000,
        published_at=T0 - timedelta(days=number),
        episode_number=number,
    )


def show(
    *,
    episodes: tuple[EpisodeRecord, ...] | None = None,
    episode_count: int = 3,
    title: str = "Lantern Talks",
    feed_url: str = FEED_URL,
) -> ShowRecord:
    if episodes is None:
        episodes = tuple(episode(n) for n in range(1, episode_count + 1))
    return ShowRecord(
        title=title,
        feed_url=feed_url,
        publisher="Lantern Media",
        description="Conversations about records.",
        language="en",
        episodes=episodes,
    )
