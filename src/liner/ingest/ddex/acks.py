"""Acknowledgement files: one per message, in an ``ack/`` folder beside the delivery.

The format is Liner's own (namespace ``urn:liner:ddex-ack:1``), described in
``docs/ddex.md``; it is not a DDEX ACK standard message. Its ``FileStatus`` borrows
the vocabulary of the ERN choreography standards' FileStatus so that partners can map
it. Files are written atomically and rewritten only when their content changes, so a
re-run leaves them as they were.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from lxml import etree

from liner.ingest.ddex.outcomes import MessageOutcome, Status

NAMESPACE = "urn:liner:ddex-ack:1"
_SAFE_RE = re.compile(r"[^A-Za-z0-9._-]+")


def file_status(outcome: MessageOutcome) -> str:
    """A DDEX FileStatus-style summary of the outcome."""
    if outcome.status is not Status.REJECTED:
        return "FileOK"
    codes = {p.code for p in outcome.errors}
    if "ddex_asset_corrupt" in codes:
        return "ResourceCorrupt"
    if "ddex_internal_error" in codes:
        return "InternalError"
    return "NewReleaseMessageInvalid"


def ack_name(outcome: MessageOutcome) -> str:
    stem = _SAFE_RE.sub("_", outcome.message_id).strip("_")[:80] or "message"
    return f"ACK_{stem}_{outcome.sha256[:12]}.xml"


def _add(parent: etree._Element, name: str, value: str | None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{name}")
    if value is not None:
        element.text = value
    return element


def render_ack(outcome: MessageOutcome) -> bytes:
    root = etree.Element(
        f"{{{NAMESPACE}}}LinerDeliveryAcknowledgement",
        nsmap={None: NAMESPACE},  # type: ignore[dict-item]
    )
    root.set("SchemaVersion", "1")
    _add(root, "DeliveryId", outcome.delivery_id)
    _add(root, "AcknowledgedFile", Path(outcome.file).name if outcome.file else None)
    _add(root, "FileSha256", outcome.sha256)
    _add(root, "MessageId", outcome.message_id)
    if outcome.thread_id:
        _add(root, "MessageThreadId", outcome.thread_id)
    _add(root, "MessageSender", outcome.sender)
    if outcome.message_type:
        _add(root, "MessageType", outcome.message_type)
    if outcome.version:
        _add(root, "ErnVersion", outcome.version)
    if outcome.created_at:
        _add(root, "MessageCreatedDateTime", outcome.created_at.isoformat())
    if outcome.batch:
        _add(root, "BatchId", outcome.batch)
    _add(root, "Status", str(outcome.status))
    _add(root, "FileStatus", file_status(outcome))
    if outcome.processed_at:
        _add(root, "ProcessedDateTime", outcome.processed_at.isoformat())
    releases = _add(root, "Releases", None)
    for release in outcome.releases:
        element = _add(releases, "Release", None)
        element.set("Result", release.result)
        _add(element, "SourceKey", release.source_key)
        if release.public_id:
            _add(element, "AlbumId", release.public_id)
    problems = _add(root, "Problems", None)
    for problem in outcome.problems:
        element = _add(problems, "Problem", None)
        element.set("Severity", problem.severity)
        element.set("Code", problem.code)
        _add(element, "Message", problem.message)
        if problem.location:
            _add(element, "Location", problem.location)
    assets = _add(root, "Assets", None)
    for asset in outcome.assets:
        element = _add(assets, "Asset", None)
        element.set("Status", asset.status)
        element.set("Kind", asset.kind)
        _add(element, "Uri", asset.uri)
        _add(element, "Owner", asset.owner)
        if asset.algorithm and asset.expected:
            hash_element = _add(element, "HashSum", asset.expected)
            hash_element.set("Algorithm", asset.algorithm)
    body: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return body


def write_ack(outcome: MessageOutcome, folder: Path) -> Path:
    """Write the acknowledgement of ``outcome`` into ``folder``; returns its path."""
    body = render_ack(outcome)
    target = folder / ack_name(outcome)
    try:
        if target.read_bytes() == body:
            return target
    except OSError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".ack-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(body)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
