"""Finding or creating the artist a delivery names, within one write transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, select, tuple_
from sqlalchemy.orm import Session, make_transient_to_detached, selectinload

from liner.catalog.hashing import content_hash
from liner.ingest.records import ArtistRecord
from liner.kit.ids import new_public_id
from liner.models import (
    Artist,
    ArtistExternalId,
    ArtistName,
    IdRedirect,
    OutboxRow,
    Provenance,
)
from liner.models.base import utcnow
from liner.models.inserts import insert_rows

STRONG_NAMESPACES = ("isni", "ipi")
_WITH_NAMES_AND_IDS = (selectinload(Artist.names), selectinload(Artist.external_ids))

_BY_MATCH_KEY = (
    select(Artist)
    .where(Artist.match_key.in_(bindparam("keys", expanding=True)))
    .options(*_WITH_NAMES_AND_IDS)
)


def _is_strong(namespace: str) -> bool:
    """Ids that identify an artist across senders: ISNI, IPI, namespaced proprietary."""
    return namespace in STRONG_NAMESPACES or namespace.startswith("proprietary:")


def match_key(record: ArtistRecord, owner: str) -> str:
    """How an artist is found again: an ISNI or IPI, a namespaced proprietary id, or the
    sender and the case-folded name (names alone never match across senders)."""
    for namespace in STRONG_NAMESPACES:
        for ext in record.ids:
            if ext.namespace == namespace:
                return f"{namespace}:{ext.value}"
    for ext in record.ids:
        if ext.namespace.startswith("proprietary:"):
            return f"{ext.namespace}:{ext.value}"
    return f"name:{owner}:{' '.join(record.name.casefold().split())}"


def _images(record: ArtistRecord) -> list[dict[str, Any]]:
    return [{"url": i.url, "width": i.width, "height": i.height} for i in record.images]


def artist_hash(artist: Artist) -> str:
    return content_hash(
        {
            "name": artist.name,
            "names": [(n.name, n.language_script) for n in artist.names],
            "ids": sorted((e.namespace, e.value) for e in artist.external_ids),
            "genres": artist.genres,
            "images": artist.images,
        }
    )


class ArtistResolver:
    """Resolves artist records to rows, creating and enriching them as deliveries say."""

    def __init__(self, session: Session, owner: str, provenance: Provenance) -> None:
        self._session = session
        self._owner = owner
        self._provenance = provenance
        self._resolved: dict[str, Artist] = {}
        self._prefetched: dict[str, Artist | None] = {}
        self._by_id: dict[tuple[str, str], Artist | None] = {}
        """The artist holding each strong id (None: nobody), as prefetched or given in
        this transaction."""
        self._applied: dict[Artist, set[ArtistRecord]] = {}
        """The records applied to each resolved artist in this transaction."""
        self.changed: dict[Artist, None] = {}
        """The artists created or changed in this transaction, in order."""
        self._new: list[Artist] = []
        """Artists created here and not inserted yet (no id): the writer inserts them
        together with :meth:`insert_new`, after resolving every artist it needs."""

    def prefetch(self, records: Iterable[ArtistRecord]) -> None:
        """Look up, in a few queries, the artists these records match by key or by a
        strong id (and what they were merged into), with their names and ids, so that
        resolving them later needs no query each."""
        records = list(records)
        keys = {match_key(record, self._owner) for record in records}
        keys -= self._resolved.keys() | self._prefetched.keys()
        if not keys:
            return
        found = {
            artist.match_key: artist
            for artist in self._session.scalars(_BY_MATCH_KEY, {"keys": sorted(keys)})
        }
        pairs = {
            (ext.namespace, ext.value)
            for record in records
            if match_key(record, self._owner) in keys - found.keys()
            for ext in record.ids
            if _is_strong(ext.namespace)
        }
        pairs -= self._by_id.keys()
        if pairs:
            rows = self._session.execute(
                select(ArtistExternalId.namespace, ArtistExternalId.value, Artist)
                .join(Artist, Artist.id == ArtistExternalId.artist_id)
                .where(tuple_(ArtistExternalId.namespace, ArtistExternalId.value).in_(pairs))
                .options(*_WITH_NAMES_AND_IDS)
            ).all()
            by_pair = {(row[0], row[1]): row[2] for row in rows}
            for pair in pairs:
                self._by_id[pair] = by_pair.get(pair)
        targets = self._merge_targets([*found.values(), *filter(None, self._by_id.values())])
        for key in keys:
            artist = found.get(key)
            if artist is not None:
                artist = targets.get(artist.public_id, artist)
            self._prefetched[key] = artist
        for pair, artist in self._by_id.items():
            if artist is not None:
                self._by_id[pair] = targets.get(artist.public_id, artist)

    def _merge_targets(self, artists: list[Artist]) -> dict[str, Artist]:
        """The artists these were merged into, by the merged artist's public id."""
        if not artists:
            return {}
        rows = self._session.execute(
            select(IdRedirect.from_public_id, IdRedirect.to_public_id).where(
                IdRedirect.entity_type == "artist",
                IdRedirect.from_public_id.in_({a.public_id for a in artists}),
            )
        ).all()
        redirects = {row[0]: row[1] for row in rows}
        if not redirects:
            return {}
        kept = self._session.scalars(
            select(Artist)
            .where(Artist.public_id.in_(set(redirects.values())))
            .options(*_WITH_NAMES_AND_IDS)
        )
        by_public_id = {artist.public_id: artist for artist in kept}
        return {source: by_public_id[target] for source, target in redirects.items()}

    def resolve(self, record: ArtistRecord) -> Artist:
        key = match_key(record, self._owner)
        artist = self._resolved.get(key)
        if artist is not None and self._holds(artist, record, key):
            return artist
        if artist is None:
            artist = self._find(record, key)
            if artist is None:
                artist = Artist(
                    public_id=new_public_id(),
                    match_key=key,
                    name=record.name,
                    genres=[],
                    images=[],
                    revision=0,
                    provenance_id=self._provenance.id,
                )
                self._new.append(artist)
            self._resolved[key] = artist
        self._enrich(artist, record, own=artist.match_key == key)
        self._applied.setdefault(artist, set()).add(record)
        return artist

    def _holds(self, artist: Artist, record: ArtistRecord, key: str) -> bool:
        """Whether applying ``record`` again would change nothing. Enriching only ever
        adds names, ids and genres, so once a record was applied in this transaction
        only the fields it replaces (the name, the images) can have moved since."""
        return (
            record in self._applied.get(artist, ())
            and (artist.name == record.name or artist.match_key != key)
            and (not record.images or artist.images == _images(record))
        )

    def _find(self, record: ArtistRecord, key: str) -> Artist | None:
        if key in self._prefetched:
            found = self._prefetched[key]
        else:
            found = self._session.scalars(select(Artist).where(Artist.match_key == key)).first()
            if found is not None:
                found = self._merged_into(found)
        if found is not None:
            return found
        for ext in record.ids:
            if not _is_strong(ext.namespace):
                continue
            pair = (ext.namespace, ext.value)
            if pair in self._by_id:
                found = self._by_id[pair]
            else:
                found = self._session.scalars(
                    select(Artist)
                    .join(ArtistExternalId)
                    .where(ArtistExternalId.namespace == ext.namespace)
                    .where(ArtistExternalId.value == ext.value)
                ).first()
            if found is not None:
                return found
        return None

    def _merged_into(self, artist: Artist) -> Artist:
        """The artist that stays when this one was merged into it, else this one."""
        redirect = self._session.get(IdRedirect, ("artist", artist.public_id))
        if redirect is None:
            return artist
        return self._session.scalars(
            select(Artist).where(Artist.public_id == redirect.to_public_id)
        ).one()

    def _enrich(self, artist: Artist, record: ArtistRecord, *, own: bool) -> None:
        """Apply what a delivery says of an artist. ``own``: the record matched the
        artist by the artist's own key; matched another way (a merged duplicate, a shared
        ISNI), its name is kept as another name instead of renaming the artist."""
        before = artist.content_hash
        known_names = {(n.name, n.language_script) for n in artist.names}
        if own:
            artist.name = record.name
        elif record.name != artist.name and (record.name, None) not in known_names:
            artist.names.append(ArtistName(position=len(artist.names), name=record.name))
            known_names.add((record.name, None))
        for localized in record.names:
            if (localized.name, localized.language_script) not in known_names:
                artist.names.append(
                    ArtistName(
                        position=len(artist.names),
                        name=localized.name,
                        language_script=localized.language_script,
                    )
                )
                known_names.add((localized.name, localized.language_script))
        known_ids = {(e.namespace, e.value) for e in artist.external_ids}
        for ext in record.ids:
            if (ext.namespace, ext.value) not in known_ids:
                artist.external_ids.append(
                    ArtistExternalId(namespace=ext.namespace, value=ext.value)
                )
                known_ids.add((ext.namespace, ext.value))
            if _is_strong(ext.namespace):
                # Found by this id from now on, before it is flushed too.
                self._by_id[(ext.namespace, ext.value)] = artist
        for genre in record.genres:
            if genre not in artist.genres:
                artist.genres = [*artist.genres, genre]
        if record.images:
            artist.images = _images(record)
        after = artist_hash(artist)
        if after != before:
            artist.content_hash = after
            artist.revision = (artist.revision or 0) + 1
            artist.updated_at = utcnow()
            artist.provenance_id = self._provenance.id
            self.changed[artist] = None

    def insert_new(self) -> None:
        """Insert the artists created since the last call, with their names and
        external ids, as plain rows; they then belong to the session as if loaded, so
        that what changes them later in the transaction is flushed as usual."""
        new, self._new = self._new, []
        if not new:
            return
        insert_rows(self._session, new)
        names: list[ArtistName] = []
        external_ids: list[ArtistExternalId] = []
        for artist in new:
            for name in artist.names:
                name.artist_id = artist.id
                names.append(name)
            for ext in artist.external_ids:
                ext.artist_id = artist.id
                external_ids.append(ext)
        insert_rows(self._session, names)
        insert_rows(self._session, external_ids)
        for child in (*names, *external_ids):
            make_transient_to_detached(child)
        for artist in new:
            make_transient_to_detached(artist)
            self._session.add(artist)

    def outbox_rows(self) -> list[OutboxRow]:
        return [
            OutboxRow(
                entity_type="artist",
                public_id=artist.public_id,
                revision=artist.revision,
                operation="upsert",
                aggregate_type="artist",
                aggregate_id=artist.id,
                related={},
            )
            for artist in self.changed
        ]
