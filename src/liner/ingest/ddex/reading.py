"""A DDEX message as read: where it came from, its hash, what the parser made of it and
the problems found before anything is looked up in the catalog."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from liner.ingest.ddex.model import ErnMessage
from liner.ingest.ddex.outcomes import AssetCheck, MessageOutcome, Status
from liner.ingest.ddex.parser import parse_ern
from liner.ingest.records import Problem
from liner.kit.errors import InputError, LinerError, PermissionDeniedError
from liner.kit.xml import DEFAULT_MAX_BYTES
from liner.quality.identifiers import CheckDigitError, normalise_dpid

log = logging.getLogger(__name__)

_STAMP_RE = re.compile(r"(?:^|_)(\d{14,17})$")


def delivery_stamp(name: str) -> str:
    """The delivery timestamp in a batch or release folder name (``20161024145603121``,
    ``N_A10301A0005108088N_20240101120000000``), as 17 digits, or "" when there is none."""
    match = _STAMP_RE.search(name)
    if match is None:
        return ""
    digits = match.group(1)
    try:
        datetime.strptime(digits[:14], "%Y%m%d%H%M%S")
    except ValueError:
        return ""
    return (digits + "000")[:17]


def file_stamp(path: Path) -> str:
    """The delivery timestamp of a message file: that of its release folder, else of
    the batch folder above it."""
    for folder in (path.parent, path.parent.parent):
        stamp = delivery_stamp(folder.name)
        if stamp:
            return stamp
    return ""


def canonical_sender(value: str) -> str:
    """A DPID as the parser stores it (compact, ``DPID:`` and hyphens removed)."""
    value = value.strip()
    try:
        return normalise_dpid(value)
    except CheckDigitError as exc:
        return str(exc.value)
    except InputError:
        return value


@dataclass(frozen=True, slots=True)
class Source:
    """Where a message came from and where its files and acknowledgement go."""

    label: str | None = None
    """The file's path as reported (None for HTTP)."""
    base_dir: Path | None = None
    """The folder the message's file references are relative to (None: not checked)."""
    stamp: str = ""
    batch_row_id: int | None = None
    batch_public_id: str | None = None
    ack_dir: Path | None = None
    transport: str = "folder"
    problems: tuple[Problem, ...] = ()
    """Problems found before the message was read (e.g. against its batch manifest)."""
    expected_message_id: str | None = None
    """The MessageId its batch manifest announced."""
    expected_hash: tuple[str, str] | None = None
    """(algorithm, hex digest) of the file, as its batch manifest announced."""


@dataclass(frozen=True, slots=True)
class ReadMessage:
    """A message file read: its hash, what the parser made of it (None: unreadable) and
    the problems found so far."""

    sha256: str
    parsed: ErnMessage | None
    problems: tuple[Problem, ...]
    assets: tuple[tuple[AssetCheck, ...], tuple[Problem, ...]] | None = None
    """Its asset files checked (results, problems), when that was done before the write
    lock was taken; None: not yet."""


def read_file(path: Path, source: Source) -> ReadMessage | MessageOutcome:
    """The message read and parsed, or the outcome of a file that cannot be read."""
    try:
        size = path.stat().st_size
        if size > DEFAULT_MAX_BYTES:
            return _read_oversized(path, size, source)
        data = path.read_bytes()
    except OSError as exc:
        return MessageOutcome(
            status=Status.REJECTED,
            sha256="",
            file=source.label,
            problems=(Problem("ddex_file_unreadable", str(exc), "error", str(path)),),
        )
    return read_bytes(data, source, None)


def read_bytes(data: bytes, source: Source, expected_sender: str | None) -> ReadMessage:
    """Hash and parse one message. ``expected_sender`` (HTTP): the message must come
    from this DPID, else :class:`PermissionDeniedError`, and an unreadable message raises
    its typed error; otherwise what went wrong is a problem of the result."""
    sha = hashlib.sha256(data).hexdigest()
    problems: list[Problem] = []
    if source.expected_hash is not None:
        algorithm, expected = source.expected_hash
        actual = hashlib.new(algorithm, data).hexdigest()
        if actual != expected:
            problems.append(
                Problem(
                    "ddex_manifest_hash_mismatch",
                    f"the file's {algorithm} is {actual}; its batch manifest says {expected}",
                    "error",
                    source.label or "",
                )
            )
    parsed: ErnMessage | None = None
    try:
        parsed = parse_ern(data, location=source.label or "")
    except LinerError as exc:
        if expected_sender is not None:
            raise
        problems.append(Problem(exc.code, exc.message, "error", exc.location))
    except Exception as exc:
        if expected_sender is not None:
            raise
        log.exception("the DDEX parser failed", extra={"file": source.label})
        problems.append(
            Problem("ddex_internal_error", f"the message could not be read: {exc!r}", "error")
        )
    if expected_sender is not None and parsed is not None:
        wanted = canonical_sender(expected_sender)
        if (parsed.sender_dpid or "") != wanted:
            raise PermissionDeniedError(
                f"the message is sent by {parsed.sender_dpid!r}; this key may only "
                f"deliver as {wanted!r}",
                code="ddex_sender_mismatch",
            )
    return ReadMessage(sha, parsed, tuple(problems))


def _read_oversized(path: Path, size: int, source: Source) -> ReadMessage:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    problem = Problem(
        "xml_too_large",
        f"document is {size} bytes, more than the limit of {DEFAULT_MAX_BYTES}",
        "error",
        source.label or "",
    )
    return ReadMessage(digest.hexdigest(), None, (problem,))
