"""Merging duplicate artists: one keeps its id, the other's id keeps answering.

Two deliveries can name the same artist in ways the matcher cannot join (different
senders, no shared ISNI). An operator merges them: every credit moves to the artist
that stays, its external ids and names move with them, and the merged id becomes a
redirect, so that links and clients holding it keep working. Later deliveries that
still match the merged artist land on the one that stays.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from liner.catalog.artists import artist_hash
from liner.catalog.releases import WriteResult
from liner.kit.errors import ConflictError, InputError, NotFoundError
from liner.models import (
    Artist,
    ArtistCreditRow,
    ArtistExternalId,
    ArtistName,
    ContributorRow,
    IdRedirect,
    OutboxRow,
    Provenance,
    Release,
    Track,
)
from liner.models.base import utcnow


def redirect_target(session: Session, entity_type: str, public_id: str) -> str | None:
    """The id a merged entity now answers as, or None if it was not merged."""
    redirect = session.get(IdRedirect, (entity_type, public_id))
    return None if redirect is None else redirect.to_public_id


def _artist(session: Session, public_id: str) -> Artist:
    artist = session.scalars(select(Artist).where(Artist.public_id == public_id)).first()
    if artist is None:
        raise NotFoundError(f"no artist with id {public_id}", code="artist_not_found")
    return artist


class ArtistMerger:
    def __init__(self, session: Session, provenance: Provenance) -> None:
        self._session = session
        self._provenance = provenance

    def merge(self, source_id: str, target_id: str) -> WriteResult:
        session = self._session
        if source_id == target_id:
            raise InputError("an artist cannot be merged into itself", code="merge_into_itself")
        source = _artist(session, source_id)
        target = _artist(session, target_id)
        for public_id in (source_id, target_id):
            merged_into = redirect_target(session, "artist", public_id)
            if merged_into is not None:
                raise ConflictError(
                    f"artist {public_id} was already merged into {merged_into}",
                    code="artist_already_merged",
                )
        credited = select(ArtistCreditRow.release_id).where(ArtistCreditRow.artist_id == source.id)
        contributed = (
            select(Track.release_id)
            .join(ContributorRow, ContributorRow.track_id == Track.id)
            .where(ContributorRow.artist_id == source.id)
        )
        release_ids = sorted(set(session.scalars(credited)) | set(session.scalars(contributed)))
        for table in (ArtistCreditRow, ContributorRow):
            session.execute(
                update(table).where(table.artist_id == source.id).values(artist_id=target.id)
            )
        self._move_identity(source, target)
        # Earlier merges into the source now point straight at the target: one hop always,
        # and their documents are rebuilt to say so.
        earlier = list(
            session.scalars(
                select(Artist)
                .join(IdRedirect, IdRedirect.from_public_id == Artist.public_id)
                .where(IdRedirect.entity_type == "artist", IdRedirect.to_public_id == source_id)
            )
        )
        session.execute(
            update(IdRedirect)
            .where(IdRedirect.entity_type == "artist", IdRedirect.to_public_id == source_id)
            .values(to_public_id=target_id)
        )
        session.add(
            IdRedirect(entity_type="artist", from_public_id=source_id, to_public_id=target_id)
        )
        now = utcnow()
        for artist in (source, target, *earlier):
            artist.revision += 1
            artist.updated_at = now
            artist.provenance_id = self._provenance.id
        target.content_hash = artist_hash(target)
        session.flush()
        result = WriteResult("updated", "artist", target_id)
        rows = [
            self._artist_row(target, "upsert"),
            self._artist_row(source, "redirect"),
        ]
        result.changed += [("artist", target_id, "upsert"), ("artist", source_id, "redirect")]
        for artist in earlier:
            rows.append(self._artist_row(artist, "redirect"))
            result.changed.append(("artist", artist.public_id, "redirect"))
        for release in session.scalars(select(Release).where(Release.id.in_(release_ids))):
            release.revision += 1
            release.updated_at = now
            release.provenance_id = self._provenance.id
            rows.append(
                OutboxRow(
                    entity_type="album",
                    public_id=release.public_id,
                    revision=release.revision,
                    operation="upsert",
                    aggregate_type="album",
                    aggregate_id=release.id,
                    related={"artists": [str(source.id), str(target.id)]},
                )
            )
            result.changed.append(("album", release.public_id, "upsert"))
        session.add_all(rows)
        return result

    def _move_identity(self, source: Artist, target: Artist) -> None:
        known_ids = {(e.namespace, e.value) for e in target.external_ids}
        for ext in list(source.external_ids):
            # Moved, not copied: a later delivery carrying this id must find the target.
            source.external_ids.remove(ext)
            if (ext.namespace, ext.value) not in known_ids:
                target.external_ids.append(
                    ArtistExternalId(namespace=ext.namespace, value=ext.value)
                )
                known_ids.add((ext.namespace, ext.value))
        self._session.flush()
        known_names = {(n.name, n.language_script) for n in target.names}
        for name in [(source.name, None), *((n.name, n.language_script) for n in source.names)]:
            if name not in known_names and name[0] != target.name:
                target.names.append(
                    ArtistName(position=len(target.names), name=name[0], language_script=name[1])
                )
                known_names.add(name)

    @staticmethod
    def _artist_row(artist: Artist, operation: str) -> OutboxRow:
        return OutboxRow(
            entity_type="artist",
            public_id=artist.public_id,
            revision=artist.revision,
            operation=operation,
            aggregate_type="artist",
            aggregate_id=artist.id,
            related={},
        )
