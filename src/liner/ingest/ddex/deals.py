"""The ``DealList``: where, when and how each release may be used.

One :class:`Availability` per deal and validity period. Territories are ISO codes, or
``("WW",)`` with the excluded ones. Dates without a time start at midnight UTC; an end
date includes its whole day. Deals that differ only in their territories are merged,
so a per-country matrix (one deal per country and model) stays small.

Pre-orders: an ERN 3 ``PreOrderReleaseDate`` becomes the deal's ``preorder_start``; an
ERN 4 deal flagged ``IsPreOrderDeal`` is the pre-order window itself, so its
``preorder_start`` equals its ``start``. The legacy ERN 3 ``TakeDown`` (and
``AllDealsCancelled``) flag gives ``takedown=True``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from lxml import etree

from liner.ingest.ddex.tree import Element, Problems, attr, grouped, is_true, kids, text
from liner.ingest.ddex.values import avs_code, deal_instant
from liner.ingest.records import Availability
from liner.kit.errors import InputError
from liner.quality.identifiers import WORLDWIDE, normalise_territory

_TIS_WORLDWIDE = "2136"


def _territories(elements: Sequence[Element], problems: Problems) -> list[str]:
    codes: list[str] = []
    for element in elements:
        raw = text(element)
        if raw is None:
            continue
        if raw == _TIS_WORLDWIDE and attr(element, "IdentifierType") == "TIS":
            codes.append(WORLDWIDE)
            continue
        try:
            code = normalise_territory(raw)
        except InputError as exc:
            problems.warn("ddex_territory_invalid", str(exc), at=element)
            continue
        if code not in codes:
            codes.append(code)
    return codes


def _periods(
    validity_periods: Sequence[Element], problems: Problems
) -> list[tuple[datetime | None, datetime | None]]:
    periods: list[tuple[datetime | None, datetime | None]] = []
    for period in validity_periods:
        fields = grouped(period)
        start_element = _first(fields, "StartDateTime", "StartDate")
        end_element = _first(fields, "EndDateTime", "EndDate")
        start = deal_instant(start_element, problems)
        end = deal_instant(end_element, problems, end=True)
        if start is not None and end is not None and end <= start:
            problems.warn(
                "ddex_deal_period_inverted",
                f"deal ends ({end.isoformat()}) before it starts ({start.isoformat()})",
                at=period,
            )
        periods.append((start, end))
    return periods or [(None, None)]


def _first(groups: Mapping[str, Sequence[Element]], *names: str) -> Element | None:
    for name in names:
        found = groups.get(name)
        if found:
            return found[0]
    return None


@dataclass(frozen=True, slots=True)
class _Terms:
    """What a ``DealTerms`` says besides its territories."""

    models: tuple[str, ...]
    uses: tuple[str, ...]
    takedown: bool
    preorder: datetime | None
    is_preorder_deal: bool
    periods: tuple[tuple[datetime | None, datetime | None], ...]


_TERRITORY_FIELDS = frozenset({"TerritoryCode", "ExcludedTerritoryCode"})


def _terms_key(fields: Mapping[str, Sequence[Element]]) -> bytes:
    """Everything :func:`_read_terms` reads, serialised: the ``DealTerms`` children
    other than its territories, by name. Deals of a per-country matrix that differ only
    in territory share it; a difference anywhere else, at any depth, tells them apart."""
    return b"".join(
        etree.tostring(element, with_tail=False)
        for name, elements in fields.items()
        if name not in _TERRITORY_FIELDS
        for element in elements
    )


def _read_terms(fields: Mapping[str, Sequence[Element]], problems: Problems) -> _Terms:
    """The terms' models, uses, takedown and pre-order flags and validity periods."""
    models = tuple(
        dict.fromkeys(c for c in (avs_code(e) for e in fields.get("CommercialModelType", ())) if c)
    )
    use_elements = [
        *fields.get("UseType", ()),
        *(use for usage in fields.get("Usage", ()) for use in kids(usage, "UseType")),
    ]
    uses = tuple(dict.fromkeys(c for c in (avs_code(e) for e in use_elements) if c))
    takedown = is_true(text(_first(fields, "TakeDown"))) or is_true(
        text(_first(fields, "AllDealsCancelled"))
    )
    preorder = deal_instant(
        _first(fields, "PreOrderReleaseDate", "PreOrderReleaseDateTime"), problems
    )
    is_preorder_deal = is_true(text(_first(fields, "IsPreOrderDeal")))
    periods = tuple(_periods(fields.get("ValidityPeriod", ()), problems))
    return _Terms(models, uses, takedown, preorder, is_preorder_deal, periods)


