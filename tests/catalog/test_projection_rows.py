"""What the projector reads as plain rows, on SQLite and PostgreSQL: relinking across
several releases with their own deals, discographies that name a release no document
describes yet, and PostgreSQL planner settings that end with the projector's
transaction."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from liner.catalog.markets import MARKET_SET
from liner.catalog.projector import Projector
from liner.catalog.service import CatalogService
from liner.models import Artist

from .factories import MAIN_ARTIST, deal, isrc_for, provenance, release, track
from .rows import documents, last_outbox_id, load_release, track_entry

SHARED = "GBAYE2400001"


def track_id(sessions: sessionmaker[Session], album_id: str, number: int) -> str:
    stored = load_release(sessions, album_id)
    return next(t.public_id for t in stored.tracks if t.track_number == number)


def test_relinking_takes_each_market_from_the_first_sibling_that_has_it(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    """Siblings in track order, each with its own deals where it has some (the shared
    track of the second release is only in SE, its release everywhere but there)."""
    first = release(
        upc="5012345000017",
        availability=(deal("WW", excluded=("SE", "NO", "JP")),),
        tracks=(track(1, isrc=SHARED),),
    )
    second = release(
        upc="5012345000024",
        availability=(deal("WW", excluded=("SE",)),),
        tracks=(track(1, isrc=SHARED, availability=(deal("SE"),)), track(2)),
    )
    third = release(
        upc="5012345000031", availability=(deal("WW"),), tracks=(track(1, isrc=SHARED),)
    )
    first_id = service.upsert_release(first, provenance()).public_id or ""
    second_id = service.upsert_release(second, provenance()).public_id or ""
    third_id = service.upsert_release(third, provenance()).public_id or ""
    projector.run_until_idle()
    shared, on_second, on_third = (
        track_id(sessions, first_id, 1),
        track_id(sessions, second_id, 1),
        track_id(sessions, third_id, 1),
    )

    assert track_entry(sessions, shared).links == {"SE": on_second, "NO": on_third, "JP": on_third}
    elsewhere = MARKET_SET - {"SE", "NO", "JP"}
    assert track_entry(sessions, on_second).links == {
        **dict.fromkeys(elsewhere, shared),
        "NO": on_third,
        "JP": on_third,
    }
    assert track_entry(sessions, on_third).links == {}
    incremental = documents(sessions)
    projector.rebuild()
    assert documents(sessions) == incremental

    service.delete_release("upc:5012345000024", provenance(minutes=1))
    projector.run_until_idle()
    assert track_entry(sessions, shared).links == {"SE": on_third, "NO": on_third, "JP": on_third}


def test_a_discography_names_a_release_that_no_document_describes_yet(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    """The artist's discography is built with the first release's batch, before the
    second release (written, not yet projected) has an album document: that one is read
    from SQL, with the markets of its tracks' deals, as a rebuild reads it."""
    service.upsert_release(release(upc="5012345000017", availability=(deal("NO"),)), provenance())
    first_batch = last_outbox_id(sessions)
    second = release(
        upc="5012345000024",
        availability=(),
        tracks=(
            track(1, isrc=isrc_for("5012345000024", 1), availability=(deal("SE"),)),
            track(2, isrc=isrc_for("5012345000024", 2), availability=(deal("FI"),)),
        ),
    )
    second_id = service.upsert_release(second, provenance()).public_id or ""
    projector.run_once(batch=first_batch)
    with sessions() as session:
        artist_id = session.scalars(
            select(Artist.public_id).where(Artist.name == MAIN_ARTIST.name)
        ).one()
    stored = documents(sessions)
    assert f"album:{second_id}" not in stored
    listed = orjson.loads(stored[f"artist_albums:{artist_id}"] or b"{}")["i"]
    albums = {orjson.loads(item["b"])["id"]: item for item in listed}
    assert albums[second_id]["m"] == ["FI", "SE"]
    assert orjson.loads(albums[second_id]["b"])["total_tracks"] == 2
    early = stored[f"artist_albums:{artist_id}"]

    projector.run_until_idle()
    assert documents(sessions)[f"artist_albums:{artist_id}"] == early
    incremental = documents(sessions)
    projector.rebuild()
    assert documents(sessions) == incremental


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_planner_settings_end_with_the_projector_transaction(
    service: CatalogService, projector: Projector, engine: Engine
) -> None:
    service.upsert_release(release(), provenance())
    seen: list[tuple[str, str]] = []
    inside: list[tuple[str, str]] = []

    @event.listens_for(engine, "after_cursor_execute")
    def read_settings(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM outbox" in statement:
            # A cursor of its own, in the projector's transaction.
            with cursor.connection.cursor() as probe:
                probe.execute("SHOW enable_seqscan")
                seqscan = probe.fetchone()[0]
                probe.execute("SHOW jit")
                inside.append((seqscan, probe.fetchone()[0]))

    def planner_settings() -> None:
        with engine.connect() as connection:
            seen.append(
                (
                    str(connection.scalar(text("SHOW enable_seqscan"))),
                    str(connection.scalar(text("SHOW jit"))),
                )
            )

    planner_settings()
    assert projector.run_until_idle() > 0
    event.remove(engine, "after_cursor_execute", read_settings)
    planner_settings()
    assert inside
    assert set(inside) == {("off", "off")}
    assert seen[1] == seen[0]
    assert seen[0][0] == "on"
