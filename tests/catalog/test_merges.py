"""Merging duplicate artists, on SQLite and on PostgreSQL: credits move, the merged id
redirects (one hop, even after chained merges), later deliveries land on the artist
that stays, and a rebuilt read model says the same."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from liner.catalog.projector import Projector
from liner.catalog.service import CatalogService
from liner.catalog.serving import RedirectEntry, StaticEntry
from liner.ingest.records import Contributor
from liner.kit.errors import ConflictError, InputError, NotFoundError
from liner.models import Artist, ArtistCreditRow, ContributorRow, IdRedirect, Release

from .factories import artist, credit, provenance, release
from .rows import album_entry, entry, json_of, last_outbox_id, outbox

SECOND_UPC = "0036000291452"
THIRD_UPC = "4006381333931"


def _artist_id(sessions: sessionmaker[Session], name: str) -> str:
    with sessions() as session:
        return session.scalars(select(Artist.public_id).where(Artist.name == name)).one()


def _two_spellings(service: CatalogService, sessions: sessionmaker[Session]) -> tuple[str, str]:
    """The same artist delivered by two senders, which the matcher cannot join."""
    service.upsert_release(release(artists=(credit(artist("Aurora Lane")),)), provenance())
    other = release(upc=SECOND_UPC, title="Day Drive", artists=(credit(artist("AURORA LANE ")),))
    service.upsert_release(other, provenance(sender="PADPIDA2099999999X"))
    with sessions() as session:
        ids = list(session.scalars(select(Artist.public_id).order_by(Artist.id)))
    assert len(ids) == 2
    return ids[0], ids[1]


def test_a_merge_moves_credits_and_redirects_the_old_id(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    target, source = _two_spellings(service, sessions)
    projector.run_until_idle()
    before = last_outbox_id(sessions)

    result = service.merge_artists(source, target, provenance(minutes=5, kind="operator"))
    projector.run_until_idle()

    assert result.status == "updated"
    assert ("artist", source, "redirect") in result.changed
    assert ("artist", target, "upsert") in result.changed
    changes = [(c.entity_type, c.public_id, c.operation) for c in outbox(sessions, after=before)]
    assert sorted(changes) == sorted(result.changed)
    with sessions() as session:
        credited = set(session.scalars(select(ArtistCreditRow.artist_id)))
        kept = session.scalars(select(Artist).where(Artist.public_id == target)).one()
        assert credited == {kept.id}
        assert session.get(IdRedirect, ("artist", source)) is not None
    redirect = entry(sessions, f"artist:{source}")
    assert redirect == RedirectEntry(target)
    assert entry(sessions, f"artist_albums:{source}") == RedirectEntry(target)
    kept_doc = entry(sessions, f"artist:{target}")
    assert isinstance(kept_doc, StaticEntry)
    assert orjson.loads(kept_doc.body)["id"] == target
    # Only the album that credited the duplicate changed; both now credit the one that stays.
    changed_albums = [album_id for kind, album_id, _ in result.changed if kind == "album"]
    assert len(changed_albums) == 1
    with sessions() as session:
        albums = list(session.scalars(select(Release.public_id)))
    assert len(albums) == 2
    for album_id in albums:
        album = json_of(album_entry(sessions, album_id).prefix)
        assert [a["id"] for a in album["artists"]] == [target]


def test_later_deliveries_land_on_the_artist_that_stays(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    target, source = _two_spellings(service, sessions)
    service.merge_artists(source, target, provenance(minutes=5, kind="operator"))

    third = release(
        upc=THIRD_UPC, title="Dusk", artists=(credit(artist("AURORA LANE ")),), track_count=1
    )
    service.upsert_release(third, provenance(minutes=10, sender="PADPIDA2099999999X"))

    with sessions() as session:
        assert session.scalar(select(Artist.id).where(Artist.public_id == source)) is not None
        artists = set(session.scalars(select(Artist.public_id).join(ArtistCreditRow)))
        kept = session.scalars(select(Artist).where(Artist.public_id == target)).one()
        # The duplicate's spelling does not rename the artist that stays; it is kept as
        # another of its names.
        assert kept.name == "Aurora Lane"
        assert any(n.name.strip() == "AURORA LANE" for n in kept.names)
    assert artists == {target}


def test_chained_merges_keep_every_redirect_one_hop(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    first, second = _two_spellings(service, sessions)
    service.upsert_release(
        release(upc=THIRD_UPC, title="Dusk", artists=(credit(artist("A. Lane")),)), provenance()
    )
    third = _artist_id(sessions, "A. Lane")

    service.merge_artists(second, first, provenance(minutes=5, kind="operator"))
    projector.run_until_idle()
    service.merge_artists(first, third, provenance(minutes=6, kind="operator"))
    projector.run_until_idle()

    # Without a rebuild: the second merge re-projects the first one's redirect too.
    assert entry(sessions, f"artist:{second}") == RedirectEntry(third)
    assert entry(sessions, f"artist_albums:{second}") == RedirectEntry(third)
    projector.rebuild()

    with sessions() as session:
        redirects = {r.from_public_id: r.to_public_id for r in session.scalars(select(IdRedirect))}
    assert redirects == {first: third, second: third}
    assert entry(sessions, f"artist:{first}") == RedirectEntry(third)
    assert entry(sessions, f"artist:{second}") == RedirectEntry(third)


def test_bad_merges_are_refused_and_change_nothing(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    target, source = _two_spellings(service, sessions)
    before = last_outbox_id(sessions)
    with pytest.raises(InputError):
        service.merge_artists(target, target, provenance(kind="operator"))
    with pytest.raises(NotFoundError):
        service.merge_artists("0" * 22, target, provenance(kind="operator"))
    service.merge_artists(source, target, provenance(kind="operator"))
    after = last_outbox_id(sessions)
    with pytest.raises(ConflictError):
        service.merge_artists(source, target, provenance(kind="operator"))
    with pytest.raises(ConflictError):
        service.merge_artists(target, source, provenance(kind="operator"))
    assert last_outbox_id(sessions) == after > before


def test_a_merge_moves_contributions_too(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    composer = artist("Vera Quill")
    record = release(artists=(credit(artist("Aurora Lane")),))
    tracks = tuple(
        replace(t, contributors=(Contributor(composer, "composer"),)) for t in record.tracks
    )
    service.upsert_release(replace(record, tracks=tracks), provenance())
    other = release(upc=SECOND_UPC, title="Day Drive", artists=(credit(artist("V. Quill")),))
    service.upsert_release(other, provenance(sender="PADPIDA2099999999X"))
    source = _artist_id(sessions, "Vera Quill")
    target = _artist_id(sessions, "V. Quill")

    result = service.merge_artists(source, target, provenance(minutes=5, kind="operator"))
    projector.run_until_idle()

    with sessions() as session:
        contributors = set(session.scalars(select(ContributorRow.artist_id)))
        kept = session.scalars(select(Artist.id).where(Artist.public_id == target)).one()
        first_album = session.scalars(
            select(Release.public_id).where(Release.upc == record.upc)
        ).one()
    assert contributors == {kept}
    assert ("album", first_album, "upsert") in result.changed
