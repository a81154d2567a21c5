"""``parse_ern``: ERN 3 and 4 messages in, source-neutral records out.

Pure: bytes in, records out; no database, network or filesystem. Hostile or malformed
XML is refused by :func:`liner.kit.xml.parse_xml` (``XmlError``); a root that is not a
NewReleaseMessage or PurgeReleaseMessage raises :class:`DdexError`. Everything else
found wrong becomes a :class:`~liner.ingest.records.Problem` on the message: ``error``
problems make the message unusable, ``warning`` problems are kept for the quality
report.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from liner.ingest.ddex.deals import merge, parse_deals
from liner.ingest.ddex.model import (
    DdexError,
    ErnMessage,
    MessageParty,
    MessageType,
    PurgedRelease,
    SkippedRelease,
)
from liner.ingest.ddex.parties import Parties
from liner.ingest.ddex.releases import (
    TRACK_RELEASE_TYPES,
    ReleaseContext,
    all_resource_references,
    build_release,
    primary_audio,
    release_owners,
    split_releases,
    type_values,
)
from liner.ingest.ddex.resources import parse_resources
from liner.ingest.ddex.tree import (
    Element,
    Problems,
    attr,
    indexed,
    kid,
    kid_text,
    kids,
    local,
    text,
)
from liner.ingest.ddex.values import genres, natural_key, pick_title, release_ids, squash
from liner.ingest.ddex.versions import detect_version
from liner.ingest.records import Availability, ExternalId, ReleaseRecord
from liner.kit.errors import InputError
from liner.kit.xml import parse_xml
from liner.quality.identifiers import CheckDigitError, normalise_dpid, parse_datetime

__all__ = ["parse_ern"]

_MESSAGE_TYPES = {t.value: t for t in MessageType}


def parse_ern(data: bytes, *, location: str = "") -> ErnMessage:
    """Parse one ERN message (``NewReleaseMessage`` or ``PurgeReleaseMessage``, ERN
    3.4 to 4.3) into an :class:`ErnMessage`."""
    root = parse_xml(data, location=location)
    with indexed():
        return _message(root, location)


def _message(root: Element, location: str) -> ErnMessage:
    name = local(root)
    message_type = _MESSAGE_TYPES.get(name)
    if message_type is None:
        raise DdexError(
            f"{name!r} is not an ERN message Liner reads "
            "(NewReleaseMessage or PurgeReleaseMessage)",
            location=location,
            code="ddex_unknown_message_type",
        )
    problems = Problems()
    version = detect_version(root, problems, location=location)
    header = _Header(kid(root, "MessageHeader"), problems, root)
    message = ErnMessage(
        message_type=message_type,
        version=version.version,
        message_id=header.message_id,
        thread_id=header.thread_id,
        sender_dpid=header.sender.dpid,
        sender_name=header.sender.name,
        created_at=header.created_at,
        recipients=header.recipients,
        sent_on_behalf_of=header.on_behalf_of,
        update_indicator=kid_text(root, "UpdateIndicator"),
        control_type=kid_text(kid(root, "MessageHeader"), "MessageControlType"),
        release_profile=attr(root, "ReleaseProfileVersionId"),
        location=location,
    )
    if message_type is MessageType.PURGE_RELEASE:
        purged = _purged(root, problems)
        return replace(message, purged=purged, problems=problems.freeze())
    releases, skipped = _releases(root, problems, ern4=version.is_ern4)
    return replace(message, releases=releases, skipped=skipped, problems=problems.freeze())


class _Header:
    def __init__(self, header: Element | None, problems: Problems, root: Element) -> None:
        if header is None:
            problems.error("ddex_header_missing", "the message has no MessageHeader", at=root)
        self.message_id = kid_text(header, "MessageId") or ""
        if not self.message_id:
            problems.warn(
                "ddex_message_id_missing",
                "the message has no MessageId",
                at=header if header is not None else root,
            )
        self.thread_id = kid_text(header, "MessageThreadId")
        sender_element = kid(header, "MessageSender")
        self.sender = self._party(sender_element, problems, role="sender")
        if self.sender.dpid is None:
            problems.error(
                "ddex_sender_missing",
                "the message does not say who sent it (MessageSender/PartyId)",
                at=sender_element if sender_element is not None else header,
            )
        on_behalf = kid(header, "SentOnBehalfOf")
        self.on_behalf_of = (
            self._party(on_behalf, problems, role="sent_on_behalf_of")
            if on_behalf is not None
            else None
        )
        self.recipients = tuple(
            self._party(r, problems, role="recipient") for r in kids(header, "MessageRecipient")
        )
        created_element = kid(header, "MessageCreatedDateTime")
        raw = text(created_element)
        self.created_at = None
        if raw is None:
            problems.error(
                "ddex_created_missing", "the message has no MessageCreatedDateTime", at=header
            )
        else:
            try:
                self.created_at = parse_datetime(raw)
            except InputError as exc:
                problems.error("ddex_created_invalid", str(exc), at=created_element)
            else:
                if self.created_at.year < 1990:
                    problems.warn(
                        "ddex_created_implausible",
                        f"MessageCreatedDateTime {raw!r} is a placeholder",
                        at=created_element,
                    )

    @staticmethod
    def _party(element: Element | None, problems: Problems, *, role: str) -> MessageParty:
        id_element = kid(element, "PartyId")
        dpid = text(id_element)
        if dpid is not None and id_element is not None:
            try:
                dpid = normalise_dpid(dpid)
            except CheckDigitError as exc:
                problems.warn(f"ddex_{role}_dpid_check_digit", str(exc), at=id_element)
                dpid = exc.value
            except InputError as exc:
                problems.warn(f"ddex_{role}_dpid_invalid", str(exc), at=id_element)
        name = kid_text(element, "PartyName", "FullName") or kid_text(element, "TradingName")
        return MessageParty(dpid=dpid, name=name)


def _purged(root: Element, problems: Problems) -> tuple[PurgedRelease, ...]:
    purged: list[PurgedRelease] = []
    elements = kids(root, "PurgedRelease") + kids(kid(root, "PurgedReleaseList"), "PurgedRelease")
    if not elements:
        problems.error("ddex_purged_release_missing", "the purge names no release", at=root)
    for element in elements:
        ids: list[ExternalId] = []
        upc = grid = catalog = None
        raw_invalid: dict[str, str] = {}
        others: list[ExternalId] = []
        for block in kids(element, "ReleaseId"):
            b_upc, b_grid, b_catalog, b_ids, b_raw = release_ids(block, problems)
            upc, grid, catalog = upc or b_upc, grid or b_grid, catalog or b_catalog
            others.extend(b_ids)
            for key, value in b_raw.items():
                raw_invalid.setdefault(key, value)
        if upc:
            ids.append(ExternalId("upc", upc))
        if grid:
            ids.append(ExternalId("grid", grid))
        if catalog:
            ids.append(ExternalId("catalog_number", catalog))
        ids.extend(others)
        source_key = natural_key(upc, grid, others, catalog, raw_invalid)
        for kind, raw in raw_invalid.items():
            ids.append(ExternalId(kind, raw))
        if source_key is None:
            problems.error("ddex_release_id_missing", "purged release without an id", at=element)
        title, _, _ = pick_title([element])
        purged.append(
            PurgedRelease(ids=tuple(dict.fromkeys(ids)), source_key=source_key, title=title)
        )
    return tuple(purged)


def _releases(
    root: Element, problems: Problems, *, ern4: bool
) -> tuple[tuple[ReleaseRecord, ...], tuple[SkippedRelease, ...]]:
    parties = Parties(kid(root, "PartyList"), problems)
    resources = parse_resources(kid(root, "ResourceList"), parties, problems)
    deals = parse_deals(kid(root, "DealList"), problems)
    release_list = kid(root, "ReleaseList")
    split = split_releases(release_list, ern4=ern4)
    track_deals: dict[str, list[Availability]] = defaultdict(list)
    track_genres: dict[str, tuple[str, ...]] = {}
    others: list[tuple[Element, str | None, list[str]]] = []
    for element in split.others:
        reference = kid_text(element, "ReleaseReference")
        audio = primary_audio(element, resources)
        others.append((element, reference, audio))
        for resource_reference in audio:
            track_deals[resource_reference].extend(deals.get(reference or "", ()))
            track_genres.setdefault(resource_reference, genres(release_owners(element)))
    known = {kid_text(e, "ReleaseReference") for e in split.main + split.others}
    for reference in deals:
        if reference not in known:
            problems.warn(
                "ddex_deal_reference_dangling",
                f"a deal applies to release {reference}, which is not in the ReleaseList",
                at=kid(root, "DealList"),
            )
    context = ReleaseContext(
        resources=resources,
        parties=parties,
        deals=deals,
        track_deals={ref: merge(found) for ref, found in track_deals.items()},
        track_genres=track_genres,
        problems=problems,
    )
    if not split.main:
        problems.error(
            "ddex_no_main_release",
            "the message has no main release",
            at=release_list if release_list is not None else root,
        )
    releases = []
    skipped: list[SkippedRelease] = []
    carried: set[str] = set()
    for element in split.main:
        record, reason, detail = build_release(element, context)
        if record is not None:
            releases.append(record)
            carried.update(t.source_ref for t in record.tracks if t.source_ref)
        else:
            skipped.append(_skipped(element, reason or "not_carried", detail))
    referenced = {r for e in split.main + split.others for r in all_resource_references(e)}
    for resource in resources.values():
        if resource.is_audio and resource.reference not in referenced:
            problems.warn(
                "ddex_resource_unused",
                f"sound recording {resource.reference} belongs to no release",
                at=resource.element,
            )
    for element, _, audio in others:
        if audio and all(reference in carried for reference in audio):
            continue
        types = [v for v in type_values(element) if v]
        squashed = [squash(t) for t in types]
        if not audio:
            reason, detail = "no_sound_recordings", "the release has no sound recording"
        elif local(element) == "TrackRelease" or any(t in TRACK_RELEASE_TYPES for t in squashed):
            reason, detail = "track_release_not_carried", "a track of no carried release"
        else:
            reason, detail = "not_main_release", "a release other than the main release"
        skipped.append(_skipped(element, reason, detail))
    return tuple(releases), tuple(skipped)


def _skipped(element: Element, reason: str, detail: str) -> SkippedRelease:
    scratch = Problems()
    title, _, _ = pick_title(release_owners(element))
    ids: list[ExternalId] = []
    for block in kids(element, "ReleaseId"):
        upc, grid, catalog, others, _ = release_ids(block, scratch)
        if upc:
            ids.append(ExternalId("upc", upc))
        if grid:
            ids.append(ExternalId("grid", grid))
        if catalog:
            ids.append(ExternalId("catalog_number", catalog))
        ids.extend(others)
    types = type_values(element)
    return SkippedRelease(
        reference=kid_text(element, "ReleaseReference"),
        reason=reason,
        detail=detail,
        title=title,
        release_type=types[0] if types else None,
        ids=tuple(ids),
    )
