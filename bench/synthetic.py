"""A seeded synthetic catalog for benchmarks: releases of ten tracks each, written
through the real write path and projected into the read model."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime

from liner.ingest.records import (
    ArtistCredit,
    ArtistRecord,
    Availability,
    Contributor,
    ExternalId,
    Image,
    PartialDate,
    Provenance,
    ReleaseRecord,
    ReleaseType,
    TrackRecord,
)
from liner.runtime import Runtime

TRACKS_PER_RELEASE = 10
_WORDS = (
    "night",
    "light",
    "river",
    "stone",
    "glass",
    "echo",
    "north",
    "summer",
    "signal",
    "ember",
    "harbour",
    "velvet",
    "orbit",
    "static",
    "meadow",
    "cinder",
    "hollow",
    "violet",
    "tide",
    "lantern",
    "ghost",
    "paper",
    "iron",
    "drift",
    "",
)
_TERRITORY_SETS = (
    (("WW",), ()),
    (("WW",), ("SE",)),
    (("SE", "NO", "DK", "FI"), ()),
    (("US", "CA", "GB", "IE", "AU", "NZ"), ()),
)


def _gs1(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def _title(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS).capitalize() for _ in range(words))


def releases(count: int, *, seed: int = 7) -> Iterator[ReleaseRecord]:
    rng = random.Random(seed)
    artists = [
        ArtistRecord(_title(rng, 2), ids=(ExternalId("proprietary:bench", f"artist-{n}"),))
        for n in range(max(count // 4, 1))
    ]
    for n in range(count):
        artist = rng.choice(artists)
        territories, excluded = _TERRITORY_SETS[n % len(_TERRITORY_SETS)]
        tracks = tuple(
            TrackRecord(
                title=_title(rng, rng.randint(1, 4)),
                disc_number=1,
                track_number=t + 1,
                isrc=f"QZBEN{n // 1000 % 100:02d}{n % 1000:03d}{t:02d}",
                duration_ms=rng.randint(90_000, 420_000),
                explicit=rng.random() < 0.1,
                artists=(ArtistCredit(artist),),
                contributors=(Contributor(artist, "composer"),),
            )
            for t in range(TRACKS_PER_RELEASE)
        )
        yield ReleaseRecord(
            title=_title(rng, rng.randint(1, 3)),
            release_type=ReleaseType.ALBUM,
            upc=_gs1(f"9{n:010d}"),
            artists=(ArtistCredit(artist),),
            label="Bench Records",
            p_line="2024 Bench Records",
            c_line="2024 Bench Records",
            release_date=PartialDate(datetime(2024, 1 + n % 12, 1 + n % 28).date()),
            genres=("Electronic",),
            images=(Image(f"https://images.example.com/{n}.jpg", 640, 640),),
            tracks=tracks,
            availability=(Availability(territories=territories, excluded_territories=excluded),),
        )


def seed(runtime: Runtime, tracks: int, *, batch: int = 200) -> int:
    """Write ``tracks`` tracks (in releases of ten) and project them; returns releases."""
    count = max(tracks // TRACKS_PER_RELEASE, 1)
    provenance = Provenance("json", "bench", "synthetic", datetime(2024, 1, 1, tzinfo=UTC))
    for index, record in enumerate(releases(count)):
        runtime.catalog.upsert_release(record, provenance)
        if index % batch == batch - 1:
            runtime.projector.run_until_idle()
    runtime.project()
    return count
