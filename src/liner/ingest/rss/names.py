"""Element names: every namespace spelling a feed uses, folded into one short name.

A tag such as ``{http://www.itunes.com/DTDs/Podcast-1.0.dtd}Duration`` becomes
``itunes:duration``; plain RSS tags become their lower-cased local name (``pubdate``).
Tags whose prefix was never declared (kept verbatim by the recovering parser, such as
``itunes:episodeType``) are folded the same way. Unknown namespaces give ``""``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

from lxml import etree

T = TypeVar("T")

_NAMESPACES: dict[str, str] = {
    "": "",
    "purl.org/rss/1.0": "",
    "my.netscape.com/rdf/simple/0.9": "",
    "backend.userland.com/rss2": "",
    "blogs.law.harvard.edu/tech/rss": "",
    "www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "example.com/dtds/podcast-1.0.dtd": "itunes",
    "podcastindex.org/namespace/1.0": "podcast",
    "github.com/podcastindex-org/podcast-namespace/blob/main/docs/1.0.md": "podcast",
    "purl.org/rss/1.0/modules/content": "content",
    "www.w3.org/2005/atom": "atom",
    "purl.org/atom/ns#": "atom",
    "search.yahoo.com/mrss": "media",
    "purl.org/dc/elements/1.1": "dc",
    "www.google.com/schemas/play-podcasts/1.0": "googleplay",
    "www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
}

_PREFIXES: dict[str, str] = {
    "itunes": "itunes",
    "podcast": "podcast",
    "content": "content",
    "atom": "atom",
    "atom10": "atom",
    "media": "media",
    "dc": "dc",
    "googleplay": "googleplay",
    "rdf": "rdf",
    "rss": "",
}

_MEMO_LIMIT = 4096
_memo: dict[str, str] = {}


def namespace_key(uri: str) -> str | None:
    """The short key of a namespace URI, or None when Liner does not read it."""
    key = uri.strip().lower()
    if "://" in key:
        key = key.split("://", 1)[1]
    key = key.rstrip("/")
    return _NAMESPACES.get(key)


def _compute(tag: str) -> str:
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        key = namespace_key(uri)
        if key is None:
            return ""
    elif ":" in tag:
        prefix, _, local = tag.partition(":")
        found = _PREFIXES.get(prefix.lower())
        if found is None:
            return ""
        key = found
    else:
        key, local = "", tag
    local = local.lower()
    return f"{key}:{local}" if key else local


def children(parent: etree._Element) -> Iterator[etree._Element]:
    """The child elements of ``parent``, without the other nodes a document can hold.

    Comments and processing instructions are removed when parsing, but a recovered
    document keeps an entity reference it could not resolve (``&x;`` between elements)
    as a node whose tag is not a string.
    """
    return parent.iterchildren(etree.Element)


def resolve(tag: Any) -> str:
    """The folded name of an element's tag; ``""`` for comments, entities, unknown names."""
    found = _memo.get(tag)
    if found is not None:
        return found
    if not isinstance(tag, str):
        return ""
    name = _compute(tag)
    if len(_memo) < _MEMO_LIMIT:
        _memo[tag] = name
    return name


class TagTable(Generic[T]):
    """Handlers keyed by folded name, looked up by an element's raw tag.

    ``known`` maps each raw tag met so far (``{uri}local`` as lxml gives it) to its
    handler or None, so the loops over a feed's elements fold each spelling only once:
    ``known[tag] if tag in known else table.learn(tag)``.
    """

    __slots__ = ("by_name", "known")

    def __init__(self, by_name: Mapping[str, T]) -> None:
        self.by_name = by_name
        self.known: dict[object, T | None] = {}

    def learn(self, tag: object) -> T | None:
        handler = self.by_name.get(resolve(tag))
        if isinstance(tag, str) and len(self.known) < _MEMO_LIMIT:
            self.known[tag] = handler
        return handler
