"""The read path's view of the read model: decoded entries behind a bounded cache.

Entries hold pre-serialised JSON pieces; responses are assembled by concatenating bytes.
No request does a join or validates a model.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from liner.catalog.markets import MarketSet, market_set
from liner.catalog.stores import DocumentStore


def etag_of(body: bytes) -> bytes:
    """A strong ETag for exactly these bytes."""
    return b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'


_PLAYABLE = b',"is_playable":true}'
_BLOCKED = b',"is_playable":false,"restrictions":{"reason":"market"}}'


class TrackItem:
    """A track (or a simplified track inside an album) without its market fields.

    A track has three renderings: with ``available_markets`` (no market asked), playable
    in the asked market, or not. Each is built, with its ETag, the first time it is
    asked for and kept with the item.
    """

    __slots__ = ("_renderings", "links", "markets", "prefix")

    def __init__(self, prefix: bytes, markets: MarketSet, links: dict[str, str]) -> None:
        self.prefix = prefix
        self.markets = markets
        self.links = links
        self._renderings: dict[int, tuple[bytes, bytes]] = {}

    def render(self, market: str | None) -> tuple[bytes, bytes]:
        """(body, etag) of this track for ``market`` (None: every market listed)."""
        variant = 0 if market is None else 1 if market in self.markets.markets else 2
        found = self._renderings.get(variant)
        if found is None:
            if variant == 0:
                body = self.prefix + b',"available_markets":' + self.markets.json + b"}"
            else:
                body = self.prefix + (_PLAYABLE if variant == 1 else _BLOCKED)
            found = (body, etag_of(body))
            self._renderings[variant] = found
        return found

    def relinked_in(self, market: str | None) -> bool:
        """Whether ``market`` is served another release's instance of this recording:
        this track is not available there and a sibling may be."""
        return market is not None and market not in self.markets.markets and market in self.links

    def body(self, market: str | None) -> bytes:
        return self.render(market)[0]


@dataclass(frozen=True, slots=True)
class AlbumEntry:
    prefix: bytes
    """The album object up to, not including, ``tracks`` and the closing brace."""
    markets: MarketSet
    tracks: tuple[TrackItem, ...]


@dataclass(frozen=True, slots=True)
class StaticEntry:
    body: bytes


@dataclass(frozen=True, slots=True)
class DiscographyItem:
    group: str
    body: bytes
    markets: frozenset[str]


@dataclass(frozen=True, slots=True)
class DiscographyEntry:
    items: tuple[DiscographyItem, ...]


@dataclass(frozen=True, slots=True)
class ShowEntry:
    prefix: bytes
    episodes: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class IdsEntry:
    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RedirectEntry:
    """A merged entity's old id: its document is the one under the id ``to``."""

    to: str


Entry = (
    TrackItem | AlbumEntry | StaticEntry | DiscographyEntry | ShowEntry | IdsEntry | RedirectEntry
)


def _track_item(data: dict[str, Any]) -> TrackItem:
    return TrackItem(
        prefix=data["p"].encode(), markets=market_set(data["m"]), links=data.get("l") or {}
    )


def decode_entry(raw: bytes) -> Entry:
    data = orjson.loads(raw)
    kind = data["k"]
    if kind == "track":
        return _track_item(data)
    if kind == "album":
        prefix = data["p"].encode()
        markets = market_set(orjson.loads(prefix + b"}")["available_markets"])
        return AlbumEntry(prefix, markets, tuple(_track_item(t) for t in data["t"]))
    if kind in ("artist", "episode"):
        return StaticEntry(data["b"].encode())
    if kind == "artist_albums":
        return DiscographyEntry(
            tuple(
                DiscographyItem(i["g"], i["b"].encode(), market_set(i["m"]).markets)
                for i in data["i"]
            )
        )
    if kind == "show":
        return ShowEntry(data["p"].encode(), tuple(e.encode() for e in data["i"]))
    if kind == "ids":
        return IdsEntry(tuple(data["ids"]))
    if kind == "redirect":
        return RedirectEntry(data["to"])
    raise ValueError(f"unknown document kind {kind!r}")


class _Missing:
    __slots__ = ()


MISSING = _Missing()


class CatalogReader:
    """Documents by key: a bounded in-process cache in front of a document store.

    The cache is first-in-first-out bounded (cheap, and hot keys come straight back);
    ``evict`` is called by the invalidation poller with the keys that changed.
    """

    def __init__(self, store: DocumentStore, *, max_entries: int = 50_000) -> None:
        self.store = store
        self.max_entries = max_entries
        self._cache: dict[str, Entry | _Missing] = {}
        self._lock = threading.Lock()
        self._evictions = 0
        """Bumped on every eviction: a load that overlapped one does not cache what it read,
        since it may have read a document just before it changed."""
        self.cached: Callable[[str], Entry | _Missing | None] = self._cache.get
        """The cached entry, MISSING if known absent, None if not cached (the cache's own
        ``get``: the hot path calls it fifty times a request)."""

    def load(self, keys: Sequence[str]) -> dict[str, Entry | None]:
        """Fetch keys from the cache or the store (blocking: call from a thread)."""
        result: dict[str, Entry | None] = {}
        wanted = []
        for key in keys:
            hit = self._cache.get(key)
            if hit is None:
                wanted.append(key)
            else:
                result[key] = None if isinstance(hit, _Missing) else hit
        if wanted:
            evictions = self._evictions
            found = self.store.get_many(wanted)
            for key in wanted:
                raw = found.get(key)
                entry = decode_entry(raw) if raw is not None else None
                result[key] = entry
                if self._evictions == evictions:
                    self._remember(key, entry if entry is not None else MISSING)
        return result

    def _remember(self, key: str, entry: Entry | _Missing) -> None:
        if self.max_entries == 0:
            return
        cache = self._cache
        with self._lock:
            while len(cache) >= self.max_entries:
                try:
                    del cache[next(iter(cache))]
                except (StopIteration, KeyError, RuntimeError):
                    break
            cache[key] = entry

    def evict(self, keys: Sequence[str]) -> None:
        with self._lock:
            self._evictions += 1
            for key in keys:
                self._cache.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._evictions += 1
            self._cache.clear()

    def __len__(self) -> int:
        return len(self._cache)
