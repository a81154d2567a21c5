"""Parties and credits: ERN 4 ``PartyList`` resolved by reference, ERN 3 inline parties,
display artists in order with the phrases that join them, and contributors with roles."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from liner.ingest.ddex.tree import (
    Element,
    Problems,
    attr,
    kid,
    kid_text,
    kids,
    sequence_number,
    text,
)
from liner.ingest.ddex.values import (
    contributor_role,
    default_first,
    display_role,
    first_text,
    party_ids,
)
from liner.ingest.records import ArtistCredit, ArtistRecord, Contributor, LocalizedName


def party_record(element: Element, problems: Problems) -> ArtistRecord | None:
    """An artist from an element holding ``PartyName``s (one per language and script)
    and ``PartyId``s. The name without a language is the main one."""
    main: str | None = None
    localized: list[LocalizedName] = []
    for name_block in default_first(kids(element, "PartyName")):
        name = kid_text(name_block, "FullName")
        if name is None:
            parts = [kid_text(name_block, "NamesBeforeKeyName"), kid_text(name_block, "KeyName")]
            name = " ".join(p for p in parts if p) or None
        if name is None:
            continue
        language = attr(name_block, "LanguageAndScriptCode")
        if main is None:
            main = name
            if language is not None:
                localized.append(LocalizedName(name, language))
        elif language is not None or name != main:
            localized.append(LocalizedName(name, language))
        transcribed = kid_text(name_block, "FullNameAsciiTranscribed")
        if transcribed and transcribed != name:
            localized.append(LocalizedName(transcribed, "und-Latn"))
    if main is None:
        return None
    return ArtistRecord(
        name=main,
        names=tuple(dict.fromkeys(localized)),
        ids=tuple(dict.fromkeys(party_ids(element, problems))),
    )


class Parties:
    """The ERN 4 ``PartyList``, by ``PartyReference``."""

    def __init__(self, party_list: Element | None, problems: Problems) -> None:
        self._problems = problems
        self._records: dict[str, ArtistRecord] = {}
        self._nameless: set[str] = set()
        for party in kids(party_list, "Party"):
            reference = kid_text(party, "PartyReference")
            if reference is None:
                problems.warn(
                    "ddex_party_reference_missing", "Party without PartyReference", at=party
                )
                continue
            record = party_record(party, problems)
            if record is None:
                problems.warn("ddex_party_name_missing", f"party {reference} has no name", at=party)
                self._nameless.add(reference)
                continue
            if reference in self._records:
                problems.warn(
                    "ddex_party_reference_duplicate",
                    f"party {reference} is defined twice",
                    at=party,
                )
                continue
            self._records[reference] = record

    def resolve(self, reference_element: Element | None) -> ArtistRecord | None:
        reference = text(reference_element)
        if reference is None or reference_element is None:
            return None
        record = self._records.get(reference)
        if record is None and reference not in self._nameless:
            self._problems.warn(
                "ddex_party_reference_dangling",
                f"party reference {reference} points to no party in the PartyList",
                at=reference_element,
            )
        return record

    def name_of(self, reference_element: Element | None) -> str | None:
        record = self.resolve(reference_element)
        return record.name if record else None


def _party_of(
    element: Element, reference_name: str, parties: Parties, problems: Problems
) -> ArtistRecord | None:
    reference = kid(element, reference_name)
    if reference is not None:
        return parties.resolve(reference)
    return party_record(element, problems)


def _occurrences(
    name: str, display_name: str, folded: str | None, position: int
) -> Iterator[tuple[int, int]]:
    """Where ``name`` occurs in ``display_name`` from ``position`` on, ignoring case."""
    if folded is not None and name.isascii():
        # ASCII text: lower-casing is the case-insensitive match, and keeps offsets.
        needle = name.lower()
        start = folded.find(needle, position)
        while start >= 0:
            yield start, start + len(name)
            start = folded.find(needle, start + 1)
        return
    pattern = re.compile(re.escape(name), re.IGNORECASE)
    found = pattern.search(display_name, position)
    while found is not None:
        yield found.span()
        found = pattern.search(display_name, found.start() + 1)


def _whole_word(display_name: str, start: int, end: int, position: int) -> bool:
    """Whether the match is not part of a longer word (the ``a`` of ``feat.``); a match
    right after the previous artist's name counts as whole, and so does an empty name."""
    if start == end:
        return True
    if start > position and display_name[start - 1].isalnum() and display_name[start].isalnum():
        return False
    return not (
        end < len(display_name) and display_name[end].isalnum() and display_name[end - 1].isalnum()
    )


