"""Plain inserts: ``insert_rows`` (new instances, as the unit of work would insert them)
and ``insert_many`` (rows of one table in one statement)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from liner.models import Artist, ArtistName, OutboxRow
from liner.models.base import table_of
from liner.models.inserts import insert_many, insert_rows


def _artist(number: int, **fields: object) -> Artist:
    return Artist(
        public_id=f"a{number:021d}", match_key=f"name:x:{number}", name=f"A{number}", **fields
    )


def test_ids_come_back_in_order_across_different_sets_of_columns(
    sessions: sessionmaker[Session],
) -> None:
    artists = [
        _artist(n, genres=["pop"]) if n % 3 == 0 else _artist(n, content_hash=f"h{n}")
        for n in range(1, 41)
    ]
    with sessions() as session, session.begin():
        insert_rows(session, artists)
        assert all(artist not in session for artist in artists)
        names = [ArtistName(artist_id=a.id, position=0, name=f"alias of {a.name}") for a in artists]
        insert_rows(session, names)
    with sessions() as session:
        stored = {row.id: row.name for row in session.scalars(select(Artist))}
        aliases = {row.artist_id: row.name for row in session.scalars(select(ArtistName))}
    assert stored == {artist.id: artist.name for artist in artists}
    assert aliases == {artist.id: f"alias of {artist.name}" for artist in artists}
    assert len({name.id for name in names}) == len(names)


def test_unset_columns_and_none_where_a_default_exists_take_the_default(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session, session.begin():
        artist = _artist(1, genres=None, revision=None)
        insert_rows(session, [artist])
    with sessions() as session:
        stored = session.scalars(select(Artist)).one()
    assert (stored.genres, stored.images, stored.revision, stored.content_hash) == ([], [], 1, "")
    assert stored.created_at is not None


def test_many_rows_in_one_statement_keep_every_value(sessions: sessionmaker[Session]) -> None:
    related: list[dict[str, list[str]]] = [
        {},
        {"artists": ["1", "2"], "isrcs": []},
        {"upcs": ['ö \u2603 "quoted" \\ {braces}, [brackets]']},
    ]
    rows = [
        {
            "entity_type": "album",
            "public_id": f"p{number:021d}",
            "revision": 2**40 + number,
            "operation": "upsert",
            "aggregate_type": "album",
            "aggregate_id": number,
            "related": value,
        }
        for number, value in enumerate(related)
    ]
    with sessions() as session, session.begin():
        insert_many(session, table_of(OutboxRow), rows)
        insert_many(session, table_of(OutboxRow), [{**rows[0], "public_id": "single"}])
        insert_many(session, table_of(OutboxRow), [])
    with sessions() as session:
        stored = session.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()
    assert [row.public_id for row in stored] == [*(r["public_id"] for r in rows), "single"]
    assert [row.related for row in stored[:3]] == related
    assert [row.revision for row in stored[:3]] == [r["revision"] for r in rows]
    assert all(row.created_at is not None for row in stored)
