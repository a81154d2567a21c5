"""Which markets something is available in, from its deals, at an instant.

Market sets are interned: most tracks share a handful of sets (worldwide, one label's
territories), so each distinct set is held once, with its JSON pre-serialised.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import orjson

from liner.quality.identifiers import TERRITORIES

MARKETS: tuple[str, ...] = tuple(sorted(TERRITORIES))
MARKET_SET = frozenset(MARKETS)
_STREAMING_WORDS = ("stream",)


class DealLike(Protocol):
    territories: list[str]
    excluded_territories: list[str]
    start_at: datetime | None
    end_at: datetime | None
    use_types: list[str]
    takedown: bool


def _is_streaming(use_types: Sequence[str]) -> bool:
    """A deal with no use types, or with a streaming use type, allows streaming."""
    if not use_types:
        return True
    return any(word in use.lower() for use in use_types for word in _STREAMING_WORDS)


def _territories(deal: DealLike) -> set[str]:
    if "WW" in deal.territories:
        base = set(MARKETS)
    else:
        base = {t for t in deal.territories if t in MARKET_SET}
    return base - set(deal.excluded_territories)


def available_markets(deals: Iterable[DealLike], now: datetime) -> list[str]:
    """Markets where at least one live streaming deal covers ``now``, minus every market
    that a live takedown deal covers. No deals at all means available nowhere."""
    allowed: set[str] = set()
    removed: set[str] = set()
    for deal in deals:
        if deal.start_at is not None and now < deal.start_at:
            continue
        if deal.end_at is not None and now >= deal.end_at:
            continue
        if deal.takedown:
            removed |= _territories(deal)
        elif _is_streaming(deal.use_types):
            allowed |= _territories(deal)
    return sorted(allowed - removed)


@dataclass(frozen=True, slots=True)
class MarketSet:
    markets: frozenset[str]
    json: bytes


_INTERNED: dict[tuple[str, ...], MarketSet] = {}


def market_set(markets: Sequence[str]) -> MarketSet:
    key = tuple(markets)
    found = _INTERNED.get(key)
    if found is None:
        found = MarketSet(frozenset(key), orjson.dumps(list(key)))
        if len(_INTERNED) < 100_000:
            _INTERNED[key] = found
    return found
