"""What parsing one ERN message yields: the message envelope, the releases a streaming
catalog carries, what was left out and why, and every problem found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from liner.ingest.records import ExternalId, Problem, Provenance, ReleaseRecord
from liner.kit.errors import InputError


class DdexError(InputError):
    """A DDEX message that cannot be read at all (unknown message type or version)."""

    code = "ddex_error"


class MessageType(StrEnum):
    NEW_RELEASE = "NewReleaseMessage"
    PURGE_RELEASE = "PurgeReleaseMessage"


@dataclass(frozen=True, slots=True)
class MessageParty:
    """A party of the message header: sender, sent-on-behalf-of or recipient."""

    dpid: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class SkippedRelease:
    """A release in the message that the catalog does not carry, with the reason."""

    reference: str | None
    reason: str
    """A stable code: ``release_type_not_carried``, ``no_sound_recordings``..."""
    detail: str = ""
    title: str | None = None
    release_type: str | None = None
    ids: tuple[ExternalId, ...] = ()


@dataclass(frozen=True, slots=True)
class PurgedRelease:
    """A release a PurgeReleaseMessage asks to remove, with every id it was given by."""

    ids: tuple[ExternalId, ...]
    source_key: str | None
    """The same natural key :func:`parse_ern` gives the release when it is delivered."""
    title: str | None = None


@dataclass(frozen=True, slots=True)
class ErnMessage:
    message_type: MessageType
    version: str
    """The ERN version, e.g. ``3.8.2``, ``3.7D2``, ``4.3``."""
    message_id: str
    thread_id: str | None
    sender_dpid: str | None
    sender_name: str | None
    created_at: datetime | None
    """``MessageCreatedDateTime`` as an aware UTC datetime (None only with an error)."""
    recipients: tuple[MessageParty, ...] = ()
    sent_on_behalf_of: MessageParty | None = None
    update_indicator: str | None = None
    """ERN 3 ``UpdateIndicator`` (deprecated; recorded, never acted on)."""
    control_type: str | None = None
    """``LiveMessage`` or ``TestMessage``."""
    release_profile: str | None = None
    releases: tuple[ReleaseRecord, ...] = ()
    purged: tuple[PurgedRelease, ...] = ()
    skipped: tuple[SkippedRelease, ...] = ()
    problems: tuple[Problem, ...] = ()
    location: str = ""

    @property
    def is_test(self) -> bool:
        return self.control_type == "TestMessage"

    @property
    def purged_release_ids(self) -> tuple[ExternalId, ...]:
        return tuple(ext for purged in self.purged for ext in purged.ids)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity != "error")

    @property
    def rejected(self) -> bool:
        """True when a problem of severity ``error`` makes the message unusable."""
        return any(p.severity == "error" for p in self.problems)

    def provenance(self) -> Provenance:
        """Where writes from this message come from (requires a sender and a date)."""
        if self.created_at is None:
            raise DdexError(
                "the message has no usable MessageCreatedDateTime",
                location=self.location,
                code="ddex_created_missing",
            )
        return Provenance(
            kind="ddex",
            sender=self.sender_dpid or "",
            reference=self.message_id,
            created_at=self.created_at,
            extra={"version": self.version, "message_type": str(self.message_type)},
        )
