"""Writing a show aggregate (the show and its episodes)."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from liner.catalog.hashing import content_hash
from liner.catalog.releases import WriteResult
from liner.ingest.records import EpisodeRecord, ShowRecord
from liner.kit.errors import InputError
from liner.kit.ids import new_public_id
from liner.models import Episode, OutboxRow, Provenance, Show
from liner.models.base import utcnow
from liner.models.inserts import insert_rows

_TRACKING_PREFIXES = re.compile(
    r"^(?:"
    r"dts\.podtrac\.com/redirect\.[a-z0-9]+/"
    r"|(?:www\.)?podtrac\.com/pts/redirect\.[a-z0-9]+/"
    r"|chtbl\.com/track/[^/]+/"
    r"|chrt\.fm/track/[^/]+/"
    r"|pdst\.fm/e/"
    r"|op3\.dev/e/(?:,[^/]*/)?"
    r"|(?:www\.)?arttrk\.com/p/[^/]+/"
    r"|verifi\.podscribe\.com/rss/p/"
    r"|pscrb\.fm/rss/p/"
    r"|mgln\.ai/e/[^/]+/"
    r"|prfx\.byspotify\.com/e/"
    r"|pfx\.vpixl\.com/[^/]+/"
    r"|claritaspod\.com/measure/"
    r"|media\.blubrry\.com/[^/]+/"
    r")",
    re.IGNORECASE,
)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_enclosure_url(url: str) -> str:
    """The enclosure URL without scheme, query and the tracking prefixes that hosts and
    measurement services put in front of it, so that the same file matches across moves."""
    rest = _SCHEME.sub("", url.strip())
    while True:
        stripped = _SCHEME.sub("", _TRACKING_PREFIXES.sub("", rest, count=1))
        if stripped == rest:
            break
        rest = stripped
    parts = urlsplit("//" + rest)
    return (parts.netloc.lower() + parts.path).rstrip("/")


def episode_key(record: EpisodeRecord) -> str:
    if record.guid:
        return "g" + sha(record.guid.strip())[:63]
    if record.enclosure is not None:
        return "e" + sha(normalise_enclosure_url(record.enclosure.url))[:63]
    raise InputError(
        f"episode {record.title!r} has neither a GUID nor an enclosure",
        code="episode_no_key",
    )


def _title_date(title: str, published: datetime | None) -> tuple[str, str]:
    return (" ".join(title.casefold().split()), published.date().isoformat() if published else "")


def episode_hash(record: EpisodeRecord) -> str:
    return content_hash(
        {
            "guid": record.guid,
            "title": record.title,
            "description": record.description,
            "html": record.html_description,
            "enclosure": (
                (record.enclosure.url, record.enclosure.type, record.enclosure.length)
                if record.enclosure
                else None
            ),
            "alternates": [(e.url, e.type, e.length) for e in record.alternate_enclosures],
            "duration": record.duration_ms,
            "published": record.published_at,
            "season": record.season,
            "episode": record.episode_number,
            "type": record.episode_type.value,
            "explicit": record.explicit,
            "images": [(i.url, i.width, i.height) for i in record.images],
            "chapters": record.chapters_url,
            "transcripts": [(t.url, t.type, t.language, t.rel) for t in record.transcripts],
            "persons": [(p.name, p.role, p.group, p.href, p.img) for p in record.persons],
            "language": record.language,
            "link": record.link,
        }
    )


def show_hash(record: ShowRecord) -> str:
    return content_hash(
        {
            "title": record.title,
            "feed": record.feed_url,
            "guid": record.podcast_guid,
            "publisher": record.publisher,
            "description": record.description,
            "html": record.html_description,
            "language": record.language,
            "categories": list(record.categories),
            "explicit": record.explicit,
            "type": record.show_type.value,
            "images": [(i.url, i.width, i.height) for i in record.images],
            "link": record.link,
            "owner": (record.owner_name, record.owner_email),
            "new_feed_url": record.new_feed_url,
            "flags": (record.blocked, record.complete, record.locked),
            "medium": record.medium,
            "funding": list(record.funding),
            "persons": [(p.name, p.role, p.group, p.href, p.img) for p in record.persons],
            "territories": sorted(record.territories),
        }
    )


class ShowWriter:
    """Applies one ShowRecord inside the caller's transaction."""

    def __init__(self, session: Session, provenance: Provenance) -> None:
        self._session = session
        self._provenance = provenance

    def _load(self, key: str) -> Show | None:
        return self._session.scalars(
            select(Show).where(Show.source_key == key).options(selectinload(Show.episodes))
        ).first()

    def upsert(self, record: ShowRecord) -> WriteResult:
        key = record.natural_key()
        if key is None:
            raise InputError("a show needs a podcast:guid or a feed URL", code="show_no_key")
        show = self._load(key)
        if show is None and key.startswith("guid:"):
            # A feed that gained a podcast:guid is still the show it was, wherever the
            # feed now lives.
            superseded = [record.replaces_key] if record.replaces_key else []
            if record.feed_url:
                superseded.append(f"feed:{record.feed_url}")
            for previous in superseded:
                # Only a feed URL key is superseded by a guid, never another guid.
                show = self._load(previous) if previous.startswith("feed:") else None
                if show is not None:
                    break
        if show is not None and show.owner != self._provenance.sender:
            raise InputError(
                "this show was registered by another account", code="show_owned_by_other"
            )
        if show is not None and show.message_created_at > self._provenance.message_created_at:
            return WriteResult("stale", "show", show.public_id)
        created = show is None
        new_hash = show_hash(record)
        if show is None:
            show = Show(
                public_id=new_public_id(),
                owner=self._provenance.sender,
                source_key=key,
                revision=0,
                title=record.title,
                message_created_at=self._provenance.message_created_at,
            )
            self._session.add(show)
            self._session.flush()
        show.message_created_at = self._provenance.message_created_at
        show.source_key = key
        show_changed = created or show.content_hash != new_hash
        if show_changed:
            self._apply_show_fields(show, record, new_hash)
        new_episodes: list[Episode] = []
        episode_changes = self._apply_episodes(show, record, new_episodes)
        result = WriteResult("unchanged", "show", show.public_id)
        if not show_changed and not episode_changes:
            return result
        show.revision += 1
        show.updated_at = utcnow()
        show.provenance_id = self._provenance.id
        # Changes to stored episodes first: one of them may give up the key that a new
        # episode takes.
        self._session.flush()
        insert_rows(self._session, new_episodes)
        if new_episodes:
            # The loaded collection does not hold the rows just inserted.
            self._session.expire(show, ["episodes"])
        outbox = [
            OutboxRow(
                entity_type="show",
                public_id=show.public_id,
                revision=show.revision,
                operation="upsert",
                aggregate_type="show",
                aggregate_id=show.id,
                related={},
            )
        ]
        result.changed.append(("show", show.public_id, "upsert"))
        for episode, operation in episode_changes:
            outbox.append(
                OutboxRow(
                    entity_type="episode",
                    public_id=episode.public_id,
                    revision=episode.revision,
                    operation=operation,
                    aggregate_type="show",
                    aggregate_id=show.id,
                    related={},
                )
            )
            result.changed.append(("episode", episode.public_id, operation))
        self._session.add_all(outbox)
        result.status = "created" if created else "updated"
        return result

    def _apply_show_fields(self, show: Show, record: ShowRecord, new_hash: str) -> None:
        show.content_hash = new_hash
        show.status = "active"
        show.feed_url = record.feed_url
        show.feed_url_hash = sha(record.feed_url) if record.feed_url else None
        show.podcast_guid = record.podcast_guid.lower() if record.podcast_guid else None
        show.title = record.title
        show.publisher = record.publisher
        show.description = record.description
        show.html_description = record.html_description
        show.language = record.language
        show.categories = list(record.categories)
        show.explicit = record.explicit
        show.show_type = record.show_type.value
        show.media_type = record.medium or "audio"
        show.images = [{"url": i.url, "width": i.width, "height": i.height} for i in record.images]
        show.link = record.link
        show.territories = sorted(record.territories)
        show.extra = {
            "owner_name": record.owner_name,
            "owner_email": record.owner_email,
            "new_feed_url": record.new_feed_url,
            "blocked": record.blocked,
            "complete": record.complete,
            "locked": record.locked,
            "funding": [list(f) for f in record.funding],
            "persons": [
                {"name": p.name, "role": p.role, "group": p.group, "href": p.href, "img": p.img}
                for p in record.persons
            ],
        }

    def _apply_episodes(
        self, show: Show, record: ShowRecord, new_episodes: list[Episode]
    ) -> list[tuple[Episode, str]]:
        """Apply the feed's episodes to the stored ones; episodes seen for the first time
        are appended to ``new_episodes``, for the caller to insert as plain rows (a first
        sync brings hundreds, which the unit of work would add one by one)."""
        by_key = {e.episode_key: e for e in show.episodes}
        by_enclosure = {
            normalise_enclosure_url(e.enclosure_url): e for e in show.episodes if e.enclosure_url
        }
        by_title_date = {_title_date(e.title, e.published_at): e for e in show.episodes}
        matched: set[int] = set()
        seen: set[str] = set()
        changes: list[tuple[Episode, str]] = []
        for episode_record in record.episodes:
            key = episode_key(episode_record)
            if key in seen:
                raise InputError(
                    f"two episodes share the key of {episode_record.title!r}",
                    code="duplicate_episode",
                    location=episode_record.guid
                    or (episode_record.enclosure.url if episode_record.enclosure else ""),
                )
            seen.add(key)
            episode = by_key.get(key)
            if episode is None or id(episode) in matched:
                episode = self._match_moved(episode_record, by_enclosure, by_title_date, matched)
                if episode is not None:
                    episode.episode_key = key
            if episode is not None and id(episode) in matched:
                episode = None
            new_hash = episode_hash(episode_record)
            if episode is None:
                episode = Episode(
                    public_id=new_public_id(), episode_key=key, revision=0, show_id=show.id
                )
                new_episodes.append(episode)
            matched.add(id(episode))
            if episode.content_hash == new_hash and episode.status == "active":
                continue
            self._apply_episode_fields(episode, episode_record, new_hash)
            changes.append((episode, "upsert"))
        for episode in show.episodes:
            if id(episode) not in matched and episode.status == "active":
                episode.status = "removed"
                episode.revision += 1
                episode.updated_at = utcnow()
                episode.provenance_id = self._provenance.id
                changes.append((episode, "delete"))
        return changes

    @staticmethod
    def _match_moved(
        record: EpisodeRecord,
        by_enclosure: dict[str, Episode],
        by_title_date: dict[tuple[str, str], Episode],
        matched: set[int],
    ) -> Episode | None:
        """An episode whose GUID changed (a host migration) is found again by its
        normalised enclosure URL, else by its title and publication day."""
        if record.enclosure is not None:
            candidate = by_enclosure.get(normalise_enclosure_url(record.enclosure.url))
            if candidate is not None and id(candidate) not in matched:
                return candidate
        candidate = by_title_date.get(_title_date(record.title, record.published_at))
        if candidate is not None and id(candidate) not in matched:
            return candidate
        return None

    def _apply_episode_fields(self, episode: Episode, record: EpisodeRecord, new_hash: str) -> None:
        episode.status = "active"
        episode.content_hash = new_hash
        episode.guid = record.guid
        episode.title = record.title
        episode.description = record.description
        episode.html_description = record.html_description
        episode.enclosure_url = record.enclosure.url if record.enclosure else None
        episode.enclosure_type = record.enclosure.type if record.enclosure else None
        episode.enclosure_length = record.enclosure.length if record.enclosure else None
        episode.duration_ms = record.duration_ms
        episode.published_at = record.published_at
        episode.season = record.season
        episode.episode_number = record.episode_number
        episode.episode_type = record.episode_type.value
        episode.explicit = record.explicit
        episode.images = [
            {"url": i.url, "width": i.width, "height": i.height} for i in record.images
        ]
        episode.chapters_url = record.chapters_url
        episode.transcripts = [
            {"url": t.url, "type": t.type, "language": t.language, "rel": t.rel}
            for t in record.transcripts
        ]
        episode.extra = {
            "persons": [
                {"name": p.name, "role": p.role, "group": p.group, "href": p.href, "img": p.img}
                for p in record.persons
            ],
            "alternate_enclosures": [
                {"url": e.url, "type": e.type, "length": e.length}
                for e in record.alternate_enclosures
            ],
            "link": record.link,
        }
        episode.language = record.language
        episode.revision += 1
        episode.updated_at = utcnow()
        episode.provenance_id = self._provenance.id
