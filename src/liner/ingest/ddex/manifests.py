"""Batch manifests: the ``BatchComplete_<BatchId>.xml`` file that closes a batch delivery.

Both forms met in the wild are read: the ECHO 1.2 ``ManifestMessage``
(``http://ddex.net/xml/2011/echo/12``) and the ERN choreography one (``ern-c``, e.g.
``http://ddex.net/xml/ern-c/15``); a zero-byte file (a bare semaphore) is a manifest
that lists nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from liner.ingest.ddex.tree import Element, kid, kid_text, kids, local, text
from liner.ingest.records import Problem
from liner.kit.errors import LinerError
from liner.kit.xml import parse_xml
from liner.quality.identifiers import parse_datetime

_MANIFEST_RE = re.compile(r"^batchcomplete_.*\.xml$", re.IGNORECASE)
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-_]*://")
_HASH_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128}


def is_manifest(path: Path) -> bool:
    return bool(_MANIFEST_RE.match(path.name))


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    message_type: str | None
    message_id: str | None
    url: str | None
    release_ids: tuple[str, ...]
    hash_algorithm: str | None
    hash_value: str | None


@dataclass(frozen=True, slots=True)
class Manifest:
    kind: str
    """``echo``, ``ern-c`` or ``semaphore``."""
    sender: str
    created_at: datetime | None
    is_test: bool
    root_directory: str | None
    count: int | None
    entries: tuple[ManifestEntry, ...]
    problems: tuple[Problem, ...]


def _manifest_hash(element: Element | None) -> tuple[str | None, str | None, Problem | None]:
    block = kid(element, "HashSum")
    if block is None:
        return None, None, None
    value = kid_text(block, "HashSum") or kid_text(block, "HashSumValue")
    algorithm_element = kid(block, "HashSumAlgorithmType")
    if algorithm_element is None:
        algorithm_element = kid(block, "Algorithm")
    raw_algorithm = text(algorithm_element)
    algorithm = re.sub(r"[^0-9a-z]", "", (raw_algorithm or "").lower())
    if not value or algorithm not in _HASH_LENGTHS:
        return None, None, None
    value = value.lower()
    if len(value) != _HASH_LENGTHS[algorithm] or any(c not in "0123456789abcdef" for c in value):
        return (
            None,
            None,
            Problem(
                "ddex_manifest_hash_invalid",
                f"the manifest's {raw_algorithm} hash {value!r} is not a digest; not checked",
                "warning",
            ),
        )
    return algorithm, value, None


def parse_manifest(data: bytes, *, location: str = "") -> Manifest:
    """Read a ``BatchComplete`` manifest (raises ``XmlError``/``LinerError`` if unreadable)."""
    if not data.strip():
        return Manifest("semaphore", "", None, False, None, None, (), ())
    root = parse_xml(data, location=location)
    if local(root) != "ManifestMessage":
        raise LinerError(
            f"{local(root)!r} is not a batch ManifestMessage",
            location=location,
            code="ddex_manifest_unknown",
        )
    namespace = root.tag.partition("}")[0].lstrip("{") if isinstance(root.tag, str) else ""
    kind = "ern-c" if "ern-c" in namespace else "echo"
    header = kid(root, "MessageHeader")
    created_raw = kid_text(header, "MessageCreatedDateTime")
    created_at = None
    problems: list[Problem] = []
    if created_raw:
        try:
            created_at = parse_datetime(created_raw)
        except LinerError as exc:
            problems.append(Problem("ddex_manifest_created_invalid", str(exc), "warning"))
    count_raw = kid_text(root, "NumberOfMessages")
    count = int(count_raw) if count_raw and count_raw.isdigit() else None
    if count is None:
        problems.append(
            Problem(
                "ddex_manifest_count_missing", "the manifest gives no NumberOfMessages", "warning"
            )
        )
    entries = []
    for element in kids(root, "MessageInBatch"):
        algorithm, value, problem = _manifest_hash(element)
        if problem is not None:
            problems.append(problem)
        included = kid(element, "IncludedReleaseId")
        release_ids = tuple(
            f"{local(child)}:{value_text}"
            for child in (included if included is not None else ())
            if (value_text := text(child))
        )
        entries.append(
            ManifestEntry(
                message_type=kid_text(element, "MessageType"),
                message_id=kid_text(element, "MessageId"),
                url=kid_text(element, "URL"),
                release_ids=release_ids,
                hash_algorithm=algorithm,
                hash_value=value,
            )
        )
    return Manifest(
        kind=kind,
        sender=kid_text(header, "MessageSender", "PartyId") or "",
        created_at=created_at,
        is_test=(kid_text(root, "IsTestFlag") or "").lower() == "true",
        root_directory=kid_text(root, "RootDirectory"),
        count=count,
        entries=tuple(entries),
        problems=tuple(problems),
    )


def resolve_url(folder: Path, url: str) -> Path | None:
    """The file a manifest URL names inside the batch folder. URLs are written from the
    sender's side (``/<BatchId>/<release>/<file>.xml``, ``AWS_S3://bucket/...``), so the
    longest tail of the URL's path that exists inside the folder is taken."""
    cleaned = _SCHEME_RE.sub("", url.strip()).replace("\\", "/")
    parts = [p for p in cleaned.split("/") if p and p != "."]
    if not parts or ".." in parts:
        return None
    root = folder.resolve()
    for start in range(len(parts)):
        candidate = folder.joinpath(*parts[start:])
        if candidate.is_file() and candidate.resolve().is_relative_to(root):
            return candidate
    return None
