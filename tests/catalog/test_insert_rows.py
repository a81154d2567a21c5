"""``insert_rows``: new instances inserted as plain rows, as the unit of work would."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from liner.models import Artist, ArtistName
from liner.models.base import insert_rows


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
