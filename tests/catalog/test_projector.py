"""The projector, on SQLite and on PostgreSQL: documents built from committed writes,
markets from deals at the moment of building, relinking, tombstones, rebuilds and
deal windows that open or close without any message."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from liner.catalog.markets import MARKET_SET, MARKETS
from liner.catalog.projector import Projector
from liner.catalog.service import CatalogService
from liner.catalog.serving import IdsEntry, ShowEntry, StaticEntry
from liner.catalog.shows import sha
from liner.models import Artist, ReadDocument

from .factories import (
    CREATOR,
    DEFAULT_UPC,
    FEED_URL,
    MAIN_ARTIST,
    artist,
    credit,
    deal,
    episode,
    isrc_for,
    provenance,
    release,
    show,
    track,
)
from .rows import (
    album_entry,
    documents,
    entry,
    json_of,
    last_outbox_id,
    load_release,
    load_show,
    track_entry,
)

EVERYWHERE = frozenset(MARKETS)


def now() -> datetime:
    return datetime.now(UTC)


def track_ids(sessions: sessionmaker[Session], album_id: str) -> list[str]:
    stored = load_release(sessions, album_id)
    return [t.public_id for t in sorted(stored.tracks, key=lambda t: t.track_number)]


def test_projection_builds_every_document_a_write_touches(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    album_id = service.upsert_release(release(), provenance()).public_id or ""
    show_id = service.upsert_show(show(), provenance(sender=CREATOR, kind="rss")).public_id or ""
    tracks = track_ids(sessions, album_id)
    episodes = [e.public_id for e in load_show(sessions, show_id).episodes]
    with sessions() as session:
        artist_id = session.scalars(select(Artist.public_id)).one()

    consumed = projector.run_until_idle()

    assert consumed == last_outbox_id(sessions) == 1 + 3 + 1 + 1 + 3
    assert projector.run_until_idle() == 0
    stored = documents(sessions)
    isrcs = [isrc_for(DEFAULT_UPC, n) for n in (1, 2, 3)]
    assert set(stored) == {
        f"album:{album_id}",
        *(f"track:{t}" for t in tracks),
        f"artist:{artist_id}",
        f"artist_albums:{artist_id}",
        f"upc:{DEFAULT_UPC}",
        *(f"isrc:{i}" for i in isrcs),
        f"show:{show_id}",
        *(f"episode:{e}" for e in episodes),
        f"feed:{sha(FEED_URL)}",
    }
    assert all(body is not None for body in stored.values())

    album = album_entry(sessions, album_id)
    album_json = json_of(album.prefix)
    assert album_json["id"] == album_id
    assert album_json["name"] == "Night Drive"
    assert album_json["total_tracks"] == 3
    assert album_json["external_ids"] == {"ean": DEFAULT_UPC}
    assert album_json["artists"][0]["name"] == "Aurora Lane"
    assert [json_of(t.prefix)["id"] for t in album.tracks] == tracks
    assert album.markets.markets == EVERYWHERE

    first = json_of(track_entry(sessions, tracks[0]).prefix)
    assert first["name"] == "Song 1"
    assert first["album"]["id"] == album_id
    assert first["external_ids"] == {"isrc": isrcs[0]}
    assert first["href"] == f"http://test/v1/tracks/{tracks[0]}"
    assert entry(sessions, f"upc:{DEFAULT_UPC}") == IdsEntry((album_id,))
    assert entry(sessions, f"isrc:{isrcs[1]}") == IdsEntry((tracks[1],))
    assert entry(sessions, f"feed:{sha(FEED_URL)}") == IdsEntry((show_id,))

    artist = entry(sessions, f"artist:{artist_id}")
    assert isinstance(artist, StaticEntry)
    assert orjson.loads(artist.body)["external_ids"] == {"isni": "0000000121479890"}
    show_entry = entry(sessions, f"show:{show_id}")
    assert isinstance(show_entry, ShowEntry)
    assert json_of(show_entry.prefix)["total_episodes"] == 3
    assert [orjson.loads(e)["name"] for e in show_entry.episodes] == [
        "Episode 1",
        "Episode 2",
        "Episode 3",
    ]


def test_worldwide_minus_excluded_territories(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    record = release(availability=(deal("WW", excluded=("SE", "NO")),))
    album_id = service.upsert_release(record, provenance()).public_id or ""
    projector.run_until_idle()

    expected = EVERYWHERE - {"SE", "NO"}
    assert album_entry(sessions, album_id).markets.markets == expected
    for track_id in track_ids(sessions, album_id):
        assert track_entry(sessions, track_id).markets.markets == expected


def test_a_list_of_territories_ignores_unknown_codes(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    record = release(availability=(deal("US", "CA", "ZZ"),))
    album_id = service.upsert_release(record, provenance()).public_id or ""
    projector.run_until_idle()

    assert album_entry(sessions, album_id).markets.markets == {"US", "CA"}


def test_a_takedown_deal_removes_its_territory(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    record = release(availability=(deal("WW"), deal("DE", "AT", takedown=True)))
    album_id = service.upsert_release(record, provenance()).public_id or ""
    projector.run_until_idle()

    assert album_entry(sessions, album_id).markets.markets == EVERYWHERE - {"DE", "AT"}


def test_deal_windows_not_yet_open_and_already_closed(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    moment = now()
    future = release(
        upc="5012345000017",
        availability=(deal("WW", start=moment + timedelta(days=30)), deal("US")),
    )
    past = release(
        upc="5012345000024",
        availability=(deal("WW", end=moment - timedelta(days=1)), deal("GB")),
    )
    nothing_yet = release(
        upc="5012345000031", availability=(deal("WW", start=moment + timedelta(days=30)),)
    )
    future_id = service.upsert_release(future, provenance()).public_id or ""
    past_id = service.upsert_release(past, provenance()).public_id or ""
    nothing_id = service.upsert_release(nothing_yet, provenance()).public_id or ""
    projector.run_until_idle()

    assert album_entry(sessions, future_id).markets.markets == {"US"}
    assert album_entry(sessions, past_id).markets.markets == {"GB"}
    assert album_entry(sessions, nothing_id).markets.markets == frozenset()
    pending = load_release(sessions, nothing_id).availability_changes_at
    assert pending is not None
    assert abs(pending - (moment + timedelta(days=30))) < timedelta(seconds=1)
    assert load_release(sessions, past_id).availability_changes_at is None


def test_track_deals_override_the_release_deals(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    record = release(
        availability=(deal("WW"),),
        tracks=(
            track(1, isrc=isrc_for(DEFAULT_UPC, 1)),
            track(2, isrc=isrc_for(DEFAULT_UPC, 2), availability=(deal("US", "CA"),)),
            track(3, isrc=isrc_for(DEFAULT_UPC, 3), availability=(deal("FR", takedown=True),)),
        ),
    )
    album_id = service.upsert_release(record, provenance()).public_id or ""
    projector.run_until_idle()
    first, second, third = track_ids(sessions, album_id)

    assert track_entry(sessions, first).markets.markets == EVERYWHERE
    assert track_entry(sessions, second).markets.markets == {"US", "CA"}
    assert track_entry(sessions, third).markets.markets == frozenset()
    album = album_entry(sessions, album_id)
    assert album.markets.markets == EVERYWHERE
    assert [t.markets.markets for t in album.tracks] == [
        EVERYWHERE,
        frozenset({"US", "CA"}),
        frozenset(),
    ]
    assert track_entry(sessions, second).body("CA").endswith(b',"is_playable":true}')
    assert (
        track_entry(sessions, second)
        .body("SE")
        .endswith(b',"is_playable":false,"restrictions":{"reason":"market"}}')
    )


def test_a_release_without_own_deals_is_available_where_its_tracks_are(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    record = release(
        availability=(),
        tracks=(
            track(1, isrc=isrc_for(DEFAULT_UPC, 1), availability=(deal("US"),)),
            track(2, isrc=isrc_for(DEFAULT_UPC, 2), availability=(deal("JP"),)),
        ),
    )
    album_id = service.upsert_release(record, provenance()).public_id or ""
    projector.run_until_idle()

    assert album_entry(sessions, album_id).markets.markets == {"US", "JP"}


def test_relinking_to_the_same_recording_on_another_release(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    shared = "GBAYE2400001"
    a = release(
        upc="5012345000017",
        availability=(deal("WW", excluded=("SE",)),),
        tracks=(track(1, isrc=shared), track(2, isrc="GBAYE2400002")),
    )
    a_id = service.upsert_release(a, provenance()).public_id or ""
    projector.run_until_idle()
    a_shared, a_other = track_ids(sessions, a_id)
    assert track_entry(sessions, a_shared).links == {}

    b = release(
        upc="5012345000024",
        title="Best Of",
        availability=(deal("WW"),),
        tracks=(track(1, isrc=shared),),
    )
    b_id = service.upsert_release(b, provenance(minutes=1)).public_id or ""
    projector.run_until_idle()
    (b_shared,) = track_ids(sessions, b_id)

    assert track_entry(sessions, a_shared).links == {"SE": b_shared}
    assert "SE" not in track_entry(sessions, a_shared).markets.markets
    assert track_entry(sessions, a_other).links == {}
    assert track_entry(sessions, b_shared).links == {}
    assert album_entry(sessions, a_id).tracks[0].links == {}
    assert entry(sessions, f"isrc:{shared}") == IdsEntry((a_shared, b_shared))

    service.delete_release("upc:5012345000024", provenance(minutes=2))
    projector.run_until_idle()
    assert track_entry(sessions, a_shared).links == {}
    assert entry(sessions, f"isrc:{shared}") == IdsEntry((a_shared,))


def test_a_purged_release_leaves_tombstones(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    album_id = service.upsert_release(release(), provenance()).public_id or ""
    tracks = track_ids(sessions, album_id)
    projector.run_until_idle()
    with sessions() as session:
        artist_id = session.scalars(select(Artist.public_id)).one()

    service.delete_release(f"upc:{DEFAULT_UPC}", provenance(minutes=1))
    projector.run_until_idle()

    stored = documents(sessions)
    assert stored[f"album:{album_id}"] is None
    assert all(stored[f"track:{t}"] is None for t in tracks)
    assert stored[f"upc:{DEFAULT_UPC}"] is None
    assert all(stored[f"isrc:{isrc_for(DEFAULT_UPC, n)}"] is None for n in (1, 2, 3))
    discography = stored[f"artist_albums:{artist_id}"]
    assert discography is not None
    assert orjson.loads(discography)["i"] == []
    assert stored[f"artist:{artist_id}"] is not None


def test_a_removed_track_is_a_tombstone_and_leaves_the_album(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    album_id = service.upsert_release(release(track_count=3), provenance()).public_id or ""
    tracks = track_ids(sessions, album_id)
    projector.run_until_idle()

    service.upsert_release(release(track_count=2), provenance(minutes=1))
    projector.run_until_idle()

    stored = documents(sessions)
    assert stored[f"track:{tracks[2]}"] is None
    assert stored[f"isrc:{isrc_for(DEFAULT_UPC, 3)}"] is None
    album = album_entry(sessions, album_id)
    assert [json_of(t.prefix)["id"] for t in album.tracks] == tracks[:2]
    assert json_of(album.prefix)["total_tracks"] == 2


def test_an_episode_that_left_the_feed_stays_addressable_but_unlisted(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    show_id = service.upsert_show(show(), provenance(sender=CREATOR, kind="rss")).public_id or ""
    projector.run_until_idle()
    service.upsert_show(
        show(episodes=(episode(1), episode(2))), provenance(sender=CREATOR, kind="rss", minutes=1)
    )
    projector.run_until_idle()

    gone = next(e for e in load_show(sessions, show_id).episodes if e.status == "removed")
    show_entry = entry(sessions, f"show:{show_id}")
    assert isinstance(show_entry, ShowEntry)
    assert json_of(show_entry.prefix)["total_episodes"] == 2
    assert [orjson.loads(e)["id"] for e in show_entry.episodes].count(gone.public_id) == 0
    episode_entry = entry(sessions, f"episode:{gone.public_id}")
    assert isinstance(episode_entry, StaticEntry)
    assert orjson.loads(episode_entry.body)["is_playable"] is False


def test_rebuild_produces_the_same_documents_from_sql(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    shared = "GBAYE2400001"
    service.upsert_release(
        release(
            upc="5012345000017",
            availability=(deal("WW", excluded=("SE",)),),
            tracks=(track(1, isrc=shared), track(2, isrc="GBAYE2400002")),
        ),
        provenance(),
    )
    service.upsert_release(
        release(upc="5012345000024", tracks=(track(1, isrc=shared),)), provenance()
    )
    service.upsert_release(release(upc="5012345000031"), provenance())
    service.upsert_release(release(upc="5012345000031", track_count=2), provenance(minutes=1))
    service.upsert_release(release(upc="5012345000048"), provenance())
    service.delete_release("upc:5012345000048", provenance(minutes=1))
    service.upsert_show(show(), provenance(sender=CREATOR, kind="rss"))
    service.upsert_show(show(episode_count=2), provenance(sender=CREATOR, kind="rss", minutes=1))
    projector.run_until_idle()
    incremental = documents(sessions)

    written = projector.rebuild()

    rebuilt = documents(sessions)
    assert written == len(rebuilt)
    assert set(rebuilt) == set(incremental)
    assert rebuilt == incremental
    assert sum(body is None for body in rebuilt.values()) >= 5
    assert projector.run_until_idle() == 0


def test_rebuild_replaces_documents_that_drifted(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    album_id = service.upsert_release(release(), provenance()).public_id or ""
    projector.run_until_idle()
    expected = documents(sessions)
    with sessions() as session, session.begin():
        document = session.get(ReadDocument, f"album:{album_id}")
        assert document is not None
        document.body = b'{"k":"ids","ids":[]}'
        session.add(ReadDocument(key="album:stale", body=b"{}", seq=1))

    projector.rebuild()

    assert documents(sessions) == expected


def test_refresh_due_reprojects_releases_whose_deal_windows_closed_or_opened(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    boundary = now() + timedelta(seconds=1.0)
    closing = release(availability=(deal("WW", end=boundary), deal("NO")))
    closing_id = service.upsert_release(closing, provenance()).public_id or ""
    opening = release(upc="5012345000024", availability=(deal("WW", start=boundary),))
    opening_id = service.upsert_release(opening, provenance()).public_id or ""
    purged = replace(closing, upc="5012345000017")
    purged_id = service.upsert_release(purged, provenance()).public_id or ""
    service.delete_release("upc:5012345000017", provenance(minutes=1))
    projector.run_until_idle()
    first_track = track_ids(sessions, closing_id)[0]
    assert album_entry(sessions, closing_id).markets.markets == EVERYWHERE
    assert album_entry(sessions, opening_id).markets.markets == frozenset()
    assert load_release(sessions, opening_id).availability_changes_at is not None
    assert projector.refresh_due() == 0

    time.sleep(max(0.0, (boundary - now()).total_seconds()) + 0.05)
    assert projector.refresh_due() == 2

    assert album_entry(sessions, closing_id).markets.markets == {"NO"}
    assert track_entry(sessions, first_track).markets.markets == {"NO"}
    assert album_entry(sessions, opening_id).markets.markets == MARKET_SET
    assert documents(sessions)[f"album:{purged_id}"] is None
    for album_id in (closing_id, opening_id, purged_id):
        assert load_release(sessions, album_id).availability_changes_at is None
    assert projector.refresh_due() == 0


def discography(sessions: sessionmaker[Session], artist_id: str) -> list[tuple[str, str]]:
    body = documents(sessions)[f"artist_albums:{artist_id}"]
    assert body is not None
    return [(item["g"], orjson.loads(item["b"])["name"]) for item in orjson.loads(body)["i"]]


def test_artist_discographies_follow_credits(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    guest = artist("Miro Vale", isni="0000000412345678")
    other = artist("Juno Park", isni="0000000455556666")
    service.upsert_release(
        release(
            tracks=(
                track(1, isrc=isrc_for(DEFAULT_UPC, 1)),
                track(2, isrc=isrc_for(DEFAULT_UPC, 2), artists=(credit(guest),)),
            )
        ),
        provenance(),
    )
    projector.run_until_idle()
    with sessions() as session:
        ids = {
            row.name: row.public_id
            for row in session.execute(select(Artist.name, Artist.public_id))
        }

    assert discography(sessions, ids["Aurora Lane"]) == [("album", "Night Drive")]
    assert discography(sessions, ids["Miro Vale"]) == [("appears_on", "Night Drive")]

    service.upsert_release(
        release(
            artists=(credit(other),),
            tracks=(
                track(1, isrc=isrc_for(DEFAULT_UPC, 1)),
                track(2, isrc=isrc_for(DEFAULT_UPC, 2), artists=(credit(guest),)),
            ),
        ),
        provenance(minutes=1),
    )
    projector.run_until_idle()
    with sessions() as session:
        ids = {
            row.name: row.public_id
            for row in session.execute(select(Artist.name, Artist.public_id))
        }

    assert discography(sessions, ids["Aurora Lane"]) == []
    assert discography(sessions, ids["Juno Park"]) == [("album", "Night Drive")]
    assert discography(sessions, ids["Miro Vale"]) == [("appears_on", "Night Drive")]


def test_discographies_built_batch_by_batch_match_a_rebuild(
    service: CatalogService, projector: Projector, sessions: sessionmaker[Session]
) -> None:
    """An artist's discography, rebuilt whenever one of its releases is projected, reads
    its other releases from their stored album documents: batch by batch it ends as a
    rebuild from SQL makes it, across a release with deals only on its tracks, a guest
    appearance, a release taken down and one whose deals change."""
    guest = artist("Guest Voice")
    upcs = ["5012345000017", "5012345000024", "5012345000031", "5012345000048"]
    service.upsert_release(release(upc=upcs[0], availability=(deal("NO"),)), provenance())
    projector.run_until_idle()
    service.upsert_release(
        release(
            upc=upcs[1],
            availability=(),
            tracks=(
                track(1, isrc=isrc_for(upcs[1], 1), availability=(deal("SE"),)),
                track(2, isrc=isrc_for(upcs[1], 2), availability=(deal("FI"),)),
            ),
        ),
        provenance(),
    )
    projector.run_until_idle()
    service.upsert_release(
        release(
            upc=upcs[2],
            artists=(credit(guest),),
            tracks=(
                track(1, isrc=isrc_for(upcs[2], 1), artists=(credit(guest), credit(MAIN_ARTIST))),
            ),
        ),
        provenance(),
    )
    projector.run_until_idle()
    service.upsert_release(release(upc=upcs[3]), provenance())
    projector.run_until_idle()
    service.delete_release(f"upc:{upcs[3]}", provenance(minutes=1))
    projector.run_until_idle()
    service.upsert_release(
        release(upc=upcs[0], availability=(deal("NO"), deal("DK"))), provenance(minutes=2)
    )
    projector.run_until_idle()
    incremental = documents(sessions)
    with sessions() as session:
        main_id = session.scalars(
            select(Artist.public_id).where(Artist.name == MAIN_ARTIST.name)
        ).one()
    listed = orjson.loads(incremental[f"artist_albums:{main_id}"] or b"{}")["i"]
    assert len(listed) == 3
    assert sorted(item["g"] for item in listed) == ["album", "album", "appears_on"]

    projector.rebuild()

    assert documents(sessions) == incremental
