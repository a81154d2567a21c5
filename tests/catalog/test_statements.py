"""How many SQL statements a write and its projection take, on SQLite and PostgreSQL.

Counts, not timings: a release is written with one statement per table (not per row),
its artists are resolved together, and an artist's discography costs the same number of
statements however many releases the artist has, so ingestion does not slow down as the
catalog grows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from liner.catalog.projector import Projector
from liner.catalog.service import CatalogService
from liner.ingest.records import ArtistRecord, Contributor, ExternalId, Image, TrackRecord
from liner.models import Artist, OutboxRow

from .factories import MAIN_ARTIST, credit, isrc_for, provenance, release
from .rows import documents


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def album(upc: str, tracks: int = 10) -> Any:
    return release(
        upc=upc,
        title=f"Album {upc}",
        tracks=tuple(
            TrackRecord(
                title=f"Song {n}",
                track_number=n,
                isrc=isrc_for(upc, n),
                artists=(credit(MAIN_ARTIST),),
                contributors=(Contributor(MAIN_ARTIST, "composer"),),
            )
            for n in range(1, tracks + 1)
        ),
    )


def upc(number: int) -> str:
    return f"{number:012d}"


def test_a_ten_track_release_is_written_in_a_bounded_number_of_statements(
    service: CatalogService, engine: Engine
) -> None:
    service.upsert_release(album(upc(1)), provenance())
    with counting(engine) as statements:
        result = service.upsert_release(album(upc(2)), provenance())
    assert result.status == "created"
    # Lock, provenance, load, UPC owner, release, artists (3), redirects, credits,
    # deals, relink groups (2), tracks, track credits, contributors, release update,
    # outbox, commit: independent of the number of tracks.
    assert len(statements) <= 20, statements
    with counting(engine) as statements:
        assert service.upsert_release(album(upc(2)), provenance()).status == "unchanged"
    assert len(statements) <= 20, statements


def test_projecting_a_prolific_artist_does_not_grow_with_its_releases(
    service: CatalogService, projector: Projector, engine: Engine
) -> None:
    for number in range(1, 4):
        service.upsert_release(album(upc(number), tracks=2), provenance())
    projector.run_until_idle()
    service.upsert_release(album(upc(10), tracks=2), provenance())
    with counting(engine) as few:
        projector.run_until_idle()
    for number in range(11, 41):
        service.upsert_release(album(upc(number), tracks=2), provenance())
    projector.run_until_idle()
    service.upsert_release(album(upc(50), tracks=2), provenance())
    with counting(engine) as many:
        projector.run_until_idle()
    assert len(many) == len(few), (few, many)


def test_artists_named_many_times_in_a_release_are_resolved_once_and_changed_once(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    pictured = ArtistRecord(
        "Aurora Lane",
        ids=(ExternalId("isni", "0000000121479890"), ExternalId("proprietary:label", "A-1")),
        images=(Image("https://images.example.com/a.jpg", 300, 300),),
    )
    # The same party under another record: only the proprietary id, no image.
    plain = ArtistRecord("Aurora Lane", ids=(ExternalId("proprietary:label", "A-1"),))
    tracks = tuple(
        TrackRecord(
            title=f"Song {n}",
            track_number=n,
            isrc=isrc_for(upc(7), n),
            artists=(credit(pictured if n % 2 else plain),),
            contributors=(Contributor(plain if n % 2 else pictured, "composer"),),
        )
        for n in range(1, 5)
    )
    result = service.upsert_release(
        release(upc=upc(7), artists=(credit(pictured),), tracks=tracks), provenance()
    )
    artists = [c for c in result.changed if c[0] == "artist"]
    assert len(artists) == 1
    with sessions() as session:
        stored = session.scalars(select(Artist)).one()
        assert stored.revision == 1
        assert stored.images == [
            {"url": "https://images.example.com/a.jpg", "width": 300, "height": 300}
        ]
        assert (
            session.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.entity_type == "artist")
            )
            == 1
        )


def test_statement_batching_keeps_the_outbox_in_order(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    result = service.upsert_release(album(upc(3), tracks=3), provenance())
    with sessions() as session:
        rows = session.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()
    assert [(r.entity_type, r.public_id, r.operation) for r in rows] == result.changed
    assert [r.entity_type for r in rows] == ["album", "track", "track", "track", "artist"]
    projector.run_until_idle()
    stored = documents(sessions)
    assert all(
        f"track:{public_id}" in stored for kind, public_id, _ in result.changed if kind == "track"
    )
