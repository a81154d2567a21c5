"""The canonical catalog: artists, releases, tracks, shows, episodes and what hangs off them.

Every entity has an internal integer key, a stable 22-character ``public_id`` that is
never recycled, a ``revision`` bumped on every change, a ``content_hash`` that makes
re-delivery of the same content a no-op, and ``provenance_id``: the delivery, upload or
feed fetch that last changed it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from liner.models.base import Base, BigIntPk, JsonType, UtcDateTime, utcnow

ID = String(22)


class Provenance(Base):
    """A delivery, upload or feed fetch that wrote to the catalog."""

    __tablename__ = "provenance"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(255), index=True)
    reference: Mapped[str] = mapped_column(Text)
    message_created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    extra: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class _Entity:
    """Columns every public entity carries."""

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    public_id: Mapped[str] = mapped_column(ID, unique=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    provenance_id: Mapped[int | None] = mapped_column(ForeignKey("provenance.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Artist(_Entity, Base):
    __tablename__ = "artists"

    match_key: Mapped[str] = mapped_column(String(512), unique=True)
    """How deliveries find this artist again: an ISNI, a namespaced proprietary id, or
    the sender and the normalised name."""
    name: Mapped[str] = mapped_column(Text)
    genres: Mapped[list[str]] = mapped_column(JsonType, default=list)
    images: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)

    names: Mapped[list[ArtistName]] = relationship(
        cascade="all, delete-orphan", order_by="ArtistName.position", lazy="selectin"
    )
    external_ids: Mapped[list[ArtistExternalId]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class ArtistName(Base):
    """The artist's name in another language or script."""

    __tablename__ = "artist_names"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    language_script: Mapped[str | None] = mapped_column(String(35))


class ArtistExternalId(Base):
    __tablename__ = "artist_external_ids"
    __table_args__ = (
        UniqueConstraint("artist_id", "namespace", "value"),
        Index("ix_artist_external_ids_lookup", "namespace", "value"),
    )

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id", ondelete="CASCADE"))
    namespace: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(String(255))


class Release(_Entity, Base):
    """An album, single, EP or compilation, owned by the sender that delivered it."""

    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("owner", "source_key"),)

    owner: Mapped[str] = mapped_column(String(255))
    source_key: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16), default="active")
    """``active`` or ``deleted`` (purged: the row and its id stay, the documents go)."""
    release_type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    version_title: Mapped[str | None] = mapped_column(Text)
    upc: Mapped[str | None] = mapped_column(String(14), index=True)
    grid: Mapped[str | None] = mapped_column(String(18), index=True)
    catalog_number: Mapped[str | None] = mapped_column(String(128))
    display_artist: Mapped[str] = mapped_column(Text, default="")
    label: Mapped[str | None] = mapped_column(Text)
    p_line: Mapped[str | None] = mapped_column(Text)
    c_line: Mapped[str | None] = mapped_column(Text)
    release_date: Mapped[str | None] = mapped_column(String(10))
    release_date_precision: Mapped[str | None] = mapped_column(String(5))
    original_release_date: Mapped[str | None] = mapped_column(String(10))
    original_release_date_precision: Mapped[str | None] = mapped_column(String(5))
    genres: Mapped[list[str]] = mapped_column(JsonType, default=list)
    parental_warning: Mapped[str | None] = mapped_column(String(32))
    images: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    message_created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """When the message that last wrote this release was created: newest wins."""
    availability_changes_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    """The next instant a deal starts or ends; the projector refreshes documents then."""

    external_ids: Mapped[list[ReleaseExternalId]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    tracks: Mapped[list[Track]] = relationship(
        back_populates="release",
        cascade="all, delete-orphan",
        order_by="(Track.disc_number, Track.track_number)",
    )
    credits: Mapped[list[ArtistCreditRow]] = relationship(
        primaryjoin="and_(ArtistCreditRow.release_id == Release.id, "
        "ArtistCreditRow.track_id.is_(None))",
        order_by="ArtistCreditRow.position",
        cascade="all, delete-orphan",
        overlaps="credits",
    )
    availability: Mapped[list[AvailabilityRow]] = relationship(
        primaryjoin="and_(AvailabilityRow.release_id == Release.id, "
        "AvailabilityRow.track_id.is_(None))",
        cascade="all, delete-orphan",
        overlaps="availability",
    )
    assets: Mapped[list[AssetRow]] = relationship(
        primaryjoin="and_(AssetRow.release_id == Release.id, AssetRow.track_id.is_(None))",
        cascade="all, delete-orphan",
        overlaps="assets",
    )


class ReleaseExternalId(Base):
    """Ids beyond UPC and GRid: proprietary ids with their namespace, catalog numbers."""

    __tablename__ = "release_external_ids"
    __table_args__ = (
        UniqueConstraint("release_id", "namespace", "value"),
        Index("ix_release_external_ids_lookup", "namespace", "value"),
    )

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"))
    namespace: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(String(255))


class RelinkGroup(Base):
    """Recordings that are the same (one ISRC) under different releases, for relinking."""

    __tablename__ = "relink_groups"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)


