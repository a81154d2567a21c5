"""The release write path, on SQLite and on PostgreSQL: one transaction per aggregate,
idempotent by natural key, newest message wins, outbox rows for what changed."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from liner.catalog.service import CatalogService
from liner.ingest.records import ExternalId
from liner.kit.errors import ConflictError, InputError
from liner.models import Artist, ArtistCreditRow, Provenance, Release, Track

from .factories import (
    DEFAULT_UPC,
    MAIN_ARTIST,
    OTHER_SENDER,
    SENDER,
    artist,
    credit,
    isrc_for,
    provenance,
    release,
    track,
)
from .rows import (
    BASE62_ID,
    Change,
    last_outbox_id,
    load_release,
    outbox,
    table_counts,
    tracks_by_key,
)


def test_create_assigns_base62_ids_and_writes_outbox_rows(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    guest = artist("Miro Vale", isni="0000000412345678")
    record = release(
        tracks=(
            track(1, isrc=isrc_for(DEFAULT_UPC, 1)),
            track(2, isrc=isrc_for(DEFAULT_UPC, 2), artists=(credit(guest),)),
        )
    )

    result = service.upsert_release(record, provenance())

    assert result.status == "created"
    assert result.entity_type == "album"
    stored = load_release(sessions, result.public_id or "")
    assert stored.title == "Night Drive"
    assert stored.revision == 1
    assert stored.status == "active"
    track_ids = {t.public_id for t in stored.tracks}
    assert len(track_ids) == 2
    with sessions() as session:
        artists = {a.name: a.public_id for a in session.scalars(select(Artist))}
    assert set(artists) == {"Aurora Lane", "Miro Vale"}
    every_id = [stored.public_id, *track_ids, *artists.values()]
    assert all(BASE62_ID.fullmatch(public_id) for public_id in every_id)
    assert len(set(every_id)) == len(every_id)

    changes = outbox(sessions)
    assert Change("album", stored.public_id, "upsert", 1) in changes
    assert {c.public_id for c in changes if c.entity_type == "track"} == track_ids
    assert {c.public_id for c in changes if c.entity_type == "artist"} == set(artists.values())
    assert all(c.operation == "upsert" and c.revision == 1 for c in changes)
    assert len(changes) == 1 + 2 + 2
    assert sorted(result.changed) == sorted(
        (c.entity_type, c.public_id, c.operation) for c in changes
    )


def test_identical_redelivery_is_unchanged_and_writes_nothing(
    service: CatalogService, sessions: sessionmaker[Session], engine: Engine
) -> None:
    first = service.upsert_release(release(), provenance(minutes=0))
    before = table_counts(engine)

    again = service.upsert_release(release(), provenance(minutes=5))

    assert again.status == "unchanged"
    assert again.public_id == first.public_id
    assert again.changed == []
    assert table_counts(engine) == before
    stored = load_release(sessions, first.public_id or "")
    assert stored.revision == 1
    assert all(t.revision == 1 for t in stored.tracks)


def test_newer_message_with_changes_bumps_revisions_and_keeps_ids(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    first = service.upsert_release(release(), provenance(minutes=0))
    original = load_release(sessions, first.public_id or "")
    original_tracks = {k: t.public_id for k, t in tracks_by_key(original).items()}
    cursor = last_outbox_id(sessions)

    retitled = release(
        title="Night Drive (Deluxe)",
        tracks=(
            track(1, isrc=isrc_for(DEFAULT_UPC, 1)),
            track(2, isrc=isrc_for(DEFAULT_UPC, 2), title="Song 2 (Radio Edit)"),
            track(3, isrc=isrc_for(DEFAULT_UPC, 3)),
        ),
    )
    result = service.upsert_release(retitled, provenance(minutes=10))

    assert result.status == "updated"
    assert result.public_id == first.public_id
    updated = load_release(sessions, first.public_id or "")
    assert updated.title == "Night Drive (Deluxe)"
    assert updated.revision == 2
    by_key = tracks_by_key(updated)
    assert {k: t.public_id for k, t in by_key.items()} == original_tracks
    second_key = f"isrc:{isrc_for(DEFAULT_UPC, 2)}"
    assert by_key[second_key].title == "Song 2 (Radio Edit)"
    assert by_key[second_key].revision == 2
    assert {t.revision for k, t in by_key.items() if k != second_key} == {1}
    assert outbox(sessions, after=cursor) == [
        Change("album", first.public_id or "", "upsert", 2),
        Change("track", original_tracks[second_key], "upsert", 2),
    ]


def test_older_message_is_stale_and_changes_nothing(
    service: CatalogService, sessions: sessionmaker[Session], engine: Engine
) -> None:
    first = service.upsert_release(release(), provenance(minutes=30))
    before = table_counts(engine)

    result = service.upsert_release(
        release(title="An Older Title", track_count=1), provenance(minutes=10)
    )

    assert result.status == "stale"
    assert result.public_id == first.public_id
    assert table_counts(engine) == before
    stored = load_release(sessions, first.public_id or "")
    assert stored.title == "Night Drive"
    assert stored.revision == 1
    assert all(t.status == "active" for t in stored.tracks)


def test_removed_track_keeps_its_id_and_is_deleted_in_the_outbox(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    first = service.upsert_release(release(track_count=3), provenance(minutes=0))
    third_key = f"isrc:{isrc_for(DEFAULT_UPC, 3)}"
    third_id = tracks_by_key(load_release(sessions, first.public_id or ""))[third_key].public_id
    cursor = last_outbox_id(sessions)

    result = service.upsert_release(release(track_count=2), provenance(minutes=1))

    assert result.status == "updated"
    by_key = tracks_by_key(load_release(sessions, first.public_id or ""))
    assert len(by_key) == 3
    removed = by_key[third_key]
    assert removed.public_id == third_id
    assert removed.status == "removed"
    assert removed.revision == 2
    assert [t.status for k, t in by_key.items() if k != third_key] == ["active", "active"]
    assert outbox(sessions, after=cursor) == [
        Change("album", first.public_id or "", "upsert", 2),
        Change("track", third_id, "delete", 2),
    ]

    service.upsert_release(release(track_count=3), provenance(minutes=2))
    restored = tracks_by_key(load_release(sessions, first.public_id or ""))[third_key]
    assert restored.public_id == third_id
    assert restored.status == "active"
    assert restored.revision == 3


def test_purge_deletes_in_the_outbox_and_redelivery_keeps_ids(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    first = service.upsert_release(release(), provenance(minutes=0))
    album_id = first.public_id or ""
    track_ids = sorted(t.public_id for t in load_release(sessions, album_id).tracks)
    cursor = last_outbox_id(sessions)

    deleted = service.delete_release(f"upc:{DEFAULT_UPC}", provenance(minutes=5))

    assert deleted.status == "deleted"
    purged = load_release(sessions, album_id)
    assert purged.status == "deleted"
    assert {t.status for t in purged.tracks} == {"removed"}
    changes = outbox(sessions, after=cursor)
    assert Change("album", album_id, "delete", 2) in changes
    assert sorted(c.public_id for c in changes if c.entity_type == "track") == track_ids
    assert {c.operation for c in changes} == {"delete"}
    assert len(changes) == 1 + len(track_ids)

    assert service.delete_release(f"upc:{DEFAULT_UPC}", provenance(minutes=6)).status == (
        "unchanged"
    )

    redelivered = service.upsert_release(release(), provenance(minutes=60))

    assert redelivered.status == "updated"
    assert redelivered.public_id == album_id
    back = load_release(sessions, album_id)
    assert back.status == "active"
    assert sorted(t.public_id for t in back.tracks) == track_ids
    assert {t.status for t in back.tracks} == {"active"}
    assert back.revision == 3


def test_purge_of_an_unknown_release_or_with_an_older_message(
    service: CatalogService, sessions: sessionmaker[Session], engine: Engine
) -> None:
    assert service.delete_release("upc:0000000000000", provenance()).status == "unknown"
    service.upsert_release(release(), provenance(minutes=10))
    before = table_counts(engine)

    result = service.delete_release(f"upc:{DEFAULT_UPC}", provenance(minutes=5))

    assert result.status == "stale"
    assert table_counts(engine) == before
    with sessions() as session:
        assert session.scalars(select(Release.status)).all() == ["active"]


def test_another_sender_with_the_same_upc_conflicts_and_writes_nothing(
    service: CatalogService, engine: Engine
) -> None:
    service.upsert_release(release(), provenance())
    before = table_counts(engine)

    with pytest.raises(ConflictError) as raised:
        service.upsert_release(
            release(title="Someone Else's Album", artists=(credit(artist("Impostor")),)),
            provenance(sender=OTHER_SENDER, minutes=1),
        )

    assert raised.value.code == "release_owned_by_other_sender"
    assert table_counts(engine) == before


def test_a_failure_mid_write_of_a_new_release_writes_nothing(
    service: CatalogService, engine: Engine
) -> None:
    before = table_counts(engine)
    duplicate = isrc_for(DEFAULT_UPC, 1)
    record = release(
        artists=(credit(artist("Brand New Artist", isni="0000000498765432")),),
        tracks=(track(1, isrc=duplicate), track(2, isrc=duplicate)),
    )

    with pytest.raises(InputError) as raised:
        service.upsert_release(record, provenance())

    assert raised.value.code == "duplicate_track"
    assert table_counts(engine) == before
    assert before["releases"] == 0


def test_a_failure_mid_update_leaves_the_release_as_it_was(
    service: CatalogService, sessions: sessionmaker[Session], engine: Engine
) -> None:
    first = service.upsert_release(release(), provenance(minutes=0))
    before = table_counts(engine)
    duplicate = isrc_for(DEFAULT_UPC, 1)
    broken = release(
        title="Changed Title",
        artists=(credit(artist("Another New Artist")),),
        tracks=(track(1, isrc=duplicate, title="Changed"), track(2, isrc=duplicate)),
    )

    with pytest.raises(InputError):
        service.upsert_release(broken, provenance(minutes=5))

    assert table_counts(engine) == before
    stored = load_release(sessions, first.public_id or "")
    assert stored.title == "Night Drive"
    assert stored.revision == 1
    assert {t.title for t in stored.tracks} == {"Song 1", "Song 2", "Song 3"}


def test_naive_message_time_is_refused_before_anything_is_written(
    service: CatalogService, engine: Engine
) -> None:
    before = table_counts(engine)
    naive = replace(provenance(), created_at=provenance().created_at.replace(tzinfo=None))

    with pytest.raises(InputError):
        service.upsert_release(release(), naive)

    assert table_counts(engine) == before


def test_artists_match_by_isni_across_releases_and_keep_localized_names(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    isni = "0000000114559863"
    latin = artist("Hikaru Utada", isni=isni, names=(("Hikaru Utada", "ja-Latn"),))
    japanese = artist(
        "宇多田ヒカル",
        isni=isni,
        names=(("宇多田ヒカル", "ja-Jpan"), ("Hikaru Utada", "ja-Latn")),
    )

    service.upsert_release(
        release(upc="4988031000011", artists=(credit(latin),)), provenance(minutes=0)
    )
    second = service.upsert_release(
        release(upc="4988031000028", artists=(credit(japanese),)),
        provenance(sender=OTHER_SENDER, minutes=1),
    )

    with sessions() as session:
        found = session.scalars(select(Artist)).all()
        assert len(found) == 1
        only = found[0]
        assert {(n.name, n.language_script) for n in only.names} == {
            ("Hikaru Utada", "ja-Latn"),
            ("宇多田ヒカル", "ja-Jpan"),
        }
        assert [(e.namespace, e.value) for e in only.external_ids] == [("isni", isni)]
        credited = set(session.scalars(select(ArtistCreditRow.artist_id)))
        assert credited == {only.id}
        assert only.revision == 2
    assert ("artist", only.public_id, "upsert") in second.changed


def test_artists_without_strong_ids_do_not_match_across_senders(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    plain = artist("The Lanterns")
    service.upsert_release(
        release(upc="5012345000017", artists=(credit(plain),)), provenance(minutes=0)
    )
    service.upsert_release(
        release(upc="5012345000024", artists=(credit(plain),)), provenance(minutes=1)
    )
    service.upsert_release(
        release(upc="5012345000031", artists=(credit(plain),)),
        provenance(sender=OTHER_SENDER, minutes=2),
    )

    with sessions() as session:
        names = session.scalars(select(Artist.name)).all()
    assert names == ["The Lanterns", "The Lanterns"]


def test_the_same_isrc_on_two_releases_shares_a_relink_group(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    shared = "GBAYE2400001"
    service.upsert_release(
        release(upc="5012345000017", tracks=(track(1, isrc=shared), track(2, isrc="GBAYE2400002"))),
        provenance(minutes=0),
    )
    service.upsert_release(
        release(upc="5012345000024", title="Best Of", tracks=(track(1, isrc=shared),)),
        provenance(minutes=1),
    )

    with sessions() as session:
        groups = dict(session.execute(select(Track.id, Track.relink_group_id)).all())
        by_isrc: dict[str, set[int | None]] = {}
        for isrc, group in session.execute(select(Track.isrc, Track.relink_group_id)):
            by_isrc.setdefault(isrc or "", set()).add(group)
    assert len(groups) == 3
    assert len(by_isrc[shared]) == 1
    assert None not in by_isrc[shared]
    assert by_isrc[shared] != by_isrc["GBAYE2400002"]
    assert None not in by_isrc["GBAYE2400002"]


def test_position_keyed_tracks_without_isrc(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    record = release(tracks=(track(1), track(2)))
    first = service.upsert_release(record, provenance(minutes=0))
    stored = load_release(sessions, first.public_id or "")
    assert set(tracks_by_key(stored)) == {"pos:1:1", "pos:1:2"}
    assert all(t.relink_group_id is None for t in stored.tracks)

    again = service.upsert_release(record, provenance(minutes=1))
    assert again.status == "unchanged"


def test_release_credits_keep_order_and_record_provenance(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    record = release(
        artists=(credit(MAIN_ARTIST, " & "), credit(artist("Miro Vale"))),
        tracks=(track(1, isrc=isrc_for(DEFAULT_UPC, 1), artists=(credit(MAIN_ARTIST),)),),
    )
    first = service.upsert_release(record, provenance())

    stored = load_release(sessions, first.public_id or "")
    assert stored.display_artist == "Aurora Lane & Miro Vale"
    with sessions() as session:
        assert sorted(session.scalars(select(Artist.name))) == ["Aurora Lane", "Miro Vale"]
        source = session.get(Provenance, stored.provenance_id)
        assert source is not None
        assert (source.kind, source.sender, source.reference) == ("ddex", SENDER, "ddex-message-0")
        positions = session.execute(
            select(ArtistCreditRow.position, ArtistCreditRow.credited_name)
            .where(ArtistCreditRow.track_id.is_(None))
            .order_by(ArtistCreditRow.position)
        ).all()
        assert [tuple(p) for p in positions] == [(0, "Aurora Lane"), (1, "Miro Vale")]


def test_a_redelivery_that_only_adds_localized_names_stores_them(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    isni = "0000000114559863"
    plain = artist("Hikaru Utada", isni=isni)
    enriched = artist(
        "Hikaru Utada", isni=isni, names=(("宇多田ヒカル", "ja-Jpan"), ("Utada", "ja-Latn"))
    )
    first = service.upsert_release(release(artists=(credit(plain),)), provenance(minutes=0))
    cursor = last_outbox_id(sessions)

    result = service.upsert_release(release(artists=(credit(enriched),)), provenance(minutes=1))

    assert result.status == "updated"
    with sessions() as session:
        only = session.scalars(select(Artist)).one()
        assert [(n.name, n.language_script) for n in only.names] == [
            ("宇多田ヒカル", "ja-Jpan"),
            ("Utada", "ja-Latn"),
        ]
        assert only.revision == 2
    changes = outbox(sessions, after=cursor)
    assert Change("artist", only.public_id, "upsert", 2) in changes
    assert Change("album", first.public_id or "", "upsert", 2) in changes


def test_updating_a_release_with_external_ids_keeps_and_replaces_them(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    label_id = ExternalId("proprietary:lantern", "LR-001")
    dpid_id = ExternalId("proprietary:dpid", "A1B2")
    first = service.upsert_release(
        replace(release(), ids=(label_id, dpid_id), catalog_number="LR001"), provenance(minutes=0)
    )

    retitled = service.upsert_release(
        replace(release(title="Night Drive (Remastered)"), ids=(label_id, dpid_id)),
        provenance(minutes=1),
    )
    assert retitled.status == "updated"

    grid_id = ExternalId("grid", "A10302B0001234567X")
    changed = service.upsert_release(
        replace(release(title="Night Drive (Remastered)"), ids=(label_id, grid_id)),
        provenance(minutes=2),
    )

    assert changed.status == "updated"
    with sessions() as session:
        stored = session.scalars(
            select(Release).where(Release.public_id == (first.public_id or ""))
        ).one()
        assert stored.revision == 3
        assert stored.title == "Night Drive (Remastered)"
        assert sorted((e.namespace, e.value) for e in stored.external_ids) == [
            ("grid", "A10302B0001234567X"),
            ("proprietary:lantern", "LR-001"),
        ]


def test_an_older_message_after_an_unchanged_newer_one_is_stale(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    first = service.upsert_release(release(), provenance(minutes=0))
    assert service.upsert_release(release(), provenance(minutes=20)).status == "unchanged"

    late = service.upsert_release(release(title="Superseded Title"), provenance(minutes=10))

    assert late.status == "stale"
    assert load_release(sessions, first.public_id or "").title == "Night Drive"
