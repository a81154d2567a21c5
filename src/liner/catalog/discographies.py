"""Artist documents and discographies, built set-based for a whole projector batch.

An artist's discography lists every active release it is credited on. A prolific
artist's every release would be loaded from SQL each time any of them changes, so that
each projector batch grew with the catalog. Instead, a release's simplified album comes
from what the batch has just built (the releases it projects), else from the release's
stored ``album:`` document, which the projector keeps current (it is rebuilt whenever
the release or its availability changes). Only a release with neither (an active
release that no document describes yet, which a consistent read model does not have)
is loaded from SQL: its credits and deals, its tracks and their deals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from liner.catalog.documents import (
    SIMPLIFIED_ALBUM_FIELDS,
    Links,
    artist_document,
    dumps,
    load_releases,
    simplified_album,
)
from liner.catalog.markets import available_markets
from liner.models import (
    Artist,
    ArtistCreditRow,
    IdRedirect,
    ReadDocument,
    Release,
)

ARTIST_CHUNK = 200
RELEASE_CHUNK = 500


class Discographies:
    def __init__(
        self,
        session: Session,
        links: Links,
        now: datetime,
        built: Mapping[int, dict[str, Any] | None] | None = None,
    ) -> None:
        """``built``: the simplified album of each release this batch has just built
        (None: not active)."""
        self._session = session
        self._links = links
        self._now = now
        self._albums: dict[int, dict[str, Any] | None] = dict(built or {})
        """The simplified album of each release known so far (None: not active)."""

    def build(self, artist_ids: list[int], documents: dict[str, bytes | None]) -> None:
        """Write the ``artist:`` and ``artist_albums:`` documents of these artists."""
        for start in range(0, len(artist_ids), ARTIST_CHUNK):
            self._chunk(artist_ids[start : start + ARTIST_CHUNK], documents)

    def _chunk(self, chunk: list[int], documents: dict[str, bytes | None]) -> None:
        artists = list(self._session.scalars(select(Artist).where(Artist.id.in_(chunk))))
        if not artists:
            return
        redirects = dict(
            self._session.execute(
                select(IdRedirect.from_public_id, IdRedirect.to_public_id).where(
                    IdRedirect.entity_type == "artist",
                    IdRedirect.from_public_id.in_([a.public_id for a in artists]),
                )
            ).all()
        )
        credits = self._session.execute(
            select(
                ArtistCreditRow.artist_id, ArtistCreditRow.release_id, ArtistCreditRow.track_id
            ).where(ArtistCreditRow.artist_id.in_([a.id for a in artists]))
        ).all()
        active = self._active_releases(sorted({release_id for _, release_id, _ in credits}))
        credited: dict[int, set[int]] = defaultdict(set)
        release_level: dict[int, set[int]] = defaultdict(set)
        unknown: dict[int, str] = {}
        for artist_id, release_id, track_id in credits:
            public_id = active.get(release_id)
            if public_id is None:
                continue
            credited[artist_id].add(release_id)
            if track_id is None:
                release_level[artist_id].add(release_id)
            if release_id not in self._albums:
                unknown[release_id] = public_id
        self._load_album_documents(unknown)
        self._load_albums({r for r in unknown if r not in self._albums})
        for artist in sorted(artists, key=lambda a: a.id):
            merged_into = redirects.get(artist.public_id)
            if merged_into is not None:
                redirect = dumps({"k": "redirect", "to": merged_into})
                documents[f"artist:{artist.public_id}"] = redirect
                documents[f"artist_albums:{artist.public_id}"] = redirect
                continue
            documents[f"artist:{artist.public_id}"] = dumps(
                {"k": "artist", "b": dumps(artist_document(artist, self._links)).decode()}
            )
            entries: list[tuple[str, str, dict[str, Any]]] = []
            for release_id in credited[artist.id]:
                album = self._albums.get(release_id)
                if album is None:
                    continue
                album = dict(album)
                own = release_id in release_level[artist.id]
                album["album_group"] = album["album_type"] if own else "appears_on"
                entries.append((album["release_date"], album["id"], album))
            entries.sort(key=lambda e: (e[0], e[1]), reverse=True)
            documents[f"artist_albums:{artist.public_id}"] = dumps(
                {
                    "k": "artist_albums",
                    "i": [
                        {"g": a["album_group"], "b": dumps(a).decode(), "m": a["available_markets"]}
                        for _, _, a in entries
                    ],
                }
            )

    def _active_releases(self, release_ids: list[int]) -> dict[int, str]:
        """The public ids of the active releases among these. Looked up by id apart from
        the credits: a join would have PostgreSQL read every release when the tables
        have no statistics yet."""
        active: dict[int, str] = {}
        for start in range(0, len(release_ids), RELEASE_CHUNK):
            chunk = release_ids[start : start + RELEASE_CHUNK]
            active.update(
                self._session.execute(
                    select(Release.id, Release.public_id).where(
                        Release.id.in_(chunk), Release.status == "active"
                    )
                ).all()
            )
        return active

    def _load_album_documents(self, releases: dict[int, str]) -> None:
        """Simplified albums from the stored ``album:`` documents of these releases (by
        public id); a tombstone means not active; a release without a document stays
        unknown."""
        by_key = {f"album:{public_id}": release_id for release_id, public_id in releases.items()}
        keys = sorted(by_key)
        for start in range(0, len(keys), RELEASE_CHUNK):
            chunk = keys[start : start + RELEASE_CHUNK]
            rows = self._session.execute(
                select(ReadDocument.key, ReadDocument.body).where(ReadDocument.key.in_(chunk))
            )
            for key, body in rows:
                release_id = by_key[key]
                if body is None:
                    self._albums[release_id] = None
                    continue
                album = orjson.loads(orjson.loads(body)["p"] + "}")
                if all(name in album for name in SIMPLIFIED_ALBUM_FIELDS):
                    self._albums[release_id] = {n: album[n] for n in SIMPLIFIED_ALBUM_FIELDS}
                # else: a document of another shape (an older format): built from SQL.

    def _load_albums(self, release_ids: set[int]) -> None:
        ordered = sorted(release_ids)
        for start in range(0, len(ordered), RELEASE_CHUNK):
            chunk = ordered[start : start + RELEASE_CHUNK]
            releases = load_releases(self._session, chunk, people=False)
            for release_id in chunk:
                release = releases.get(release_id)
                if release is None or release.status != "active":
                    self._albums[release_id] = None
                    continue
                active = [t for t in release.tracks if t.status == "active"]
                markets = available_markets(release.availability, self._now)
                if not release.availability:
                    markets = sorted(
                        {m for t in active for m in available_markets(t.availability, self._now)}
                    )
                self._albums[release_id] = simplified_album(
                    release, self._links, markets, len(active)
                )