class Track(_Entity, Base):
    __tablename__ = "tracks"
    __table_args__ = (UniqueConstraint("release_id", "track_key"),)

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"))
    track_key: Mapped[str] = mapped_column(String(64))
    """The track's natural key within its release: its ISRC, else its position."""
    status: Mapped[str] = mapped_column(String(16), default="active")
    """``active``, or ``removed`` when a later delivery of the release dropped it."""
    disc_number: Mapped[int] = mapped_column(Integer, default=1)
    track_number: Mapped[int] = mapped_column(Integer, default=1)
    isrc: Mapped[str | None] = mapped_column(String(12), index=True)
    title: Mapped[str] = mapped_column(Text)
    version_title: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    explicit: Mapped[bool] = mapped_column(Boolean, default=False)
    display_artist: Mapped[str] = mapped_column(Text, default="")
    preview_url: Mapped[str | None] = mapped_column(Text)
    genres: Mapped[list[str]] = mapped_column(JsonType, default=list)
    source_ref: Mapped[str | None] = mapped_column(String(255))
    relink_group_id: Mapped[int | None] = mapped_column(ForeignKey("relink_groups.id"), index=True)

    release: Mapped[Release] = relationship(back_populates="tracks")
    credits: Mapped[list[ArtistCreditRow]] = relationship(
        order_by="ArtistCreditRow.position", cascade="all, delete-orphan", overlaps="credits"
    )
    contributors: Mapped[list[ContributorRow]] = relationship(
        order_by="ContributorRow.position", cascade="all, delete-orphan"
    )
    availability: Mapped[list[AvailabilityRow]] = relationship(
        cascade="all, delete-orphan", overlaps="availability"
    )
    assets: Mapped[list[AssetRow]] = relationship(cascade="all, delete-orphan", overlaps="assets")


class ArtistCreditRow(Base):
    """One artist in a release's or a track's display credit, in order."""

    __tablename__ = "artist_credits"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), index=True
    )
    track_id: Mapped[int | None] = mapped_column(
        ForeignKey("tracks.id", ondelete="CASCADE"), index=True
    )
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    credited_name: Mapped[str] = mapped_column(Text)
    join_phrase: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(64), default="main")

    artist: Mapped[Artist] = relationship(lazy="joined")


class ContributorRow(Base):
    """A contributor to a track with a role: composer, lyricist, producer, remixer..."""

    __tablename__ = "track_contributors"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(64))
    user_defined_role: Mapped[str | None] = mapped_column(String(128))

    artist: Mapped[Artist] = relationship(lazy="joined")


