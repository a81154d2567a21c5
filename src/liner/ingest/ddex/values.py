"""Mapping of ERN values shared by releases, resources and deals: identifiers, titles,
parental warnings, roles, dates, P/C lines, genres, files, and territory-specific
blocks. Every check that fails is recorded as a problem where it was found."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from liner.ingest.ddex.tree import (
    Element,
    Problems,
    attr,
    is_true,
    kid,
    kid_text,
    kids,
    local,
    text,
)
from liner.ingest.records import DatePrecision, ExternalId, PartialDate
from liner.kit.errors import InputError
from liner.quality.identifiers import (
    CheckDigitError,
    isrc_country_known,
    normalise_grid,
    normalise_icpn,
    normalise_isni,
    normalise_isrc,
    normalise_iswc,
    parse_datetime,
    parse_iso8601_duration,
    parse_partial_date,
)

# ---------------------------------------------------------------------------
# Words
# ---------------------------------------------------------------------------

_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD_RE = re.compile(r"[^0-9a-zA-Z]+")


@lru_cache(maxsize=4096)
def snake(value: str) -> str:
    """``ComposerLyricist`` -> ``composer_lyricist``; ``AdvertisementSupportedModel`` ->
    ``advertisement_supported_model``; spaces and dashes become underscores."""
    spaced = _CAMEL_RE.sub("_", value.strip())
    return _NON_WORD_RE.sub("_", spaced).strip("_").lower()


@lru_cache(maxsize=4096)
def squash(value: str) -> str:
    """Letters and digits only, lower case: how allowed values are compared."""
    return _NON_WORD_RE.sub("", value).lower()


def avs_value(element: Element | None) -> str | None:
    """An allowed-value element: its text, or its ``UserDefinedValue`` when the text is
    ``UserDefined`` (values newer than the sender's AVS arrive this way)."""
    value = text(element)
    if value is None:
        return None
    if value == "UserDefined":
        return attr(element, "UserDefinedValue") or value
    return value


def avs_code(element: Element) -> str | None:
    """An allowed value as a lower_snake code; user-defined values keep their own
    spelling behind ``user_defined:``."""
    value = text(element)
    if value is None:
        return None
    if value == "UserDefined":
        own = attr(element, "UserDefinedValue")
        return f"user_defined:{own}" if own else "user_defined"
    return snake(value)


# ---------------------------------------------------------------------------
# Territory-specific blocks (ERN 3 ``*DetailsByTerritory``, ERN 4 attributes)
# ---------------------------------------------------------------------------


def _is_worldwide(code: str | None) -> bool:
    return code is not None and code.strip().lower() in ("worldwide", "ww", "2136")


def details_blocks(owner: Element, name: str) -> list[Element]:
    """The owner's ``<name>`` blocks, the one for the whole world first: a ``Worldwide``
    block, then a "worldwide except" block, then the others in document order."""
    blocks = kids(owner, name)

    def rank(block: Element) -> int:
        codes = [text(c) for c in kids(block, "TerritoryCode")]
        if any(_is_worldwide(c) for c in codes):
            return 0
        if not codes:
            return 1
        return 2

    return sorted(blocks, key=rank)


def default_first(elements: Sequence[Element]) -> list[Element]:
    """ERN 4 territory/language variants, the default first: ``IsDefault``, then no
    territory or ``Worldwide`` without a language, then worldwide, then the rest."""

    def rank(element: Element) -> int:
        if is_true(attr(element, "IsDefault")):
            return 0
        territory = attr(element, "ApplicableTerritoryCode")
        language = attr(element, "LanguageAndScriptCode")
        worldwide = territory is None or _is_worldwide(territory)
        if worldwide and language is None:
            return 1
        if worldwide:
            return 2
        return 3

    return sorted(elements, key=rank)


def first_text(owners: Iterable[Element], name: str) -> str | None:
    for owner in owners:
        for element in default_first(kids(owner, name)):
            value = text(element)
            if value:
                return value
    return None


def first_element(owners: Iterable[Element], name: str) -> Element | None:
    for owner in owners:
        found = default_first(kids(owner, name))
        if found:
            return found[0]
    return None


# ---------------------------------------------------------------------------
# Titles
# ---------------------------------------------------------------------------

_TITLE_RANK = {"displaytitle": 0, "formaltitle": 1, None: 2}


def _is_version_type(title_type: str | None) -> bool:
    return title_type is not None and "version" in title_type.lower()


def pick_title(owners: Sequence[Element]) -> tuple[str | None, str | None, Element | None]:
    """(title, version title, where) for a release or resource.

    ERN 4: ``DisplayTitle`` (default first) with ``SubTitle``, else ``DisplayTitleText``.
    ERN 3: ``Title`` in the details blocks (the worldwide block first), ``DisplayTitle``
    before ``FormalTitle``, ``SubTitle`` as the version; a ``Title`` whose ``TitleType``
    names a version gives the version. ``ReferenceTitle`` is the last resort.
    """
    candidates: list[tuple[int, int, int, Element]] = []
    version: str | None = None
    for index, owner in enumerate(owners):
        for order, element in enumerate(default_first(kids(owner, "DisplayTitle"))):
            candidates.append((index, 0, order, element))
        for order, element in enumerate(kids(owner, "Title") + kids(owner, "AdditionalTitle")):
            title_type = attr(element, "TitleType")
            if _is_version_type(title_type):
                version = version or kid_text(element, "TitleText")
                continue
            if local(element) == "AdditionalTitle" and title_type is None:
                continue
            key = (title_type or "").lower() or None
            if key == "groupingtitle":
                continue
            rank = 1 + _TITLE_RANK.get(key, 3)
            if attr(element, "LanguageAndScriptCode") is not None:
                rank += 4
            candidates.append((index, rank, order, element))
    candidates.sort(key=lambda c: c[:3])
    for _, _, _, element in candidates:
        title = kid_text(element, "TitleText")
        if title:
            return title, kid_text(element, "SubTitle") or version, element
    for owner in owners:
        display_text = first_text([owner], "DisplayTitleText")
        if display_text:
            return display_text, version, kid(owner, "DisplayTitleText")
    for owner in owners:
        reference = kid(owner, "ReferenceTitle")
        title = kid_text(reference, "TitleText")
        if title:
            return title, kid_text(reference, "SubTitle") or version, reference
    return None, version, None


# ---------------------------------------------------------------------------
# Parental warning
# ---------------------------------------------------------------------------

_PARENTAL = {
    "explicit": "explicit",
    "explicitcontentedited": "explicit_content_edited",
    "notexplicit": "not_explicit",
    "noadviceavailable": "no_advice",
    "unknown": "no_advice",
}


def parental_warning(owners: Sequence[Element], problems: Problems) -> str | None:
    for owner in owners:
        for element in default_first(kids(owner, "ParentalWarningType")):
            value = avs_value(element)
            if value is None:
                continue
            mapped = _PARENTAL.get(squash(value))
            if mapped is None:
                problems.warn(
                    "ddex_parental_warning_unknown",
                    f"unknown ParentalWarningType {value!r}",
                    at=element,
                )
                continue
            return mapped
    return None


# ---------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------

_ROLE_NAMES = (
    "Actor Adapter Arranger Artist AssociatedPerformer Author BackgroundVocalist "
    "Choir ChorusMaster Composer ComposerLyricist Conductor CoProducer Ensemble "
    "Engineer ExecutiveProducer FeaturedArtist Librettist Lyricist MainArtist "
    "MasteringEngineer Mixer MixingEngineer MusicDirector MusicPublisher Musician "
    "Orchestra Performer Producer Programmer RecordingEngineer Remixer Soloist "
    "Songwriter StudioPersonnel StudioProducer SubPublisher Translator Vocalist Writer"
)
_KNOWN_ROLES = frozenset(squash(r) for r in _ROLE_NAMES.split())


def contributor_role(element: Element) -> tuple[str, str | None]:
    """(role, user-defined role) from a role element. A ``UserDefined`` role whose own
    value names a standard role (``Composer``, ``Remixer``...) is mapped to it and keeps
    the sender's spelling; any other becomes ``other``."""
    value = text(element) or "Unknown"
    if value != "UserDefined":
        return snake(value), None
    own = attr(element, "UserDefinedValue")
    if own and squash(own) in _KNOWN_ROLES:
        return snake(own), own
    return "other", own


_DISPLAY_ROLE = {"mainartist": "main", "artist": "main", "featuredartist": "featured"}


def display_role(elements: Sequence[Element]) -> str:
    """The credit role of a display artist with one or more ``ArtistRole``s: main before
    featured before anything else."""
    roles: list[str] = []
    for element in elements:
        value = avs_value(element)
        if value:
            roles.append(_DISPLAY_ROLE.get(squash(value), snake(value)))
    for preferred in ("main", "featured"):
        if preferred in roles:
            return preferred
    return roles[0] if roles else "main"


# ---------------------------------------------------------------------------
# Identifiers
# ---------------------------------------------------------------------------


def checked(
    normalise: Callable[[str], str],
    raw: str,
    problems: Problems,
    at: Element,
    kind: str,
) -> tuple[str | None, bool]:
    """(normalised value or None, syntax ok). A wrong check character keeps the value
    and is a warning; a wrong syntax drops it, also as a warning."""
    try:
        return normalise(raw), True
    except CheckDigitError as exc:
        problems.warn(f"ddex_{kind}_check_digit", str(exc), at=at)
        return exc.value, True
    except InputError as exc:
        problems.warn(f"ddex_{kind}_invalid", str(exc), at=at)
        return None, False


def proprietary_namespace(element: Element, problems: Problems) -> str:
    namespace = attr(element, "Namespace")
    if namespace is None:
        problems.warn(
            "ddex_proprietary_id_namespace_missing",
            "a ProprietaryId must say whose scheme it belongs to (Namespace)",
            at=element,
        )
        return "proprietary:unknown"
    if namespace.upper().startswith("DPID:"):
        namespace = namespace[5:].strip()
    return f"proprietary:{namespace}"


def check_isrc(raw: str, problems: Problems, at: Element) -> str | None:
    value, _ = checked(normalise_isrc, raw, problems, at, "isrc")
    if value is not None and not isrc_country_known(value):
        problems.warn(
            "ddex_isrc_country_unknown",
            f"ISRC {value} starts with {value[:2]!r}, not a known country or agency prefix",
            at=at,
        )
    return value


def resource_ids(
    id_blocks: Iterable[Element], problems: Problems
) -> tuple[str | None, list[ExternalId]]:
    """(ISRC, other ids) from ``SoundRecordingId`` / ``ResourceId`` / ``WorkId`` blocks."""
    isrc: str | None = None
    ids: list[ExternalId] = []
    for block in id_blocks:
        for element in block:
            name = local(element)
            value = text(element)
            if value is None:
                continue
            if name == "ISRC":
                checked_isrc = check_isrc(value, problems, element)
                if isrc is None:
                    isrc = checked_isrc
            elif name == "ISWC":
                iswc, _ = checked(normalise_iswc, value, problems, element, "iswc")
                if iswc is not None:
                    ids.append(ExternalId("iswc", iswc))
            elif name == "ProprietaryId":
                ids.append(ExternalId(proprietary_namespace(element, problems), value))
            elif name == "CatalogNumber":
                ids.append(ExternalId("catalog_number", value))
            elif name in ("ISAN", "VISAN", "ISMN", "ISBN", "ISSN", "EAN"):
                ids.append(ExternalId(name.lower(), value))
    return isrc, ids


def party_ids(element: Element, problems: Problems) -> list[ExternalId]:
    """Ids of a party: ERN 4 ``PartyId`` with ``ISNI``/``DPID``/``IpiNameNumber``/
    ``ProprietaryId`` children, or ERN 3 ``PartyId`` text with ``IsISNI``/``IsDPID``."""
    ids: list[ExternalId] = []
    for block in kids(element, "PartyId"):
        children = list(block)
        if not children:
            value = text(block)
            if value is None:
                continue
            if is_true(attr(block, "IsISNI")):
                isni, _ = checked(normalise_isni, value, problems, block, "isni")
                if isni:
                    ids.append(ExternalId("isni", isni))
            elif is_true(attr(block, "IsDPID")) or value.upper().startswith("PADPIDA"):
                ids.append(ExternalId("dpid", value))
            elif attr(block, "Namespace"):
                ids.append(ExternalId(proprietary_namespace(block, problems), value))
            else:
                ids.append(ExternalId("party_id", value))
            continue
        for child in children:
            name = local(child)
            value = text(child)
            if value is None:
                continue
            if name == "ISNI":
                isni, _ = checked(normalise_isni, value, problems, child, "isni")
                if isni:
                    ids.append(ExternalId("isni", isni))
            elif name == "DPID":
                ids.append(ExternalId("dpid", value))
            elif name == "IpiNameNumber":
                ids.append(ExternalId("ipi", value))
            elif name == "ProprietaryId":
                ids.append(ExternalId(proprietary_namespace(child, problems), value))
            else:
                ids.append(ExternalId(snake(name), value))
    return ids


def release_ids(
    block: Element | None, problems: Problems
) -> tuple[str | None, str | None, str | None, list[ExternalId], dict[str, str]]:
    """(ICPN, GRid, catalog number, other ids, raw values of ids with a bad syntax)."""
    upc: str | None = None
    grid: str | None = None
    catalog: str | None = None
    ids: list[ExternalId] = []
    raw_invalid: dict[str, str] = {}
    if block is None:
        return upc, grid, catalog, ids, raw_invalid
    for element in block:
        name = local(element)
        value = text(element)
        if value is None:
            continue
        if name in ("ICPN", "UPC", "EAN"):
            icpn, ok = checked(normalise_icpn, value, problems, element, "icpn")
            if icpn and upc is None:
                upc = icpn
            elif not ok:
                raw_invalid.setdefault("upc", value)
        elif name == "GRid":
            checked_grid, ok = checked(normalise_grid, value, problems, element, "grid")
            if checked_grid and grid is None:
                grid = checked_grid
            elif not ok:
                raw_invalid.setdefault("grid", value)
        elif name == "CatalogNumber":
            catalog = catalog or value
        elif name == "ProprietaryId":
            ids.append(ExternalId(proprietary_namespace(element, problems), value))
        elif name in ("ISAN", "VISAN", "ISBN", "ISSN", "ISMN", "ISTC", "SICI"):
            ids.append(ExternalId(name.lower(), value))
    return upc, grid, catalog, ids, raw_invalid


_KEY_STRIP_RE = re.compile(r"[\s-]")


def natural_key(
    upc: str | None,
    grid: str | None,
    ids: Sequence[ExternalId],
    catalog_number: str | None,
    raw_invalid: dict[str, str],
) -> str | None:
    """The release's key within its sender: ICPN, else GRid, else the first proprietary
    id, else the catalog number, else an id whose syntax is wrong (as given)."""
    if upc:
        return f"upc:{upc}"
    if grid:
        return f"grid:{grid}"
    for ext in ids:
        if ext.namespace.startswith("proprietary:"):
            return f"{ext.namespace}:{ext.value}"
    if catalog_number:
        return f"catalog_number:{catalog_number}"
    for kind in ("upc", "grid"):
        if kind in raw_invalid:
            return f"{kind}:{_KEY_STRIP_RE.sub('', raw_invalid[kind]).upper()}"
    return None


# ---------------------------------------------------------------------------
# Durations, dates, lines, genres
# ---------------------------------------------------------------------------


def duration_ms(element: Element | None, problems: Problems) -> int | None:
    raw = text(element)
    if raw is None or element is None:
        return None
    try:
        value = parse_iso8601_duration(raw)
    except InputError as exc:
        problems.warn("ddex_duration_invalid", str(exc), at=element)
        return None
    if value == 0:
        problems.warn("ddex_duration_invalid", f"duration {raw!r} is zero", at=element)
        return None
    return value


_PLACEHOLDER_YEARS = (1, 9999)


def event_date(element: Element | None, problems: Problems) -> PartialDate | None:
    """A ``ReleaseDate``-like value. ``IsApproximate`` dates on the first of January (or of
    a month) are taken to be known to the year (or month) only."""
    raw = text(element)
    if raw is None or element is None:
        return None
    try:
        value = parse_partial_date(raw)
    except InputError as exc:
        try:
            value = PartialDate(parse_datetime(raw).date())
        except InputError:
            problems.warn("ddex_date_invalid", str(exc), at=element)
            return None
    if value.value.year in _PLACEHOLDER_YEARS:
        problems.warn("ddex_date_placeholder", f"{raw!r} is a placeholder date", at=element)
        return None
    if is_true(attr(element, "IsApproximate")) and value.precision is DatePrecision.DAY:
        if value.value.month == 1 and value.value.day == 1:
            value = PartialDate(value.value, DatePrecision.YEAR)
        elif value.value.day == 1:
            value = PartialDate(value.value, DatePrecision.MONTH)
    return value


def deal_instant(
    element: Element | None, problems: Problems, *, end: bool = False
) -> datetime | None:
    """A deal boundary. ``*DateTime`` values are exact; a bare date starts at midnight UTC
    and, as an end date, includes the whole day (the end is midnight after it)."""
    raw = text(element)
    if raw is None or element is None:
        return None
    try:
        if local(element).endswith("DateTime"):
            return parse_datetime(raw)
        day = parse_partial_date(raw)
    except InputError as exc:
        problems.warn("ddex_deal_date_invalid", str(exc), at=element)
        return None
    start = datetime(day.value.year, day.value.month, day.value.day, tzinfo=UTC)
    if end:
        try:
            return start + timedelta(days=1)
        except OverflowError:
            return start
    return start


def rights_line(owners: Sequence[Element], name: str, symbol: str) -> str | None:
    """A P-line or C-line: its text, or ``(P) <year> <company>`` built from its parts."""
    element = first_element(owners, name)
    if element is None:
        return None
    line = kid_text(element, f"{name}Text")
    if line:
        return line
    parts = [symbol, kid_text(element, "Year"), kid_text(element, f"{name}Company")]
    if parts[2] is None:
        return None
    return " ".join(p for p in parts if p)


def genres(owners: Sequence[Element]) -> tuple[str, ...]:
    found: list[str] = []
    for owner in owners:
        for genre in default_first(kids(owner, "Genre")):
            for name in ("GenreText", "SubGenre"):
                value = kid_text(genre, name)
                if value and value not in found:
                    found.append(value)
    return tuple(found)
