"""Rows of a release aggregate as parameters for executemany inserts, and the deal
boundaries they set."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from liner.ingest.records import Availability, FileAsset
from liner.models import AvailabilityRow


def availability_params(
    items: tuple[Availability, ...], release_id: int, track_id: int | None
) -> list[dict[str, Any]]:
    return [
        {
            "release_id": release_id,
            "track_id": track_id,
            "territories": sorted(a.territories),
            "excluded_territories": sorted(a.excluded_territories),
            "start_at": a.start,
            "end_at": a.end,
            "commercial_models": list(a.commercial_models),
            "use_types": list(a.use_types),
            "takedown": a.takedown,
            "preorder_start_at": a.preorder_start,
        }
        for a in items
    ]


def asset_params(
    assets: tuple[FileAsset, ...], release_id: int, track_id: int | None
) -> list[dict[str, Any]]:
    return [
        {
            "release_id": release_id,
            "track_id": track_id,
            "kind": a.kind,
            "uri": a.uri,
            "hash_algorithm": a.hash_algorithm,
            "hash_value": a.hash_value,
            "size": a.size,
        }
        for a in assets
    ]


def moments(items: tuple[Availability, ...]) -> list[datetime | None]:
    return [m for a in items for m in (a.start, a.end, a.preorder_start)]


def row_moments(rows: Iterable[AvailabilityRow]) -> list[datetime | None]:
    return [m for r in rows for m in (r.start_at, r.end_at, r.preorder_start_at)]


class _Window(Protocol):
    @property
    def start_at(self) -> datetime | None: ...
    @property
    def end_at(self) -> datetime | None: ...
    @property
    def preorder_start_at(self) -> datetime | None: ...


def earliest_after(moments: Iterable[datetime | None], now: datetime) -> datetime | None:
    instants = [moment for moment in moments if moment is not None and moment > now]
    return min(instants) if instants else None


def next_boundary(rows: Sequence[_Window], now: datetime) -> datetime | None:
    """The next future instant at which any deal starts or ends."""
    return earliest_after(
        (moment for row in rows for moment in (row.start_at, row.end_at, row.preorder_start_at)),
        now,
    )
