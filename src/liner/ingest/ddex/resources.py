"""The ``ResourceList``: sound recordings, images and the kinds a streaming catalog does
not carry (videos, MIDI, text...), by ``ResourceReference``.

ERN 3 keeps most details in ``*DetailsByTerritory`` blocks; ERN 4 puts them on the
resource itself (4.3 moves ids, P-line and files into ``SoundRecordingEdition``). Both
are read by looking at the blocks first and the resource itself last.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from liner.ingest.ddex.files import file_assets
from liner.ingest.ddex.parties import Parties, contributors_of, credits_of
from liner.ingest.ddex.tree import Element, Problems, every, kid, kid_text, kids, local
from liner.ingest.ddex.values import (
    avs_value,
    details_blocks,
    duration_ms,
    genres,
    parental_warning,
    pick_title,
    resource_ids,
)
from liner.ingest.records import ArtistCredit, Contributor, ExternalId, FileAsset, Image

AUDIO = "SoundRecording"
IMAGE = "Image"
RESOURCE_KINDS = frozenset(
    {AUDIO, IMAGE, "Video", "MIDI", "Text", "SheetMusic", "Software", "UserDefinedResource"}
)
FRONT_COVER_TYPES = frozenset({"FrontCoverImage", "CoverArt", "CoverImage"})


@dataclass(slots=True)
class Resource:
    reference: str
    kind: str
    element: Element
    type: str | None = None
    title: str | None = None
    version_title: str | None = None
    isrc: str | None = None
    ids: tuple[ExternalId, ...] = ()
    duration_ms: int | None = None
    parental_warning: str | None = None
    artists: tuple[ArtistCredit, ...] = ()
    contributors: tuple[Contributor, ...] = ()
    genres: tuple[str, ...] = ()
    assets: tuple[FileAsset, ...] = ()
    width: int | None = None
    height: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_audio(self) -> bool:
        return self.kind == AUDIO

    @property
    def is_front_cover(self) -> bool:
        return self.kind == IMAGE and self.type in FRONT_COVER_TYPES

    def image(self) -> Image | None:
        if self.kind != IMAGE or not self.assets:
            return None
        return Image(url=self.assets[0].uri, width=self.width, height=self.height)


def _technical_blocks(resource: Element, owners: list[Element], kind: str) -> list[Element]:
    for owner in owners:
        blocks = kids(owner, f"Technical{kind}Details") + kids(owner, "TechnicalDetails")
        if blocks:
            return blocks
    return every(resource, f"{kind}Edition", "TechnicalDetails")


def _pixels(blocks: list[Element], name: str, problems: Problems) -> int | None:
    for block in blocks:
        element = kid(block, name)
        raw = kid_text(block, name)
        if raw is None or element is None:
            continue
        try:
            value = int(float(raw))
        except ValueError:
            problems.warn("ddex_image_size_invalid", f"{name} {raw!r} is not a number", at=element)
            continue
        if value <= 0:
            problems.warn("ddex_image_size_invalid", f"{name} {raw!r} is not positive", at=element)
            continue
        return value
    return None


def _resource(element: Element, kind: str, parties: Parties, problems: Problems) -> Resource | None:
    reference = kid_text(element, "ResourceReference")
    if reference is None:
        problems.warn(
            "ddex_resource_reference_missing", f"{kind} without ResourceReference", at=element
        )
        return None
    owners = [*details_blocks(element, f"{kind}DetailsByTerritory"), element]
    type_element = kid(element, f"{kind}Type")
    if type_element is None:
        type_element = kid(element, "Type")
    resource = Resource(
        reference=reference, kind=kind, element=element, type=avs_value(type_element)
    )
    if kind not in (AUDIO, IMAGE):
        resource.title, resource.version_title, _ = pick_title(owners)
        return resource
    technical = _technical_blocks(element, owners, kind)
    if kind == IMAGE:
        resource.assets = tuple(file_assets(technical, "image", problems))
        resource.width = _pixels(technical, "ImageWidth", problems)
        resource.height = _pixels(technical, "ImageHeight", problems)
        return resource
    id_blocks = (
        kids(element, "SoundRecordingId")
        + kids(element, "IndirectSoundRecordingId")
        + kids(element, "ResourceId")
        + every(element, "SoundRecordingEdition", "ResourceId")
        + kids(element, "WorkId")
    )
    isrc, ids = resource_ids(id_blocks, problems)
    resource.isrc = isrc
    resource.ids = tuple(dict.fromkeys(ids))
    resource.title, resource.version_title, _ = pick_title(owners)
    resource.duration_ms = duration_ms(kid(element, "Duration"), problems)
    resource.parental_warning = parental_warning(owners, problems)
    resource.artists = credits_of(owners, parties, problems)
    resource.contributors = contributors_of(owners, parties, problems)
    resource.genres = genres(owners)
    resource.assets = tuple(file_assets(technical, "audio", problems))
    return resource


def parse_resources(
    resource_list: Element | None, parties: Parties, problems: Problems
) -> dict[str, Resource]:
    resources: dict[str, Resource] = {}
    if resource_list is None:
        return resources
    for element in resource_list:
        kind = local(element)
        if kind not in RESOURCE_KINDS:
            continue
        resource = _resource(element, kind, parties, problems)
        if resource is None:
            continue
        if resource.reference in resources:
            problems.warn(
                "ddex_resource_reference_duplicate",
                f"resource {resource.reference} is defined twice; the first is used",
                at=element,
            )
            continue
        resources[resource.reference] = resource
    return resources
