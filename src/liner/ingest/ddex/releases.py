"""The ``ReleaseList``: which releases are main releases, what type they are, the order
of their tracks, and the :class:`ReleaseRecord` each carried one becomes.

Track order comes from the ``ResourceGroup`` tree. When the top group holds groups
with audio (ERN 3 "Component"/"Disc" groups, box sets), each of those is a disc and
everything below it is flattened in ``SequenceNumber`` order (classical works nest a
level deeper); groups typed as works (``ResourceGroupType="MultiWorkPart"``) are not
discs. Otherwise the top group is the only disc. Track numbers run 1..n per
disc. Without any group, the ``ReleaseResourceReferenceList`` order is used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from liner.ingest.ddex.parties import Parties, credits_of
from liner.ingest.ddex.resources import Resource
from liner.ingest.ddex.tree import (
    Element,
    Problems,
    attr,
    by_sequence,
    is_true,
    kid,
    kids,
    local,
    text,
)
from liner.ingest.ddex.values import (
    avs_value,
    default_first,
    details_blocks,
    event_date,
    first_element,
    first_text,
    genres,
    natural_key,
    parental_warning,
    pick_title,
    release_ids,
    rights_line,
    squash,
)
from liner.ingest.records import Availability, ExternalId, ReleaseRecord, ReleaseType, TrackRecord

_TYPES: dict[str, ReleaseType] = {
    "album": ReleaseType.ALBUM,
    "classicalalbum": ReleaseType.ALBUM,
    "digitalboxsetrelease": ReleaseType.ALBUM,
    "classicaldigitalboxedset": ReleaseType.ALBUM,
    "multimediaalbum": ReleaseType.ALBUM,
    "multimediadigitalboxedset": ReleaseType.ALBUM,
    "bundle": ReleaseType.ALBUM,
    "djmix": ReleaseType.ALBUM,
    "karaokerelease": ReleaseType.ALBUM,
    "audiobookrelease": ReleaseType.ALBUM,
    "single": ReleaseType.SINGLE,
    "singleresourcerelease": ReleaseType.SINGLE,
    "multimediasingle": ReleaseType.SINGLE,
    "audiosingle": ReleaseType.SINGLE,
    "ep": ReleaseType.EP,
    "compilation": ReleaseType.COMPILATION,
}

NOT_CARRIED_TYPES = frozenset(
    {
        "ringtonerelease",
        "ringtone",
        "ringbacktonerelease",
        "ringbacktone",
        "videomastertonerelease",
        "alerttonerelease",
        "mastertone",
        "emastertone",
        "realtone",
        "video",
        "videosingle",
        "videoalbum",
        "videotrackrelease",
        "concertvideo",
        "longformmusicalworkvideorelease",
        "longformnonmusicalworkvideorelease",
        "shortfilm",
        "featurefilm",
        "documentary",
        "episode",
        "season",
        "series",
        "sheetmusicrelease",
        "lyricsheetrelease",
        "musicalworkbasedgamerelease",
        "nonmusicalworkbasedgamerelease",
    }
)
TRACK_RELEASE_TYPES = frozenset({"trackrelease", "videotrackrelease"})


def type_values(element: Element) -> list[str]:
    return [v for v in (avs_value(e) for e in kids(element, "ReleaseType")) if v]


@dataclass(slots=True)
class ReleaseElements:
    main: list[Element]
    others: list[Element]


def split_releases(release_list: Element | None, *, ern4: bool) -> ReleaseElements:
    """Main releases and the others (track releases...). ERN 4 has its own
    ``TrackRelease`` element; ERN 3 flags main releases with ``IsMainRelease`` or, when
    nothing is flagged, leaves track releases out by their type."""
    releases = kids(release_list, "Release")
    if ern4:
        main = [r for r in releases if attr(r, "IsMainRelease") != "false"]
        others = [r for r in releases if r not in main] + kids(release_list, "TrackRelease")
        return ReleaseElements(main, others)
    flagged = [r for r in releases if is_true(attr(r, "IsMainRelease"))]
    if flagged:
        return ReleaseElements(flagged, [r for r in releases if r not in flagged])
    main = [
        r for r in releases if not any(squash(v) in TRACK_RELEASE_TYPES for v in type_values(r))
    ]
    return ReleaseElements(main, [r for r in releases if r not in main])


def release_owners(element: Element) -> list[Element]:
    return [*details_blocks(element, "ReleaseDetailsByTerritory"), element]


def _listed_references(element: Element) -> list[Element]:
    return kids(element, "ReleaseResourceReference") + [
        ref
        for listing in kids(element, "ReleaseResourceReferenceList")
        for ref in kids(listing, "ReleaseResourceReference")
    ]


def all_resource_references(element: Element) -> list[str]:
    """Every resource a release points at: its list, its groups, their linked items."""
    found: list[str] = []
    elements = _listed_references(element)
    for owner in release_owners(element):
        for group in kids(owner, "ResourceGroup"):
            for node in group.iter():
                if local(node) in ("ReleaseResourceReference", "LinkedReleaseResourceReference"):
                    elements.append(node)
    for node in elements:
        value = text(node)
        if value and value not in found:
            found.append(value)
    return found


def primary_audio(element: Element, resources: Mapping[str, Resource]) -> list[str]:
    """Audio resources a (track) release is about."""
    found = []
    for node in _listed_references(element):
        if attr(node, "ReleaseResourceType") == "SecondaryResource":
            continue
        value = text(node)
        resource = resources.get(value) if value else None
        if resource is not None and resource.is_audio and resource.reference not in found:
            found.append(resource.reference)
    return found


def _group_children(group: Element) -> list[Element]:
    return [c for c in group if local(c) in ("ResourceGroup", "ResourceGroupContentItem")]


_COMPONENT_TYPES = frozenset({"component", "disc", "side", "volume", "medium", "releasecomponent"})


def _is_component(group: Element) -> bool:
    """A group that is a disc (or side, volume...), not a work in a classical release."""
    group_type = attr(group, "ResourceGroupType")
    return group_type is None or squash(group_type) in _COMPONENT_TYPES


def _contains_audio(group: Element, resources: Mapping[str, Resource]) -> bool:
    for node in group.iter():
        if local(node) == "ReleaseResourceReference":
            resource = resources.get(text(node) or "")
            if resource is not None and resource.is_audio:
                return True
    return False


def _flatten(
    children: Sequence[Element],
    resources: Mapping[str, Resource],
    problems: Problems,
    out: list[str],
) -> None:
    for child in by_sequence(children):
        if local(child) == "ResourceGroup":
            _flatten(_group_children(child), resources, problems, out)
            continue
        if local(child) != "ResourceGroupContentItem":
            continue
        reference_element = kid(child, "ReleaseResourceReference")
        reference = text(reference_element)
        if reference is None:
            continue
        resource = resources.get(reference)
        if resource is None:
            problems.error(
                "ddex_resource_reference_dangling",
                f"release lists resource {reference}, which is not in the ResourceList",
                at=reference_element,
            )
            continue
        if resource.is_audio:
            out.append(reference)


def track_order(
    element: Element, resources: Mapping[str, Resource], problems: Problems
) -> list[tuple[int, int, str]]:
    """(disc, track, resource reference) for every audio resource of a release."""
    top: Element | None = None
    for owner in release_owners(element):
        top = kid(owner, "ResourceGroup")
        if top is not None:
            break
    discs: list[list[str]] = []
    if top is not None:
        sub_groups = [
            g
            for g in by_sequence(kids(top, "ResourceGroup"))
            if _is_component(g) and _contains_audio(g, resources)
        ]
        if sub_groups:
            loose: list[str] = []
            others = [c for c in _group_children(top) if c not in sub_groups]
            _flatten(others, resources, problems, loose)
            discs.append(loose)
            for group in sub_groups:
                disc: list[str] = []
                _flatten(_group_children(group), resources, problems, disc)
                discs.append(disc)
        else:
            single: list[str] = []
            _flatten(_group_children(top), resources, problems, single)
            discs.append(single)
    else:
        listed = []
        for node in _listed_references(element):
            reference = text(node)
            if reference is None:
                continue
            resource = resources.get(reference)
            if resource is None:
                problems.error(
                    "ddex_resource_reference_dangling",
                    f"release lists resource {reference}, which is not in the ResourceList",
                    at=node,
                )
            elif resource.is_audio:
                listed.append(reference)
        discs.append(listed)
    order: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    for disc_number, disc in enumerate((d for d in discs if d), start=1):
        position = 0
        for reference in disc:
            if reference in seen:
                problems.warn(
                    "ddex_track_duplicate",
                    f"resource {reference} appears twice in the release; kept once",
                    at=element,
                )
                continue
            seen.add(reference)
            position += 1
            order.append((disc_number, position, reference))
    return order


def release_type(
    element: Element, owners: Sequence[Element], track_count: int, problems: Problems
) -> tuple[ReleaseType | None, str | None]:
    """(type, None) for a carried release, or (None, raw type) for one not carried."""
    values = type_values(element)
    for value in values:
        if squash(value) in NOT_CARRIED_TYPES:
            return None, value
    mapped: ReleaseType | None = None
    for value in values:
        mapped = _TYPES.get(squash(value))
        if mapped is not None:
            break
    if mapped is None:
        guess = ReleaseType.SINGLE if track_count == 1 else ReleaseType.ALBUM
        problems.warn(
            "ddex_release_type_unknown",
            f"release type {', '.join(values) or '(none)'} is not one Liner maps; "
            f"taken as {guess.value}",
            at=kid(element, "ReleaseType") if values else element,
        )
        mapped = guess
    compilation = first_text(owners, "IsMultiArtistCompilation") or first_text(
        owners, "IsCompilation"
    )
    if mapped is ReleaseType.ALBUM and is_true(compilation):
        mapped = ReleaseType.COMPILATION
    return mapped, None


@dataclass(slots=True)
class ReleaseContext:
    resources: Mapping[str, Resource]
    parties: Parties
    deals: Mapping[str, tuple[Availability, ...]]
    track_deals: Mapping[str, tuple[Availability, ...]]
    track_genres: Mapping[str, tuple[str, ...]]
    problems: Problems


def _label(element: Element, owners: Sequence[Element], context: ReleaseContext) -> str | None:
    name = first_text(owners, "LabelName")
    if name:
        return name
    references = default_first(kids(element, "ReleaseLabelReference"))
    if references:
        return context.parties.name_of(references[0])
    return None


def _images(references: Sequence[str], context: ReleaseContext, element: Element) -> list[Resource]:
    images = [
        r
        for r in (context.resources.get(ref) for ref in references)
        if r is not None and r.kind == "Image"
    ]
    covers = [r for r in images if r.is_front_cover]
    if images and not covers:
        context.problems.warn(
            "ddex_front_cover_missing",
            "the release has images but no FrontCoverImage; the first image is used",
            at=element,
        )
        return images[:1]
    if not images:
        context.problems.warn("ddex_image_missing", "the release has no image", at=element)
    return covers


def _track(
    disc: int, number: int, resource: Resource, release_warning: str | None, context: ReleaseContext
) -> TrackRecord:
    problems = context.problems
    if not resource.title:
        problems.error(
            "ddex_track_title_missing",
            f"sound recording {resource.reference} has no title",
            at=resource.element,
        )
    if resource.isrc is None:
        problems.warn(
            "ddex_isrc_missing",
            f"sound recording {resource.reference} has no valid ISRC",
            at=resource.element,
        )
    if resource.duration_ms is None:
        problems.warn(
            "ddex_duration_missing",
            f"sound recording {resource.reference} has no usable duration",
            at=resource.element,
        )
    warning = resource.parental_warning or release_warning
    return TrackRecord(
        title=resource.title or "",
        disc_number=disc,
        track_number=number,
        isrc=resource.isrc,
        version_title=resource.version_title,
        duration_ms=resource.duration_ms,
        explicit=warning == "explicit",
        artists=resource.artists,
        contributors=resource.contributors,
        ids=resource.ids,
        genres=resource.genres or context.track_genres.get(resource.reference, ()),
        availability=context.track_deals.get(resource.reference, ()),
        assets=resource.assets,
        source_ref=resource.reference,
    )


def build_release(
    element: Element, context: ReleaseContext
) -> tuple[ReleaseRecord | None, str | None, str]:
    """(record, None, "") for a carried release, else (None, reason code, detail)."""
    problems = context.problems
    owners = release_owners(element)
    order = track_order(element, context.resources, problems)
    kind, not_carried = release_type(element, owners, len(order), problems)
    if kind is None:
        return None, "release_type_not_carried", f"release type {not_carried} is not carried"
    if not order:
        kinds = sorted(
            {
                r.kind
                for r in (context.resources.get(x) for x in all_resource_references(element))
                if r is not None
            }
        )
        return (
            None,
            "no_sound_recordings",
            f"the release has no sound recording ({', '.join(kinds) or 'no resources'})",
        )
    title, version, _ = pick_title(owners)
    if not title:
        problems.error("ddex_release_title_missing", "the release has no title", at=element)
    upc = grid = catalog = None
    ids: list[ExternalId] = []
    raw_invalid: dict[str, str] = {}
    for block in kids(element, "ReleaseId"):
        b_upc, b_grid, b_catalog, b_ids, b_raw = release_ids(block, problems)
        upc, grid, catalog = upc or b_upc, grid or b_grid, catalog or b_catalog
        ids.extend(b_ids)
        for key, value in b_raw.items():
            raw_invalid.setdefault(key, value)
    source_key = natural_key(upc, grid, ids, catalog, raw_invalid)
    if source_key is None:
        problems.error(
            "ddex_release_id_missing", "the release has no ICPN, GRid or proprietary id", at=element
        )
    artists = credits_of(owners, context.parties, problems)
    if not artists:
        problems.warn(
            "ddex_release_artist_missing", "the release names no display artist", at=element
        )
    references = all_resource_references(element)
    ignored = sorted(
        {
            r.kind
            for r in (context.resources.get(x) for x in references)
            if r is not None and r.kind not in ("SoundRecording", "Image")
        }
    )
    if ignored:
        problems.warn(
            "ddex_resources_not_carried",
            f"{', '.join(ignored)} resources of the release are not carried",
            at=element,
        )
    warning = parental_warning(owners, problems)
    images = _images(references, context, element)
    release_date_element = first_element(owners, "ReleaseDate")
    if release_date_element is None:
        release_date_element = first_element(owners, "GlobalReleaseDate")
    original_element = first_element(owners, "OriginalReleaseDate")
    if original_element is None:
        original_element = first_element(owners, "GlobalOriginalReleaseDate")
    tracks = []
    for disc, number, resource_reference in order:
        track = _track(disc, number, context.resources[resource_reference], warning, context)
        tracks.append(track if track.artists else replace(track, artists=artists))
    reference = text(kid(element, "ReleaseReference"))
    record = ReleaseRecord(
        title=title or "",
        release_type=kind,
        upc=upc,
        grid=grid,
        catalog_number=catalog,
        ids=tuple(dict.fromkeys(ids)),
        version_title=version,
        artists=artists,
        label=_label(element, owners, context),
        p_line=rights_line(owners, "PLine", "(P)"),
        c_line=rights_line(owners, "CLine", "(C)"),
        release_date=event_date(release_date_element, problems),
        original_release_date=event_date(original_element, problems),
        genres=genres(owners),
        parental_warning=warning,
        images=tuple(i for i in (r.image() for r in images) if i is not None),
        tracks=tuple(tracks),
        availability=context.deals.get(reference or "", ()),
        assets=tuple(asset for r in images for asset in r.assets),
        source_key=source_key,
    )
    return record, None, ""
