"""What processing one DDEX message did: its status, per-release results, problems and
asset checks, in the shape stored, printed by ``liner ingest ddex --json``, written into
acknowledgements and answered by ``/v1/deliveries``."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from liner.ingest.records import Problem


class Status(StrEnum):
    APPLIED = "applied"
    """The message changed the catalog."""
    UNCHANGED = "unchanged"
    """The catalog already said what the message says."""
    SUPERSEDED = "superseded"
    """A newer message about the same release had already been applied."""
    SKIPPED = "skipped"
    """Nothing in the message that the catalog carries, or a purge of an unknown release."""
    REJECTED = "rejected"
    """The message is unusable; nothing of it was applied."""


APPLIED_RESULTS = frozenset({"created", "updated", "deleted"})
"""Per-release results that mean this message changed the catalog."""


def problem_from_json(data: dict[str, Any]) -> Problem:
    return Problem(
        code=str(data.get("code", "")),
        message=str(data.get("message", "")),
        severity=str(data.get("severity", "error")),
        location=str(data.get("location", "")),
    )


@dataclass(frozen=True, slots=True)
class AssetCheck:
    """What checking one file a message refers to found."""

    uri: str
    kind: str
    owner: str
    """``release`` or the track's ISRC (else its resource reference)."""
    status: str
    """``verified``, ``present`` (no hash to check), ``missing``, ``corrupt``,
    ``remote``, ``unsafe`` or ``not_checked``."""
    algorithm: str | None = None
    expected: str | None = None
    actual: str | None = None
    size: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "uri": self.uri,
            "kind": self.kind,
            "owner": self.owner,
            "status": self.status,
            "algorithm": self.algorithm,
            "expected": self.expected,
            "actual": self.actual,
            "size": self.size,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AssetCheck:
        return cls(
            uri=str(data.get("uri", "")),
            kind=str(data.get("kind", "")),
            owner=str(data.get("owner", "")),
            status=str(data.get("status", "")),
            algorithm=data.get("algorithm"),
            expected=data.get("expected"),
            actual=data.get("actual"),
            size=data.get("size"),
        )


@dataclass(frozen=True, slots=True)
class ReleaseOutcome:
    source_key: str
    public_id: str | None
    result: str
    """``created``, ``updated``, ``unchanged``, ``deleted``, ``stale``, ``superseded``,
    ``unknown`` (a purge of nothing) or ``rejected``."""

    def to_json(self) -> dict[str, Any]:
        return {"source_key": self.source_key, "id": self.public_id, "result": self.result}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReleaseOutcome:
        return cls(
            source_key=str(data.get("source_key", "")),
            public_id=data.get("id"),
            result=str(data.get("result", "")),
        )


@dataclass(frozen=True, slots=True)
class MessageOutcome:
    status: Status
    sha256: str
    file: str | None = None
    delivery_id: str | None = None
    """The delivery's public id (``/v1/deliveries/{id}``)."""
    message_id: str = ""
    thread_id: str | None = None
    sender: str = ""
    message_type: str | None = None
    version: str | None = None
    created_at: datetime | None = None
    order_key: str = ""
    transport: str = "folder"
    releases: tuple[ReleaseOutcome, ...] = ()
    problems: tuple[Problem, ...] = ()
    assets: tuple[AssetCheck, ...] = ()
    batch: str | None = None
    """The batch's public id, when the message came in one."""
    processed_at: datetime | None = None
    replayed: bool = False
    """True when this file had been processed before and nothing was done now."""
    ack: str | None = field(default=None, compare=False)

    @property
    def release_ids(self) -> list[str]:
        return list(dict.fromkeys(r.public_id for r in self.releases if r.public_id))

    @property
    def source_keys(self) -> list[str]:
        return list(dict.fromkeys(r.source_key for r in self.releases if r.source_key))

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    def with_ack(self, ack: str | None) -> MessageOutcome:
        return replace(self, ack=ack)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "message",
            "id": self.delivery_id,
            "file": self.file,
            "sha256": self.sha256,
            "message_id": self.message_id,
            "thread_id": self.thread_id,
            "sender": self.sender,
            "message_type": self.message_type,
            "version": self.version,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "transport": self.transport,
            "status": str(self.status),
            "release_ids": self.release_ids,
            "releases": [r.to_json() for r in self.releases],
            "problems": [p.to_json() for p in self.problems],
            "assets": [a.to_json() for a in self.assets],
            "batch": self.batch,
            "processed_at": self.processed_at.isoformat() if self.processed_at else None,
            "replayed": self.replayed,
        }


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What became of a batch folder and its ``BatchComplete`` manifest: ``processed``
    (every message it lists has its own outcome; a manifest file's status), ``invalid``
    (the manifest and the folder disagree: nothing of the batch was applied) or
    ``waiting`` (no manifest yet: nothing was read, nothing recorded)."""

    folder: str
    status: str
    batch_id: str = ""
    delivery_id: str | None = None
    """The batch's public id (messages name it as their ``batch``)."""
    manifest: str | None = None
    """The manifest file's path."""
    manifest_kind: str | None = None
    """``echo``, ``ern-c``, ``semaphore`` or ``unreadable``."""
    expected: int | None = None
    """The manifest's NumberOfMessages."""
    messages: tuple[str, ...] = ()
    """The delivery ids of the messages processed from this batch."""
    statuses: tuple[tuple[str, int], ...] = ()
    """How many of those messages ended in each status."""
    problems: tuple[Problem, ...] = ()
    replayed: bool = False
    """True when the batch had been processed before and nothing was done now."""

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "batch",
            "batch": self.delivery_id,
            "file": self.manifest,
            "folder": self.folder,
            "batch_id": self.batch_id,
            "manifest_kind": self.manifest_kind,
            "status": self.status,
            "expected_messages": self.expected,
            "messages": list(self.messages),
            "statuses": dict(self.statuses),
            "problems": [p.to_json() for p in self.problems],
            "replayed": self.replayed,
        }