def _name_span(
    name: str, display_name: str, folded: str | None, position: int, first: bool, last: bool
) -> tuple[int, int] | None:
    """Where the artist's name stands in the display name, from ``position`` on.

    The first artist's name at the very start and the last one's at the very end win;
    otherwise the first occurrence spelled as in the party list and standing as a whole
    word, then one that differs in case only, then any (so ``A`` is not found in
    ``feat.``, nor an artist ``X`` in the join phrase `` x ``)."""
    best: tuple[int, int] | None = None
    best_rank = 3
    for span in _occurrences(name, display_name, folded, position):
        start, end = span
        if (first and start == 0) or (last and end == len(display_name)):
            return span
        rank = 2
        if _whole_word(display_name, start, end, position):
            rank = 0 if display_name[start:end] == name else 1
        if rank < best_rank:
            best, best_rank = span, rank
            if rank == 0 and not last:
                break
    return best


def join_phrases(names: Sequence[str], display_name: str | None) -> list[str]:
    """The phrases between artists, read from the sender's ``DisplayArtistName`` when it
    names every artist in order (``A feat. B`` gives ``[" feat. ", ""]``), otherwise
    ``", "`` between artists and ``" & "`` before the last. The last phrase is empty.

    Names are matched ignoring case; see :func:`_name_span` for which occurrence counts."""
    if not names:
        return []
    if display_name:
        spans: list[tuple[int, int]] = []
        position = 0
        folded = display_name.lower() if display_name.isascii() else None
        for index, name in enumerate(names):
            span = _name_span(
                name, display_name, folded, position, index == 0, index == len(names) - 1
            )
            if span is None:
                break
            spans.append(span)
            position = span[1]
        if len(spans) == len(names):
            phrases = [display_name[spans[i][1] : spans[i + 1][0]] for i in range(len(spans) - 1)]
            phrases.append("")
            return phrases
    phrases = [", "] * (len(names) - 1) + [""]
    if len(names) > 1:
        phrases[-2] = " & "
    return phrases


def display_credits(
    artist_elements: Sequence[Element],
    display_name: str | None,
    parties: Parties,
    problems: Problems,
) -> tuple[ArtistCredit, ...]:
    """Display artists in ``SequenceNumber`` order. Without any, the
    ``DisplayArtistName`` becomes the one credited artist."""
    indexed: list[tuple[tuple[int, int, int], ArtistRecord, str]] = []
    for position, element in enumerate(artist_elements):
        record = _party_of(element, "ArtistPartyReference", parties, problems)
        if record is None:
            problems.warn(
                "ddex_display_artist_unnamed", "display artist without a name", at=element
            )
            continue
        role = display_role(kids(element, "ArtistRole") + kids(element, "DisplayArtistRole"))
        number = sequence_number(element)
        key = (0, number, position) if number is not None else (1, 0, position)
        indexed.append((key, record, role))
    indexed.sort(key=lambda item: item[0])
    if not indexed:
        if display_name:
            return (ArtistCredit(ArtistRecord(name=display_name)),)
        return ()
    phrases = join_phrases([record.name for _, record, _ in indexed], display_name)
    return tuple(
        ArtistCredit(artist=record, join_phrase=phrase, role=role)
        for (_, record, role), phrase in zip(indexed, phrases, strict=True)
    )


def credits_of(
    owners: Sequence[Element], parties: Parties, problems: Problems
) -> tuple[ArtistCredit, ...]:
    """Display credits of a release or resource: ERN 4 on the element itself, ERN 3 in
    its first details block that has any."""
    display_name = first_text(owners, "DisplayArtistName")
    for owner in owners:
        artists = kids(owner, "DisplayArtist")
        if artists:
            return display_credits(artists, display_name, parties, problems)
    return display_credits([], display_name, parties, problems)


_CONTRIBUTOR_KINDS = (
    ("ResourceContributor", "ResourceContributorRole", ""),
    ("IndirectResourceContributor", "IndirectResourceContributorRole", ""),
    ("Contributor", "Role", "ContributorPartyReference"),
)


def contributors_of(
    owners: Sequence[Element], parties: Parties, problems: Problems
) -> tuple[Contributor, ...]:
    """Resource and indirect (musical work) contributors with lower_snake DDEX roles,
    one entry per role, in sequence order, without duplicates."""
    found: list[Contributor] = []
    for owner in owners:
        for element_name, role_name, reference_name in _CONTRIBUTOR_KINDS:
            elements = kids(owner, element_name)
            if not elements:
                continue
            indexed = sorted(
                enumerate(elements),
                key=lambda item: (
                    sequence_number(item[1]) is None,
                    sequence_number(item[1]) or 0,
                    item[0],
                ),
            )
            for _, element in indexed:
                if reference_name:
                    record = parties.resolve(kid(element, reference_name))
                else:
                    record = party_record(element, problems)
                if record is None:
                    continue
                roles = [contributor_role(r) for r in kids(element, role_name)]
                for role, user_defined in roles or [("unspecified", None)]:
                    contributor = Contributor(record, role, user_defined)
                    if contributor not in found:
                        found.append(contributor)
        if found:
            break
    return tuple(found)
