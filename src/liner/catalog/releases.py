"""Writing a release aggregate (the release, its tracks, credits, deals, assets).

A release and the tracks that already exist are loaded as ORM objects and changed in
place; everything a write only adds (a new release, new artists, new tracks, credits,
contributors, deals, assets, relink groups, outbox rows) is inserted with plain
statements, one per table, which is far cheaper than the unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from liner.catalog.artists import ArtistResolver
from liner.catalog.release_content import display_name, release_hash, track_hash, track_key
from liner.catalog.release_rows import (
    asset_params,
    availability_params,
    earliest_after,
    moments,
    row_moments,
)
from liner.ingest.records import (
    ArtistCredit,
    ArtistRecord,
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
from liner.models.base import table_of, utcnow
from liner.models.inserts import insert_many, insert_rows

__all__ = ["ReleaseWriter", "WriteResult", "track_key"]


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


@dataclass(slots=True)
class _TrackPlan:
    """One delivered track: its key, its content hash and the row it updates, if any."""

    record: TrackRecord
    key: str
    new_hash: str
    existing: Track | None

    @property
    def changed(self) -> bool:
        track = self.existing
        return track is None or track.content_hash != self.new_hash or track.status != "active"


@dataclass(slots=True)
class _Written:
    """What a write leaves behind, for the outbox and the next deal boundary."""

    artists: set[int] = field(default_factory=set)
    moments: list[datetime | None] = field(default_factory=list)
    isrcs: set[str] = field(default_factory=set)


# Built once: building these statements and their cache keys costs more than running
# them.
_LOAD_RELEASE = (
    select(Release)
    .where(Release.owner == bindparam("owner"), Release.source_key == bindparam("key"))
    .options(
        selectinload(Release.tracks).selectinload(Track.credits),
        selectinload(Release.tracks).selectinload(Track.availability),
        selectinload(Release.tracks).selectinload(Track.contributors),
        selectinload(Release.tracks).selectinload(Track.assets),
        selectinload(Release.credits),
        selectinload(Release.availability),
        selectinload(Release.assets),
    )
)

_UPC_OWNER = select(Release.owner).where(
    Release.upc == bindparam("upc"),
    Release.owner != bindparam("owner"),
    Release.status == "active",
)
_RELINK_GROUPS = select(RelinkGroup.key, RelinkGroup.id).where(
    RelinkGroup.key.in_(bindparam("keys", expanding=True))
)


class ReleaseWriter:
    """Applies one ReleaseRecord inside the caller's transaction."""

    def __init__(self, session: Session, provenance: Provenance) -> None:
        self._session = session
        self._provenance = provenance
        self._owner = provenance.sender
        self._artists = ArtistResolver(session, provenance.sender, provenance)
        self._groups: dict[str, int] = {}
        self._queued: dict[Any, list[dict[str, Any]]] = {}

    def _load(self, key: str) -> Release | None:
        return self._session.scalars(_LOAD_RELEASE, {"owner": self._owner, "key": key}).first()

    def _check_upc_owner(self, record: ReleaseRecord) -> None:
        if not record.upc:
            return
        other = self._session.scalars(_UPC_OWNER, {"upc": record.upc, "owner": self._owner}).first()
        if other is not None:
            raise ConflictError(
                f"UPC {record.upc} belongs to a release delivered by another sender",
                code="release_owned_by_other_sender",
                location="upc",
            )

    def _plan(self, release: Release, record: ReleaseRecord) -> list[_TrackPlan]:
        existing = {t.track_key: t for t in release.tracks}
        seen: set[str] = set()
        plans = []
        for track_record in record.tracks:
            key = track_key(track_record)
            if key in seen:
                raise InputError(
                    f"two tracks share the key {key}", code="duplicate_track", location=key
                )
            seen.add(key)
            plans.append(_TrackPlan(track_record, key, track_hash(track_record), existing.get(key)))
        return plans

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
            # A new release has no children yet: say so, so that reading them does not
            # query for the old ones. It is inserted as a plain row once all its fields
            # are set, and stays out of the session (nothing changes it afterwards).
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
        plans = self._plan(release, record)
        delivered = {plan.key for plan in plans}
        removed = [
            t for t in release.tracks if t.track_key not in delivered and t.status == "active"
        ]
        if not release_changed and not removed and not any(plan.changed for plan in plans):
            result.newer_message = not created and (
                self._provenance.message_created_at > previous_message_at
            )
            return result
        named = self._artists_named(record, release_changed, plans)
        self._artists.prefetch(named)
        for artist_record in named:
            self._artists.resolve(artist_record)
        if release_changed:
            self._set_release_fields(release, record, new_hash)
        if created:
            now = utcnow()
            delivered_moments = moments(record.availability)
            for track_record in record.tracks:
                delivered_moments += moments(track_record.availability)
            release.availability_changes_at = earliest_after(delivered_moments, now)
            release.revision = 1
            release.updated_at = now
            release.provenance_id = self._provenance.id
            self._insert_release(release)
        # The new artists, together, so that the rows below can name their ids.
        self._artists.insert_new()
        written = _Written()
        if release_changed:
            self._replace_release_children(release, record, written)
        else:
            written.artists.update(c.artist_id for c in release.credits)
            written.moments += row_moments(release.availability)
        track_changes = self._apply_tracks(release, plans, removed, written)
        if not created:
            now = utcnow()
            release.availability_changes_at = earliest_after(written.moments, now)
            release.revision += 1
            release.updated_at = now
            release.provenance_id = self._provenance.id
        related["artists"].update(str(a) for a in written.artists)
        if release.upc:
            related["upcs"].add(release.upc)
        related["isrcs"].update(written.isrcs)
        outbox: list[dict[str, Any]] = [
            {
                "entity_type": "album",
                "public_id": release.public_id,
                "revision": release.revision,
                "operation": "upsert",
                "aggregate_type": "album",
                "aggregate_id": release.id,
                "related": {name: sorted(values) for name, values in related.items()},
            }
        ]
        result.changed.append(("album", release.public_id, "upsert"))
        for public_id, revision, operation in track_changes:
            outbox.append(
                {
                    "entity_type": "track",
                    "public_id": public_id,
                    "revision": revision,
                    "operation": operation,
                    "aggregate_type": "album",
                    "aggregate_id": release.id,
                    "related": {},
                }
            )
            result.changed.append(("track", public_id, operation))
        outbox.extend(
            {
                "entity_type": row.entity_type,
                "public_id": row.public_id,
                "revision": row.revision,
                "operation": row.operation,
                "aggregate_type": row.aggregate_type,
                "aggregate_id": row.aggregate_id,
                "related": row.related,
            }
            for row in self._artists.outbox_rows()
        )
        result.changed.extend(("artist", a.public_id, "upsert") for a in self._artists.changed)
        # Flush the ORM's changes (changed tracks, new artists' names) before the outbox.
        self._session.flush()
        insert_many(self._session, table_of(OutboxRow), outbox)
        result.status = "created" if created else "updated"
        return result

    def _insert_release(self, release: Release) -> None:
        """Insert a new release (every field set) and queue its external ids."""
        insert_rows(self._session, [release])
        self._queue(
            ReleaseExternalId,
            [
                {"release_id": release.id, "namespace": row.namespace, "value": row.value}
                for row in release.external_ids
            ],
        )

    @staticmethod
    def _artists_named(
        record: ReleaseRecord, release_changed: bool, plans: list[_TrackPlan]
    ) -> list[ArtistRecord]:
        named = [c.artist for c in record.artists] if release_changed else []
        for plan in plans:
            if plan.changed:
                named += [c.artist for c in plan.record.artists]
                named += [c.artist for c in plan.record.contributors]
        return named

    def _credit_params(
        self, credits: tuple[ArtistCredit, ...], release_id: int
    ) -> list[dict[str, Any]]:
        rows = []
        for position, credit in enumerate(credits):
            artist = self._artists.resolve(credit.artist)
            rows.append(
                {
                    "release_id": release_id,
                    "artist_id": artist.id,
                    "position": position,
                    "credited_name": credit.artist.name,
                    "join_phrase": credit.join_phrase,
                    "role": credit.role,
                }
            )
        return rows

    @staticmethod
    def _set_release_fields(release: Release, record: ReleaseRecord, new_hash: str) -> None:
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
        if len(kept) != len(release.external_ids) or len(have) != len(wanted):
            release.external_ids = kept + [
                ReleaseExternalId(namespace=namespace, value=value)
                for namespace, value in wanted
                if (namespace, value) not in have
            ]

    def _replace_release_children(
        self, release: Release, record: ReleaseRecord, written: _Written
    ) -> None:
        # The release's own credits, deals and assets are replaced (its tracks' stay).
        for entity, rows in (
            (ArtistCreditRow, release.credits),
            (AvailabilityRow, release.availability),
            (AssetRow, release.assets),
        ):
            if rows:
                table = table_of(entity)
                self._session.execute(delete(table).where(table.c.id.in_([row.id for row in rows])))
        credits = self._credit_params(record.artists, release.id)
        for row in credits:
            row["track_id"] = None
        self._queue(ArtistCreditRow, credits)
        self._queue(AvailabilityRow, availability_params(record.availability, release.id, None))
        self._queue(AssetRow, asset_params(record.assets, release.id, None))
        written.artists.update(row["artist_id"] for row in credits)
        written.moments += moments(record.availability)

    def _queue(self, entity: Any, rows: list[dict[str, Any]]) -> None:
        """Rows to insert with the tracks' rows of the same table, in one statement."""
        self._queued.setdefault(entity, []).extend(rows)

    def _insert_queued(self) -> None:
        for entity, rows in self._queued.items():
            insert_many(self._session, table_of(entity), rows)
        self._queued.clear()

    def _relink_groups(self, isrcs: set[str]) -> dict[str, int]:
        """The relink group of each ISRC (one per recording), created where missing."""
        if not isrcs:
            return {}
        rows = self._session.execute(_RELINK_GROUPS, {"keys": sorted(isrcs)}).all()
        found: dict[str, int] = {row[0]: row[1] for row in rows}
        missing = sorted(isrcs - found.keys())
        if missing:
            table = table_of(RelinkGroup)
            created = self._session.execute(
                insert(table).returning(table.c.key, table.c.id), [{"key": k} for k in missing]
            ).all()
            found.update((row[0], row[1]) for row in created)
        return found

    def _apply_tracks(
        self, release: Release, plans: list[_TrackPlan], removed: list[Track], written: _Written
    ) -> list[tuple[str, int, str]]:
        """Write the delivered tracks that changed and retire the ones no longer
        delivered; returns (public id, revision, operation) of each track that moved."""
        changed = [plan for plan in plans if plan.changed]
        self._groups = self._relink_groups({p.record.isrc for p in changed if p.record.isrc})
        now = utcnow()
        changes: list[tuple[str, int, str]] = []
        new_tracks: list[dict[str, Any]] = []
        children: list[tuple[str, TrackRecord, list[dict[str, Any]], list[dict[str, Any]]]] = []
        for plan in changed:
            track_record = plan.record
            track = plan.existing
            public_id = new_public_id() if track is None else track.public_id
            credits = self._credit_params(track_record.artists, release.id)
            contributors = []
            for position, contributor in enumerate(track_record.contributors):
                artist = self._artists.resolve(contributor.artist)
                contributors.append(
                    {
                        "artist_id": artist.id,
                        "position": position,
                        "role": contributor.role,
                        "user_defined_role": contributor.user_defined_role,
                    }
                )
            fields = self._track_fields(track_record, plan.new_hash)
            if track is None:
                fields.update(
                    public_id=public_id,
                    track_key=plan.key,
                    release_id=release.id,
                    revision=1,
                    created_at=now,
                    updated_at=now,
                    provenance_id=self._provenance.id,
                )
                new_tracks.append(fields)
                changes.append((public_id, 1, "upsert"))
            else:
                for name, value in fields.items():
                    setattr(track, name, value)
                track.revision += 1
                track.updated_at = now
                track.provenance_id = self._provenance.id
                changes.append((public_id, track.revision, "upsert"))
            children.append((plan.key, track_record, credits, contributors))
            written.artists.update(row["artist_id"] for row in credits)
            written.moments += moments(track_record.availability)
            if track_record.isrc:
                written.isrcs.add(track_record.isrc)
        for plan in plans:
            track = plan.existing
            if track is not None and not plan.changed:
                # Unchanged and active: what it had stays.
                written.artists.update(c.artist_id for c in track.credits)
                written.moments += row_moments(track.availability)
        for track in removed:
            track.status = "removed"
            track.revision += 1
            track.updated_at = utcnow()
            track.provenance_id = self._provenance.id
            changes.append((track.public_id, track.revision, "delete"))
        delivered = {plan.key for plan in plans}
        for track in release.tracks:
            # Tracks no longer delivered keep their deals, which still bound the release.
            if track.track_key not in delivered:
                written.moments += row_moments(track.availability)
            if track.isrc:
                written.isrcs.add(track.isrc)
        self._write_children(release, changed, new_tracks, children)
        return changes

    def _track_fields(self, record: TrackRecord, new_hash: str) -> dict[str, Any]:
        return {
            "status": "active",
            "content_hash": new_hash,
            "disc_number": record.disc_number,
            "track_number": record.track_number,
            "isrc": record.isrc,
            "title": record.title,
            "version_title": record.version_title,
            "duration_ms": record.duration_ms,
            "explicit": record.explicit,
            "display_artist": display_name(record.artists or ()),
            "preview_url": record.preview_url,
            "genres": list(record.genres),
            "source_ref": record.source_ref,
            "relink_group_id": self._groups[record.isrc] if record.isrc else None,
        }

    def _write_children(
        self,
        release: Release,
        changed: list[_TrackPlan],
        new_tracks: list[dict[str, Any]],
        children: list[tuple[str, TrackRecord, list[dict[str, Any]], list[dict[str, Any]]]],
    ) -> None:
        """Insert the new tracks, then replace the credits, contributors, deals and assets
        of every changed track, one statement per table."""
        ids = {plan.key: plan.existing.id for plan in changed if plan.existing is not None}
        if ids:
            for entity in (ArtistCreditRow, ContributorRow, AvailabilityRow, AssetRow):
                table = table_of(entity)
                self._session.execute(
                    delete(table).where(table.c.track_id.in_(sorted(ids.values())))
                )
        if new_tracks:
            table = table_of(Track)
            inserted = self._session.execute(
                insert(table).returning(table.c.track_key, table.c.id), new_tracks
            ).all()
            ids.update((row[0], row[1]) for row in inserted)
        credits: list[dict[str, Any]] = []
        contributors: list[dict[str, Any]] = []
        deals: list[dict[str, Any]] = []
        assets: list[dict[str, Any]] = []
        for key, record, track_credits, track_contributors in children:
            track_id = ids[key]
            for row in track_credits:
                row["track_id"] = track_id
            for row in track_contributors:
                row["track_id"] = track_id
            credits += track_credits
            contributors += track_contributors
            deals += availability_params(record.availability, release.id, track_id)
            assets += asset_params(record.assets, release.id, track_id)
        self._queue(ArtistCreditRow, credits)
        self._queue(ContributorRow, contributors)
        self._queue(AvailabilityRow, deals)
        self._queue(AssetRow, assets)
        self._insert_queued()

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
