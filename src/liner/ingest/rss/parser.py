"""The feed parser: bytes in, a ShowRecord with its episodes out.

The document is read by :mod:`.document` (encodings, repairs, recovery); this module
finds the channel and its items in whatever format the feed uses, reads them through
:mod:`.show` and :mod:`.episodes`, and assembles the records.
"""

from __future__ import annotations

from dataclasses import replace

from lxml import etree

from liner.ingest.records import EpisodeRecord, Problem, ShowRecord, ShowType
from liner.ingest.rss import values
from liner.ingest.rss.document import read_document
from liner.ingest.rss.elements import Context
from liner.ingest.rss.episodes import build_episode, read_item
from liner.ingest.rss.errors import FeedError
from liner.ingest.rss.html import sanitize
from liner.ingest.rss.model import ParsedFeed
from liner.ingest.rss.names import children, resolve
from liner.ingest.rss.show import ITEM_NAMES, PUBLISHER_ORDER, ChannelFields, read_channel

_SHOW_TYPES = {member.value: member for member in ShowType}
_ROOTS = {"rss": "rss", "rdf:rdf": "rss1", "rdf": "rss1", "atom:feed": "atom", "channel": "rss"}


def _locate(root: etree._Element) -> tuple[str, etree._Element, list[etree._Element], str]:
    """The feed format, the channel-like element, items outside it, and the channel path."""
    kind = _ROOTS.get(resolve(root.tag))
    if kind is None:
        raise FeedError(
            f"the root element <{str(root.tag)[:80]}> is not rss, rdf:RDF or an Atom feed",
            code=FeedError.NOT_A_FEED,
        )
    if kind == "atom" or resolve(root.tag) == "channel":
        return kind, root, [], "/" + ("feed" if kind == "atom" else "channel")
    channel: etree._Element | None = None
    outside: list[etree._Element] = []
    for child in children(root):
        name = resolve(child.tag)
        if name == "channel" and channel is None:
            channel = child
        elif name in ITEM_NAMES:
            outside.append(child)
    top = "/rss" if kind == "rss" else "/rdf:RDF"
    if channel is None:
        return kind, root, [], top
    return kind, channel, outside, top + "/channel"


def _choose_text(*candidates: str | None) -> str | None:
    for candidate in candidates:
        if candidate and candidate.strip():
            return candidate
    return None


def _show(
    fields: ChannelFields,
    episodes: tuple[EpisodeRecord, ...],
    ctx: Context,
    location: str,
    url: str | None,
    explicit: bool,
    root: etree._Element,
) -> ShowRecord:
    title = fields.title or fields.itunes_title or ""
    if not title:
        ctx.warn("show_without_title", "the feed has no title", location)
    html_description, description = sanitize(
        _choose_text(
            fields.description,
            fields.content,
            fields.summary,
            fields.atom_subtitle,
            fields.subtitle,
        ),
        ctx.descriptions,
    )
    show_type = ShowType.EPISODIC
    if fields.show_type:
        found = _SHOW_TYPES.get(fields.show_type.strip().lower())
        if found is None:
            ctx.warn(
                "bad_show_type",
                f"itunes:type {fields.show_type[:40]!r} is not episodic or serial",
                f"{location}/itunes:type",
            )
        else:
            show_type = found
    publisher = next(
        (fields.publishers[name] for name in PUBLISHER_ORDER if name in fields.publishers), ""
    )
    language = fields.language or values.clean(
        root.get("{http://www.w3.org/XML/1998/namespace}lang")
    )
    return ShowRecord(
        title=title,
        feed_url=url or fields.self_url,
        podcast_guid=fields.guid,
        publisher=publisher,
        description=description,
        html_description=html_description,
        language=language,
        categories=tuple(fields.categories or fields.fallback_categories),
        explicit=explicit,
        show_type=show_type,
        images=tuple(fields.images),
        link=fields.link,
        owner_name=fields.owner_name,
        owner_email=fields.owner_email or fields.locked_owner,
        new_feed_url=fields.new_feed_url or fields.redirect,
        blocked=fields.block,
        complete=fields.complete,
        locked=fields.locked,
        medium=fields.medium,
        funding=tuple(fields.funding),
        persons=tuple(fields.persons),
        episodes=episodes,
    )


def parse_feed(
    data: bytes, *, content_type: str | None = None, url: str | None = None
) -> ParsedFeed:
    """Parse a podcast feed (RSS 2.0 with iTunes and Podcasting 2.0 tags, RSS 1.0, Atom).

    ``content_type`` is the HTTP Content-Type header (its charset is one of the encoding
    hints); ``url`` is where the feed was fetched from, used as the feed URL and to make
    relative links absolute. Raises :class:`FeedError` for documents that are not feeds
    or cannot be read; everything else is reported in ``ParsedFeed.problems``.
    """
    if not isinstance(data, bytes):
        raise TypeError("parse_feed takes bytes")
    problems: list[Problem] = []
    root, recovered, encoding = read_document(data, content_type, problems)
    feed_format, channel, outside, location = _locate(root)
    ctx = Context(url, problems)
    items: list[etree._Element] = []
    fields = read_channel(channel, ctx, items)
    items.extend(outside)
    explicit = bool(values.explicit(fields.explicit))
    item_path = location + ("/entry" if feed_format == "atom" else "/item")
    episodes: list[EpisodeRecord] = []
    seen: dict[str, str | None] = {}
    for index, item in enumerate(items, start=1):
        where = f"{item_path}[{index}]"
        episode = build_episode(read_item(item, ctx), ctx, where, explicit)
        if episode is None:
            continue
        guid = episode.guid
        if guid is not None:
            enclosure_url = episode.enclosure.url if episode.enclosure else None
            if guid in seen:
                if seen[guid] == enclosure_url:
                    ctx.warn(
                        "duplicate_episode",
                        f"episode {guid[:80]!r} is listed twice; the repeat was skipped",
                        where,
                    )
                    continue
                ctx.warn(
                    "duplicate_guid",
                    f"guid {guid[:80]!r} is also used by an earlier episode with another"
                    " enclosure; this episode's guid was dropped",
                    where,
                )
                episode = replace(episode, guid=None)
            else:
                seen[guid] = enclosure_url
        episodes.append(episode)
    show = _show(fields, tuple(episodes), ctx, location, url, explicit, root)
    return ParsedFeed(
        show=show,
        problems=tuple(problems),
        recovered=recovered,
        encoding=encoding,
        feed_format=feed_format,
    )
