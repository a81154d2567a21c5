"""The show write path, on SQLite and on PostgreSQL: episodes keep their ids through
GUID churn and enclosure moves, and leave the feed without being deleted."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from liner.catalog.service import CatalogService
from liner.ingest.records import Provenance
from liner.kit.errors import InputError
from liner.models import Episode, Show

from .factories import CREATOR, enclosure_url, episode, provenance, show
from .rows import (
    BASE62_ID,
    Change,
    episodes_by_number,
    last_outbox_id,
    load_show,
    outbox,
    table_counts,
)

PODTRAC = "https://dts.podtrac.com/redirect.mp3/"


def fetch(minutes: int = 0) -> Provenance:
    return provenance(minutes=minutes, sender=CREATOR, kind="rss")


def episode_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Episode)) or 0)


def ids_by_number(sessions: sessionmaker[Session], show_id: str) -> dict[int | None, str]:
    return {n: e.public_id for n, e in episodes_by_number(load_show(sessions, show_id)).items()}


def test_create_show_with_episodes(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    result = service.upsert_show(show(episode_count=3), fetch())

    assert result.status == "created"
    assert result.entity_type == "show"
    stored = load_show(sessions, result.public_id or "")
    assert stored.title == "Lantern Talks"
    assert stored.source_key == "feed:https://feeds.example.com/lantern-talks.xml"
    assert stored.revision == 1
    episodes = episodes_by_number(stored)
    assert set(episodes) == {1, 2, 3}
    assert all(e.status == "active" and e.revision == 1 for e in episodes.values())
    assert episodes[2].enclosure_url == enclosure_url(2)
    ids = [stored.public_id, *(e.public_id for e in episodes.values())]
    assert all(BASE62_ID.fullmatch(i) for i in ids)
    assert len(set(ids)) == 4
    changes = outbox(sessions)
    assert changes[0] == Change("show", stored.public_id, "upsert", 1)
    assert sorted(c.public_id for c in changes[1:]) == sorted(ids[1:])
    assert {(c.entity_type, c.operation) for c in changes[1:]} == {("episode", "upsert")}


def test_guid_churn_with_the_same_enclosures_keeps_episode_ids(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    created = service.upsert_show(show(), fetch())
    before = ids_by_number(sessions, created.public_id or "")

    migrated = show(
        episodes=tuple(episode(n, guid=f"https://new-host.example/guid/{n}") for n in (1, 2, 3))
    )
    result = service.upsert_show(migrated, fetch(1))

    assert result.status == "updated"
    assert episode_count(sessions) == 3
    after = episodes_by_number(load_show(sessions, created.public_id or ""))
    assert {n: e.public_id for n, e in after.items()} == before
    assert {e.guid for e in after.values()} == {
        f"https://new-host.example/guid/{n}" for n in (1, 2, 3)
    }
    assert all(e.status == "active" and e.revision == 2 for e in after.values())

    again = service.upsert_show(migrated, fetch(2))
    assert again.status == "unchanged"


def test_tracking_prefixes_on_enclosures_with_stable_guids_keep_episode_ids(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    created = service.upsert_show(show(), fetch())
    before = ids_by_number(sessions, created.public_id or "")

    prefixed = show(
        episodes=tuple(
            episode(n, url=PODTRAC + enclosure_url(n).removeprefix("https://")) for n in (1, 2, 3)
        )
    )
    result = service.upsert_show(prefixed, fetch(1))

    assert result.status == "updated"
    assert episode_count(sessions) == 3
    after = episodes_by_number(load_show(sessions, created.public_id or ""))
    assert {n: e.public_id for n, e in after.items()} == before
    assert after[1].enclosure_url == (
        "https://dts.podtrac.com/redirect.mp3/media.example.com/lantern-talks/episode-1.mp3"
    )


def test_episodes_without_guids_are_found_again_behind_tracking_prefixes(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    plain = show(episodes=tuple(episode(n, guid=None) for n in (1, 2)))
    created = service.upsert_show(plain, fetch())
    before = ids_by_number(sessions, created.public_id or "")

    moved = show(
        episodes=tuple(
            episode(
                n,
                guid=None,
                url=PODTRAC + enclosure_url(n).replace("https://", "http://") + "?source=rss",
            )
            for n in (1, 2)
        )
    )
    service.upsert_show(moved, fetch(1))

    assert ids_by_number(sessions, created.public_id or "") == before
    assert episode_count(sessions) == 2


def test_guids_and_enclosures_changing_together_still_match_by_enclosure(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    created = service.upsert_show(show(), fetch())
    before = ids_by_number(sessions, created.public_id or "")

    moved = show(
        episodes=tuple(
            episode(
                n,
                guid=f"new-{n}",
                url=PODTRAC + enclosure_url(n).removeprefix("https://"),
                title=f"Episode {n} (remastered)",
            )
            for n in (1, 2, 3)
        )
    )
    service.upsert_show(moved, fetch(1))

    assert ids_by_number(sessions, created.public_id or "") == before
    assert episode_count(sessions) == 3


def test_an_episode_dropped_from_the_feed_is_removed_not_deleted(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    created = service.upsert_show(show(), fetch())
    before = ids_by_number(sessions, created.public_id or "")
    cursor = last_outbox_id(sessions)

    shorter = show(episodes=(episode(1), episode(2)))
    result = service.upsert_show(shorter, fetch(1))

    assert result.status == "updated"
    after = episodes_by_number(load_show(sessions, created.public_id or ""))
    assert set(after) == {1, 2, 3}
    assert after[3].public_id == before[3]
    assert after[3].status == "removed"
    assert after[3].revision == 2
    assert after[1].status == after[2].status == "active"
    assert outbox(sessions, after=cursor) == [
        Change("show", created.public_id or "", "upsert", 2),
        Change("episode", before[3], "delete", 2),
    ]

    back = service.upsert_show(show(), fetch(2))
    assert back.status == "updated"
    assert ids_by_number(sessions, created.public_id or "") == before
    restored = episodes_by_number(load_show(sessions, created.public_id or ""))[3]
    assert restored.status == "active"


def test_an_unchanged_refetch_writes_nothing(
    service: CatalogService, sessions: sessionmaker[Session], engine: Engine
) -> None:
    created = service.upsert_show(show(), fetch())
    before = table_counts(engine)

    result = service.upsert_show(show(), fetch(15))

    assert result.status == "unchanged"
    assert result.changed == []
    assert table_counts(engine) == before
    assert load_show(sessions, created.public_id or "").revision == 1


def test_an_older_fetch_is_stale(
    service: CatalogService, sessions: sessionmaker[Session], engine: Engine
) -> None:
    created = service.upsert_show(show(), fetch(30))
    before = table_counts(engine)

    result = service.upsert_show(show(title="Old Title", episode_count=1), fetch())

    assert result.status == "stale"
    assert table_counts(engine) == before
    assert load_show(sessions, created.public_id or "").title == "Lantern Talks"


def test_a_show_registered_by_another_account_is_refused(
    service: CatalogService, engine: Engine
) -> None:
    service.upsert_show(show(), fetch())
    before = table_counts(engine)

    with pytest.raises(InputError) as raised:
        service.upsert_show(
            show(title="Hijacked"), provenance(sender="creator:someone-else", kind="rss", minutes=1)
        )

    assert raised.value.code == "show_owned_by_other"
    assert table_counts(engine) == before


def test_an_episode_without_guid_or_enclosure_writes_nothing(
    service: CatalogService, engine: Engine
) -> None:
    before = table_counts(engine)
    keyless = replace(episode(2, guid=None), enclosure=None)

    with pytest.raises(InputError) as raised:
        service.upsert_show(show(episodes=(episode(1), keyless)), fetch())

    assert raised.value.code == "episode_no_key"
    assert table_counts(engine) == before


def test_two_episodes_with_the_same_key_are_refused_and_write_nothing(
    service: CatalogService, sessions: sessionmaker[Session], engine: Engine
) -> None:
    created = service.upsert_show(show(), fetch())
    before = table_counts(engine)
    repeated = show(
        episodes=(
            episode(1),
            episode(4, guid=None, url=enclosure_url(9)),
            episode(5, guid=None, url=enclosure_url(9)),
        )
    )

    with pytest.raises(InputError) as raised:
        service.upsert_show(repeated, fetch(1))

    assert raised.value.code == "duplicate_episode"
    assert raised.value.location == enclosure_url(9)
    assert table_counts(engine) == before
    assert {e.status for e in load_show(sessions, created.public_id or "").episodes} == {"active"}


def test_a_feed_that_gains_a_podcast_guid_keeps_its_show_and_episode_ids(
    service: CatalogService, sessions: sessionmaker[Session]
) -> None:
    created = service.upsert_show(show(), fetch())
    before = ids_by_number(sessions, created.public_id or "")
    guid = "917393E3-1B1E-5CEF-ACE4-EDAA54E1F810"

    result = service.upsert_show(replace(show(), podcast_guid=guid), fetch(1))

    assert result.status == "updated"
    assert result.public_id == created.public_id
    stored = load_show(sessions, created.public_id or "")
    assert stored.source_key == f"guid:{guid.lower()}"
    assert stored.podcast_guid == guid.lower()
    assert ids_by_number(sessions, created.public_id or "") == before
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Show)) == 1

    again = service.upsert_show(replace(show(), podcast_guid=guid), fetch(2))
    assert again.status == "unchanged"