def _deal_availabilities(
    terms: Element, problems: Problems, memo: dict[bytes, _Terms]
) -> list[Availability]:
    fields = grouped(terms)
    included = _territories(fields.get("TerritoryCode", ()), problems)
    excluded = [
        c for c in _territories(fields.get("ExcludedTerritoryCode", ()), problems) if c != WORLDWIDE
    ]
    if not included and not excluded:
        problems.warn("ddex_deal_without_territory", "deal names no usable territory", at=terms)
        return []
    if not included or WORLDWIDE in included:
        territories: tuple[str, ...] = (WORLDWIDE,)
        exclusions = tuple(sorted(excluded))
    else:
        territories = tuple(sorted(c for c in included if c not in excluded))
        exclusions = ()
        if not territories:
            problems.warn(
                "ddex_deal_without_territory", "deal excludes all its territories", at=terms
            )
            return []
    key = _terms_key(fields)
    read = memo.get(key)
    if read is None:
        found = len(problems)
        read = _read_terms(fields, problems)
        if len(problems) == found:
            # Terms that raised a problem are read again where they recur, so that each
            # occurrence is reported at its own place.
            memo[key] = read
    return [
        Availability(
            territories=territories,
            excluded_territories=exclusions,
            start=start,
            end=end,
            commercial_models=read.models,
            use_types=read.uses,
            takedown=read.takedown,
            preorder_start=start if read.is_preorder_deal else read.preorder,
        )
        for start, end in read.periods
    ]


def merge(availabilities: list[Availability]) -> tuple[Availability, ...]:
    """Drop repeated availabilities and merge those that differ only in their explicit
    territories."""
    merged: dict[tuple[object, ...], Availability] = {}
    widened: dict[tuple[object, ...], set[str]] = {}
    for availability in availabilities:
        worldwide = availability.territories == (WORLDWIDE,)
        key: tuple[object, ...] = (
            worldwide,
            availability.territories if worldwide else (),
            availability.excluded_territories,
            availability.start,
            availability.end,
            availability.commercial_models,
            availability.use_types,
            availability.takedown,
            availability.preorder_start,
        )
        existing = merged.get(key)
        if existing is None:
            merged[key] = availability
        elif not worldwide:
            territories = widened.get(key)
            if territories is None:
                territories = widened[key] = set(existing.territories)
            territories.update(availability.territories)
    for key, territories in widened.items():
        merged[key] = replace(merged[key], territories=tuple(sorted(territories)))
    return tuple(merged.values())


def parse_deals(
    deal_list: Element | None, problems: Problems
) -> dict[str, tuple[Availability, ...]]:
    """Availabilities by the release reference (``DealReleaseReference``) they apply to."""
    by_release: dict[str, list[Availability]] = defaultdict(list)
    memo: dict[bytes, _Terms] = {}
    for release_deal in kids(deal_list, "ReleaseDeal"):
        references = [r for r in (text(e) for e in kids(release_deal, "DealReleaseReference")) if r]
        if not references:
            problems.warn(
                "ddex_deal_reference_missing",
                "ReleaseDeal without DealReleaseReference",
                at=release_deal,
            )
            continue
        found: list[Availability] = []
        for deal in kids(release_deal, "Deal"):
            for terms in kids(deal, "DealTerms"):
                found.extend(_deal_availabilities(terms, problems, memo))
        for reference in references:
            by_release[reference].extend(found)
    return {reference: merge(found) for reference, found in by_release.items()}
