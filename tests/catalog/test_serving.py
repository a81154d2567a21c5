"""The read path's bounded cache in front of a document store."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import orjson
import pytest

from liner.catalog.serving import (
    MISSING,
    AlbumEntry,
    CatalogReader,
    DiscographyEntry,
    IdsEntry,
    ShowEntry,
    StaticEntry,
    TrackItem,
    decode_entry,
)
from liner.catalog.stores import MemoryDocumentStore


class CountingStore(MemoryDocumentStore):
    """A memory store that remembers which keys each read asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[list[str]] = []
        self.during_read: Callable[[], None] | None = None

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        self.reads.append(list(keys))
        found = super().get_many(keys)
        if self.during_read is not None:
            self.during_read()
        return found


def ids(*values: str) -> bytes:
    return orjson.dumps({"k": "ids", "ids": list(values)})


@pytest.fixture
def store() -> CountingStore:
    return CountingStore()


def test_hits_are_served_without_reading_the_store(store: CountingStore) -> None:
    store.put_many({"upc:1": ids("a")})
    reader = CatalogReader(store, max_entries=10)

    first = reader.load(["upc:1"])
    second = reader.load(["upc:1"])

    assert first == second == {"upc:1": IdsEntry(("a",))}
    assert store.reads == [["upc:1"]]


def test_only_the_uncached_keys_are_read(store: CountingStore) -> None:
    store.put_many({"upc:1": ids("a"), "upc:2": ids("b")})
    reader = CatalogReader(store, max_entries=10)
    reader.load(["upc:1"])

    result = reader.load(["upc:1", "upc:2", "upc:3"])

    assert result == {"upc:1": IdsEntry(("a",)), "upc:2": IdsEntry(("b",)), "upc:3": None}
    assert store.reads == [["upc:1"], ["upc:2", "upc:3"]]


def test_the_cache_never_exceeds_max_entries(store: CountingStore) -> None:
    store.put_many({f"upc:{n}": ids(str(n)) for n in range(0, 40, 2)})
    reader = CatalogReader(store, max_entries=5)

    for n in range(40):
        result = reader.load([f"upc:{n}"])
        assert result == {f"upc:{n}": IdsEntry((str(n),)) if n % 2 == 0 else None}
        assert len(reader) <= 5

    batch = [f"upc:{n}" for n in range(100, 130)]
    reader.load(batch)
    assert len(reader) == 5
    assert reader.cached("upc:129") is MISSING
    assert reader.cached("upc:0") is None


def test_a_full_cache_keeps_the_newest_entries(store: CountingStore) -> None:
    reader = CatalogReader(store, max_entries=3)
    for key in ("a", "b", "c", "d"):
        reader.load([key])

    assert [reader.cached(k) for k in ("a", "b", "c", "d")] == [None, MISSING, MISSING, MISSING]


def test_max_entries_zero_caches_nothing(store: CountingStore) -> None:
    store.put_many({"upc:1": ids("a")})
    reader = CatalogReader(store, max_entries=0)

    reader.load(["upc:1"])
    reader.load(["upc:1"])

    assert len(reader) == 0
    assert store.reads == [["upc:1"], ["upc:1"]]


def test_misses_are_cached_until_evicted(store: CountingStore) -> None:
    reader = CatalogReader(store, max_entries=10)

    assert reader.load(["album:new"]) == {"album:new": None}
    assert reader.cached("album:new") is MISSING
    store.put_many({"album:new": ids("x")})
    assert reader.load(["album:new"]) == {"album:new": None}
    assert len(store.reads) == 1

    reader.evict(["album:new"])

    assert reader.cached("album:new") is None
    assert reader.load(["album:new"]) == {"album:new": IdsEntry(("x",))}
    assert len(store.reads) == 2


def test_evict_makes_the_next_load_read_the_store_again(store: CountingStore) -> None:
    store.put_many({"upc:1": ids("old"), "upc:2": ids("other")})
    reader = CatalogReader(store, max_entries=10)
    reader.load(["upc:1", "upc:2"])
    store.put_many({"upc:1": ids("new"), "upc:2": None})

    assert reader.load(["upc:1"]) == {"upc:1": IdsEntry(("old",))}
    reader.evict(["upc:1", "upc:2", "never-cached"])

    assert reader.load(["upc:1", "upc:2"]) == {"upc:1": IdsEntry(("new",)), "upc:2": None}
    assert store.reads[-1] == ["upc:1", "upc:2"]


def test_a_load_that_overlaps_an_eviction_is_not_cached(store: CountingStore) -> None:
    store.put_many({"upc:1": ids("old")})
    reader = CatalogReader(store, max_entries=10)

    def change_during_read() -> None:
        store.during_read = None
        store.put_many({"upc:1": ids("new")})
        reader.evict(["upc:1"])

    store.during_read = change_during_read
    assert reader.load(["upc:1"]) == {"upc:1": IdsEntry(("old",))}

    assert reader.cached("upc:1") is None
    assert reader.load(["upc:1"]) == {"upc:1": IdsEntry(("new",))}


def test_clear_empties_the_cache(store: CountingStore) -> None:
    reader = CatalogReader(store, max_entries=10)
    reader.load(["a", "b"])

    reader.clear()

    assert len(reader) == 0
    assert reader.cached("a") is None


def test_decode_entry_kinds() -> None:
    track = orjson.dumps({"k": "track", "p": '{"id":"t"', "m": ["SE", "NO"], "l": {"US": "u"}})
    album = orjson.dumps(
        {
            "k": "album",
            "p": '{"id":"a","available_markets":["NO"]',
            "t": [{"p": '{"id":"t"', "m": ["NO"]}],
        }
    )

    decoded_track = decode_entry(track)
    assert isinstance(decoded_track, TrackItem)
    assert decoded_track.markets.markets == {"SE", "NO"}
    assert decoded_track.links == {"US": "u"}
    assert decoded_track.body(None) == b'{"id":"t","available_markets":["SE","NO"]}'
    decoded_album = decode_entry(album)
    assert isinstance(decoded_album, AlbumEntry)
    assert decoded_album.markets.markets == {"NO"}
    assert decoded_album.tracks[0].links == {}
    assert decode_entry(b'{"k":"artist","b":"{}"}') == StaticEntry(b"{}")
    assert isinstance(decode_entry(b'{"k":"artist_albums","i":[]}'), DiscographyEntry)
    assert decode_entry(b'{"k":"show","p":"{","i":["{}"]}') == ShowEntry(b"{", (b"{}",))
    with pytest.raises(ValueError, match="unknown document kind"):
        decode_entry(b'{"k":"playlist"}')
