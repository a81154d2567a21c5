"""Writing a release aggregate (the release, its tracks, credits, deals, assets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from liner.catalog.artists import ArtistResolver
from liner.catalog.hashing import content_hash
from liner.ingest.records import (
    ArtistCredit,
    ArtistRecord,
    Availability,
    FileAsset,
    ReleaseRecord,
    TrackRecord,
)
from liner.kit.errors import ConflictError, InputError
from liner.kit.ids import new_public_id
from liner.models import (
    ArtistCreditRow,
    AssetRow,
    AvailabilityRow,
    ContributorRow,
    OutboxRow,
    Provenance,
    Release,
    ReleaseExternalId,
    RelinkGroup,
    Track,
)
from liner.models.base import utcnow


@dataclass(slots=True)
class WriteResult:
    """What one aggregate write did: ``created``, ``updated``, ``unchanged``, ``stale``
    (an older message than the one applied) or ``deleted``."""

    status: str
    entity_type: str
    public_id: str | None
    changed: list[tuple[str, str, str]] = field(default_factory=list)
    """(entity type, public id, operation) for every entity whose revision moved."""
    newer_message: bool = False
    """Unchanged content from a newer message: only the message time moves forward, so
    that an older message arriving later is still recognised as stale."""


def _availability_json(items: tuple[Availability, ...]) -> list[dict[str, Any]]:
    return [
        {
            "territories": sorted(a.territories),
            "excluded": sorted(a.excluded_territories),
            "start": a.start,
            "end": a.end,
            "models": sorted(a.commercial_models),
            "uses": sorted(a.use_types),
            "takedown": a.takedown,
            "preorder": a.preorder_start,
        }
        for a in items
    ]


def _artist_json(artist: ArtistRecord) -> list[Any]:
    """Everything a delivery says about an artist, so that a redelivery that only enriches
    an artist (a name in another script, an id, an image) is not taken as unchanged."""
    return [
        artist.name,
        sorted((e.namespace, e.value) for e in artist.ids),
        [(n.name, n.language_script) for n in artist.names],
        list(artist.genres),
        [(i.url, i.width, i.height) for i in artist.images],
    ]


def _credits_json(credits: tuple[ArtistCredit, ...]) -> list[Any]:
    return [(c.join_phrase, c.role, _artist_json(c.artist)) for c in credits]


def _assets_json(assets: tuple[FileAsset, ...]) -> list[Any]:
    return [(a.kind, a.uri, a.hash_algorithm, a.hash_value, a.size) for a in assets]


def release_hash(record: ReleaseRecord) -> str:
    return content_hash(
        {
            "title": record.title,
            "version": record.version_title,
            "type": record.release_type.value,
            "upc": record.upc,
            "grid": record.grid,
            "catno": record.catalog_number,
            "ids": sorted((e.namespace, e.value) for e in record.ids),
            "credits": _credits_json(record.artists),
            "label": record.label,
            "p": record.p_line,
            "c": record.c_line,
            "date": record.release_date.isoformat() if record.release_date else None,
            "original": (
                record.original_release_date.isoformat() if record.original_release_date else None
            ),
            "genres": list(record.genres),
            "pw": record.parental_warning,
            "images": [(i.url, i.width, i.height) for i in record.images],
            "availability": _availability_json(record.availability),
            "assets": _assets_json(record.assets),
            "tracks": [track_key(t) for t in record.tracks],
        }
    )


def track_key(record: TrackRecord) -> str:
    if record.isrc:
        return f"isrc:{record.isrc}"
    return f"pos:{record.disc_number}:{record.track_number}"


def track_hash(record: TrackRecord) -> str:
    return content_hash(
        {
            "title": record.title,
            "version": record.version_title,
            "disc": record.disc_number,
            "position": record.track_number,
            "isrc": record.isrc,
            "duration": record.duration_ms,
            "explicit": record.explicit,
            "credits": _credits_json(record.artists),
            "contributors": [
                (c.role, c.user_defined_role, _artist_json(c.artist)) for c in record.contributors
            ],
            "preview": record.preview_url,
            "genres": list(record.genres),
            "availability": _availability_json(record.availability),
            "assets": _assets_json(record.assets),
            "ref": record.source_ref,
        }
    )


def display_name(credits: tuple[ArtistCredit, ...]) -> str:
    return "".join(
        c.artist.name + (c.join_phrase if i < len(credits) - 1 else "")
        for i, c in enumerate(credits)
    )


def _availability_rows(items: tuple[Availability, ...]) -> list[AvailabilityRow]:
    return [
        AvailabilityRow(
            territories=sorted(a.territories),
            excluded_territories=sorted(a.excluded_territories),
            start_at=a.start,
            end_at=a.end,
            commercial_models=list(a.commercial_models),
            use_types=list(a.use_types),
            takedown=a.takedown,
            preorder_start_at=a.preorder_start,
        )
        for a in items
    ]


def _asset_rows(assets: tuple[FileAsset, ...]) -> list[AssetRow]:
    return [
        AssetRow(
            kind=a.kind,
            uri=a.uri,
            hash_algorithm=a.hash_algorithm,
            hash_value=a.hash_value,
            size=a.size,
        )
        for a in assets
    ]


def next_boundary(rows: list[AvailabilityRow], now: datetime) -> datetime | None:
    """The next future instant at which any deal starts or ends."""
    instants = [
        moment
        for row in rows
        for moment in (row.start_at, row.end_at, row.preorder_start_at)
        if moment is not None and moment > now
    ]
    return min(instants) if instants else None


class ReleaseWriter:
    """Applies one ReleaseRecord inside the caller's transaction."""

    def __init__(self, session: Session, provenance: Provenance) -> None:
        self._session = session
        self._provenance = provenance
        self._owner = provenance.sender
        self._artists = ArtistResolver(session, provenance.sender, provenance)
        self._groups: dict[str, int] = {}

    def _load(self, key: str) -> Release | None:
        return self._session.scalars(
            select(Release)
            .where(Release.owner == self._owner, Release.source_key == key)
            .options(
                selectinload(Release.tracks).selectinload(Track.credits),
                selectinload(Release.tracks).selectinload(Track.availability),
                selectinload(Release.tracks).selectinload(Track.contributors),
                selectinload(Release.tracks).selectinload(Track.assets),
                selectinload(Release.credits),
                selectinload(Release.availability),
                selectinload(Release.assets),
            )
        ).first()

    def _check_upc_owner(self, record: ReleaseRecord) -> None:
        if not record.upc:
            return
        other = self._session.scalars(
            select(Release.owner).where(
                Release.upc == record.upc, Release.owner != self._owner, Release.status == "active"
            )
        ).first()
        if other is not None:
            raise ConflictError(
                f"UPC {record.upc} belongs to a release delivered by another sender",
                code="release_owned_by_other_sender",
                location="upc",
            )

    def upsert(self, record: ReleaseRecord) -> WriteResult:
        key = record.natural_key()
        if key is None:
            raise InputError("a release needs a UPC, GRid or another id", code="release_no_key")
        if not record.tracks:
            raise InputError("a release needs at least one track", code="release_no_tracks")
        release = self._load(key)
        if release is not None and release.message_created_at > self._provenance.message_created_at:
            return WriteResult("stale", "album", release.public_id)
        self._check_upc_owner(record)
        new_hash = release_hash(record)
        created = release is None
        related: dict[str, set[str]] = {"artists": set(), "upcs": set(), "isrcs": set()}
        if release is None:
            release = Release(
                public_id=new_public_id(),
                owner=self._owner,
                source_key=key,
                revision=0,
                message_created_at=self._provenance.message_created_at,
                release_type=record.release_type.value,
                title=record.title,
            )
            self._session.add(release)
            self._session.flush()
            # A new release has no children yet: say so, so that assigning them does
            # not query for the old ones.
            for name in ("tracks", "credits", "availability", "assets", "external_ids"):
                set_committed_value(release, name, [])
        else:
            related["artists"].update(str(c.artist_id) for c in release.credits)
            related["artists"].update(str(c.artist_id) for t in release.tracks for c in t.credits)
            if release.upc:
                related["upcs"].add(release.upc)
        previous_message_at = release.message_created_at
        release.message_created_at = self._provenance.message_created_at
        result = WriteResult("unchanged", "album", release.public_id)
        release_changed = created or release.content_hash != new_hash or release.status != "active"
        if release_changed:
            self._apply_release_fields(release, record, new_hash)
        track_changes = self._apply_tracks(release, record)
        if track_changes:
            release_changed = True
        if not release_changed:
            result.newer_message = not created and (
                self._provenance.message_created_at > previous_message_at
            )
            return result
        self._session.flush()
        now = utcnow()
        all_availability = list(release.availability) + [
            row for track in release.tracks for row in track.availability
        ]
        release.availability_changes_at = next_boundary(all_availability, now)
        release.revision += 1
        release.updated_at = now
        release.provenance_id = self._provenance.id
        related["artists"].update(str(c.artist_id) for c in release.credits)
        related["artists"].update(
            str(c.artist_id) for t in release.tracks if t.status == "active" for c in t.credits
        )
        if release.upc:
            related["upcs"].add(release.upc)
        related["isrcs"].update(t.isrc for t in release.tracks if t.isrc)
        outbox = [
            OutboxRow(
                entity_type="album",
                public_id=release.public_id,
                revision=release.revision,
                operation="upsert",
                aggregate_type="album",
                aggregate_id=release.id,
                related={name: sorted(values) for name, values in related.items()},
            )
        ]
        result.changed.append(("album", release.public_id, "upsert"))
        for track, operation in track_changes:
            outbox.append(
                OutboxRow(
                    entity_type="track",
                    public_id=track.public_id,
                    revision=track.revision,
                    operation=operation,
                    aggregate_type="album",
                    aggregate_id=release.id,
                    related={},
                )
            )
            result.changed.append(("track", track.public_id, operation))
        outbox.extend(self._artists.outbox_rows())
        result.changed.extend(
            ("artist", a.public_id, "upsert") for a in self._artists.changed.values()
        )
        self._session.add_all(outbox)
        result.status = "created" if created else "updated"
        return result

    def _credit_rows(self, credits: tuple[ArtistCredit, ...]) -> list[ArtistCreditRow]:
        rows = []
        for position, credit in enumerate(credits):
            artist = self._artists.resolve(credit.artist)
            rows.append(
                ArtistCreditRow(
                    artist=artist,
                    artist_id=artist.id,
                    position=position,
                    credited_name=credit.artist.name,
                    join_phrase=credit.join_phrase,
                    role=credit.role,
                )
            )
        return rows

    def _apply_release_fields(self, release: Release, record: ReleaseRecord, new_hash: str) -> None:
        release.status = "active"
        release.content_hash = new_hash
        release.release_type = record.release_type.value
        release.title = record.title
        release.version_title = record.version_title
        release.upc = record.upc
        release.grid = record.grid
        release.catalog_number = record.catalog_number
        release.display_artist = display_name(record.artists)
        release.label = record.label
        release.p_line = record.p_line
        release.c_line = record.c_line
        release.release_date = record.release_date.isoformat() if record.release_date else None
        release.release_date_precision = (
            record.release_date.precision.value if record.release_date else None
        )
        original = record.original_release_date
        release.original_release_date = original.isoformat() if original else None
        release.original_release_date_precision = original.precision.value if original else None
        release.genres = list(record.genres)
        release.parental_warning = record.parental_warning
        release.images = [
            {"url": i.url, "width": i.width, "height": i.height} for i in record.images
        ]
        # Keep the rows of ids that stay: replacing them would insert the new rows before
        # the old ones are deleted and break the (release, namespace, value) constraint.
        wanted = dict.fromkeys((e.namespace, e.value) for e in record.ids)
        kept = [row for row in release.external_ids if (row.namespace, row.value) in wanted]
        have = {(row.namespace, row.value) for row in kept}
        release.external_ids = kept + [
            ReleaseExternalId(namespace=namespace, value=value)
            for namespace, value in wanted
            if (namespace, value) not in have
        ]
        release.credits = self._credit_rows(record.artists)
        release.availability = _availability_rows(record.availability)
        release.assets = _asset_rows(record.assets)

    def _relink_groups(self, isrcs: set[str]) -> dict[str, int]:
        """The relink group of each ISRC (one per recording), created where missing."""
        if not isrcs:
            return {}
        rows = self._session.execute(
            select(RelinkGroup.key, RelinkGroup.id).where(RelinkGroup.key.in_(isrcs))
        ).all()
        found: dict[str, int] = {row[0]: row[1] for row in rows}
        missing = sorted(isrcs - found.keys())
        if missing:
            groups = [RelinkGroup(key=isrc) for isrc in missing]
            self._session.add_all(groups)
            self._session.flush()
            found.update((g.key, g.id) for g in groups)
        return found

    def _apply_tracks(self, release: Release, record: ReleaseRecord) -> list[tuple[Track, str]]:
        existing = {t.track_key: t for t in release.tracks}
        self._groups = self._relink_groups({t.isrc for t in record.tracks if t.isrc})
        seen: set[str] = set()
        changes: list[tuple[Track, str]] = []
        for track_record in record.tracks:
            key = track_key(track_record)
            if key in seen:
                raise InputError(
                    f"two tracks share the key {key}", code="duplicate_track", location=key
                )
            seen.add(key)
            new_hash = track_hash(track_record)
            track = existing.get(key)
            if track is not None and track.content_hash == new_hash and track.status == "active":
                continue
            if track is None:
                track = Track(public_id=new_public_id(), track_key=key, revision=0)
                release.tracks.append(track)
            self._apply_track_fields(release, track, track_record, new_hash)
            changes.append((track, "upsert"))
        for key, track in existing.items():
            if key not in seen and track.status == "active":
                track.status = "removed"
                track.revision += 1
                track.updated_at = utcnow()
                track.provenance_id = self._provenance.id
                changes.append((track, "delete"))
        return changes

    def _apply_track_fields(
        self, release: Release, track: Track, record: TrackRecord, new_hash: str
    ) -> None:
        track.status = "active"
        track.content_hash = new_hash
        track.disc_number = record.disc_number
        track.track_number = record.track_number
        track.isrc = record.isrc
        track.title = record.title
        track.version_title = record.version_title
        track.duration_ms = record.duration_ms
        track.explicit = record.explicit
        track.display_artist = display_name(record.artists or ())
        track.preview_url = record.preview_url
        track.genres = list(record.genres)
        track.source_ref = record.source_ref
        track.relink_group_id = self._groups[record.isrc] if record.isrc else None
        credits = self._credit_rows(record.artists)
        for row in credits:
            row.release_id = release.id
        track.credits = credits
        contributors = []
        for position, contributor in enumerate(record.contributors):
            artist = self._artists.resolve(contributor.artist)
            contributors.append(
                ContributorRow(
                    artist=artist,
                    position=position,
                    role=contributor.role,
                    user_defined_role=contributor.user_defined_role,
                )
            )
        track.contributors = contributors
        availability = _availability_rows(record.availability)
        for deal in availability:
            deal.release_id = release.id
        track.availability = availability
        assets = _asset_rows(record.assets)
        for asset in assets:
            asset.release_id = release.id
        track.assets = assets
        track.revision += 1
        track.updated_at = utcnow()
        track.provenance_id = self._provenance.id

    def delete(self, key: str) -> WriteResult:
        """Remove a release: its documents go, its row and ids stay so ids never recycle."""
        release = self._load(key)
        if release is None:
            return WriteResult("unknown", "album", None)
        if release.message_created_at > self._provenance.message_created_at:
            return WriteResult("stale", "album", release.public_id)
        if release.status == "deleted":
            return WriteResult("unchanged", "album", release.public_id)
        release.status = "deleted"
        release.message_created_at = self._provenance.message_created_at
        release.revision += 1
        release.updated_at = utcnow()
        release.provenance_id = self._provenance.id
        related = {
            "artists": sorted(
                {str(c.artist_id) for c in release.credits}
                | {str(c.artist_id) for t in release.tracks for c in t.credits}
            ),
            "upcs": [release.upc] if release.upc else [],
            "isrcs": sorted({t.isrc for t in release.tracks if t.isrc}),
        }
        result = WriteResult("deleted", "album", release.public_id)
        outbox = [
            OutboxRow(
                entity_type="album",
                public_id=release.public_id,
                revision=release.revision,
                operation="delete",
                aggregate_type="album",
                aggregate_id=release.id,
                related=related,
            )
        ]
        result.changed.append(("album", release.public_id, "delete"))
        for track in release.tracks:
            if track.status != "active":
                continue
            track.status = "removed"
            track.revision += 1
            track.updated_at = utcnow()
            track.provenance_id = self._provenance.id
            outbox.append(
                OutboxRow(
                    entity_type="track",
                    public_id=track.public_id,
                    revision=track.revision,
                    operation="delete",
                    aggregate_type="album",
                    aggregate_id=release.id,
                    related={},
                )
            )
            result.changed.append(("track", track.public_id, "delete"))
        self._session.add_all(outbox)
        return result