class AvailabilityRow(Base):
    """Where, when and how a release (track_id null) or one of its tracks may be streamed.

    ``territories`` is a list of ISO 3166-1 alpha-2 codes or ``["WW"]``, in which case
    ``excluded_territories`` lists the exceptions.
    """

    __tablename__ = "availability"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), index=True
    )
    track_id: Mapped[int | None] = mapped_column(
        ForeignKey("tracks.id", ondelete="CASCADE"), index=True
    )
    territories: Mapped[list[str]] = mapped_column(JsonType)
    excluded_territories: Mapped[list[str]] = mapped_column(JsonType, default=list)
    start_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    commercial_models: Mapped[list[str]] = mapped_column(JsonType, default=list)
    use_types: Mapped[list[str]] = mapped_column(JsonType, default=list)
    takedown: Mapped[bool] = mapped_column(Boolean, default=False)
    preorder_start_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AssetRow(Base):
    """A file a delivery refers to, with its declared hash and what checking it found."""

    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), index=True
    )
    track_id: Mapped[int | None] = mapped_column(
        ForeignKey("tracks.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    uri: Mapped[str] = mapped_column(Text)
    hash_algorithm: Mapped[str | None] = mapped_column(String(16))
    hash_value: Mapped[str | None] = mapped_column(String(128))
    size: Mapped[int | None] = mapped_column(BigInteger)
    check_status: Mapped[str] = mapped_column(String(16), default="unchecked")
    """``unchecked``, ``verified``, ``mismatch`` or ``missing``."""


class Show(_Entity, Base):
    """A podcast. Its natural key is its ``podcast:guid``, else its feed URL."""

    __tablename__ = "shows"

    owner: Mapped[str] = mapped_column(String(255))
    source_key: Mapped[str] = mapped_column(String(1024), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    feed_url: Mapped[str | None] = mapped_column(Text)
    feed_url_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    podcast_guid: Mapped[str | None] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text)
    publisher: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    html_description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(35))
    categories: Mapped[list[str]] = mapped_column(JsonType, default=list)
    explicit: Mapped[bool] = mapped_column(Boolean, default=False)
    show_type: Mapped[str] = mapped_column(String(16), default="episodic")
    media_type: Mapped[str] = mapped_column(String(16), default="audio")
    images: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    link: Mapped[str | None] = mapped_column(Text)
    territories: Mapped[list[str]] = mapped_column(JsonType, default=lambda: ["WW"])
    extra: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    """Feed facts kept as they came: owner, funding, persons, locked, complete, blocked."""
    message_created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    episodes: Mapped[list[Episode]] = relationship(
        back_populates="show", cascade="all, delete-orphan"
    )


class Episode(_Entity, Base):
    __tablename__ = "episodes"
    __table_args__ = (UniqueConstraint("show_id", "episode_key"),)

    show_id: Mapped[int] = mapped_column(ForeignKey("shows.id", ondelete="CASCADE"))
    episode_key: Mapped[str] = mapped_column(String(64))
    """A hash of the episode's GUID, else of its enclosure URL."""
    status: Mapped[str] = mapped_column(String(16), default="active")
    """``active``, or ``removed`` when it left the feed (kept, not deleted)."""
    guid: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    html_description: Mapped[str] = mapped_column(Text, default="")
    enclosure_url: Mapped[str | None] = mapped_column(Text)
    enclosure_type: Mapped[str | None] = mapped_column(String(128))
    enclosure_length: Mapped[int | None] = mapped_column(BigInteger)
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    season: Mapped[int | None] = mapped_column(Integer)
    episode_number: Mapped[int | None] = mapped_column(Integer)
    episode_type: Mapped[str] = mapped_column(String(16), default="full")
    explicit: Mapped[bool] = mapped_column(Boolean, default=False)
    images: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    chapters_url: Mapped[str | None] = mapped_column(Text)
    transcripts: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    """Persons, alternate enclosures and links, as the feed gave them."""
    language: Mapped[str | None] = mapped_column(String(35))

    show: Mapped[Show] = relationship(back_populates="episodes")


class IdRedirect(Base):
    """A public id that was merged into another keeps answering with the other."""

    __tablename__ = "id_redirects"

    entity_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    from_public_id: Mapped[str] = mapped_column(ID, primary_key=True)
    to_public_id: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
