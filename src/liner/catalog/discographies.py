"""Artist documents and discographies, built set-based for a whole projector batch.

An artist's discography lists every active release it is credited on. A prolific
artist's every release would be loaded from SQL each time any of them changes, so that
each projector batch grew with the catalog. Instead, a release's simplified album comes
from what the batch has just built (the releases it projects), else from the release's
stored ``album:`` document, which the projector keeps current (it is rebuilt whenever
the release or its availability changes). Only a release with neither (an active
release that no document describes yet, which a consistent read model does not have)
is loaded from SQL: its credits and deals, its active tracks' count, and the tracks'
deals where the release has none of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from liner.catalog.documents import (
    SIMPLIFIED_ALBUM_FIELDS,
    Links,
    artist_document,
    dumps,
    simplified_album,
)
from liner.catalog.markets import available_markets
from liner.models import (
    Artist,
    ArtistCreditRow,
    AvailabilityRow,
    IdRedirect,
    ReadDocument,
    Release,
    Track,
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
        credited: dict[int, set[int]] = defaultdict(set)
        release_level: dict[int, set[int]] = defaultdict(set)
        unknown: dict[int, str] = {}
        for artist_id, release_id, track_id, public_id in self._session.execute(
            select(
                ArtistCreditRow.artist_id,
                ArtistCreditRow.release_id,
                ArtistCreditRow.track_id,
                Release.public_id,
            )
            .join(Release, Release.id == ArtistCreditRow.release_id)
            .where(
                ArtistCreditRow.artist_id.in_([a.id for a in artists]),
                Release.status == "active",
            )
        ).all():
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
            for release_id in chunk:
                self._albums[release_id] = None
            releases = self._session.scalars(
                select(Release)
                .where(Release.id.in_(chunk), Release.status == "active")
                .options(selectinload(Release.credits), selectinload(Release.availability))
            ).all()
            if not releases:
                continue
            counts = dict(
                self._session.execute(
                    select(Track.release_id, func.count())
                    .where(Track.release_id.in_([r.id for r in releases]), Track.status == "active")
                    .group_by(Track.release_id)
                ).all()
            )
            track_deals = self._track_deals([r.id for r in releases if not r.availability])
            for release in releases:
                markets = available_markets(release.availability, self._now)
                if not release.availability:
                    markets = sorted(
                        {
                            market
                            for deals in track_deals.get(release.id, {}).values()
                            for market in available_markets(deals, self._now)
                        }
                    )
                self._albums[release.id] = simplified_album(
                    release, self._links, markets, counts.get(release.id, 0)
                )

    def _track_deals(self, release_ids: list[int]) -> dict[int, dict[int, list[AvailabilityRow]]]:
        """The deals of each active track of these releases, by release and track."""
        found: dict[int, dict[int, list[AvailabilityRow]]] = defaultdict(lambda: defaultdict(list))
        if not release_ids:
            return found
        rows = self._session.scalars(
            select(AvailabilityRow)
            .join(Track, Track.id == AvailabilityRow.track_id)
            .where(AvailabilityRow.release_id.in_(release_ids), Track.status == "active")
            .order_by(AvailabilityRow.id)
        )
        for row in rows:
            if row.track_id is not None:
                found[row.release_id][row.track_id].append(row)
        return found
