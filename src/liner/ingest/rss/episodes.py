"""One ``<item>`` (or Atom ``<entry>``) into one EpisodeRecord.

The children of an item are read in a single loop and dispatched on their folded name
(see :mod:`liner.ingest.rss.names`); the choices between competing sources (which
description, which date, which enclosure) are made once the loop is done.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from liner.ingest.records import (
    Enclosure,
    EpisodeRecord,
    EpisodeType,
    Image,
    Person,
    Transcript,
)
from liner.ingest.rss import elements, values
from liner.ingest.rss.dates import parse_date
from liner.ingest.rss.durations import parse_duration_ms
from liner.ingest.rss.elements import Context
from liner.ingest.rss.html import sanitize
from liner.ingest.rss.names import TagTable, children, resolve

_EPISODE_TYPES = {member.value: member for member in EpisodeType}
_MEDIA_PREFIXES = ("audio/", "video/")
_MEDIA_EXTENSIONS = (
    ".mp3", ".m4a", ".m4b", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac",
    ".mp4", ".m4v", ".mov", ".webm", ".mkv",
)  # fmt: skip


class ItemFields:
    """What the loop over an item's children collects, before any choice is made."""

    __slots__ = (
        "alternates",
        "block",
        "chapters",
        "dates",
        "duration",
        "enclosures",
        "episode",
        "episode_type",
        "explicit",
        "guid",
        "images",
        "itunes_title",
        "language",
        "link",
        "media",
        "persons",
        "podcast_episode",
        "podcast_season",
        "season",
        "texts",
        "title",
        "transcripts",
    )

    def __init__(self) -> None:
        self.title: str | None = None
        self.itunes_title: str | None = None
        self.guid: str | None = None
        self.link: str | None = None
        self.dates: dict[str, str] = {}
        self.texts: dict[str, etree._Element] = {}
        self.enclosures: list[tuple[str | None, str | None, str | None]] = []
        self.media: list[tuple[str | None, str | None, str | None, str | None]] = []
        self.alternates: list[Enclosure] = []
        self.duration: str | None = None
        self.season: str | None = None
        self.podcast_season: str | None = None
        self.episode: str | None = None
        self.podcast_episode: str | None = None
        self.episode_type: str | None = None
        self.explicit: str | None = None
        self.images: list[Image] = []
        self.chapters: str | None = None
        self.transcripts: list[Transcript] = []
        self.persons: list[Person] = []
        self.block = False
        self.language: str | None = None


Reader = Callable[[etree._Element, ItemFields, Context], None]


def _title(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    if f.title is None:
        f.title = values.text(el)


def _itunes_title(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    f.itunes_title = values.text(el)


def _guid(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    if f.guid is None:
        f.guid = values.text(el) or None


def _atom_id(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    if f.guid is None:
        f.guid = values.text(el) or None


def _link(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    if f.link is None:
        f.link = ctx.url(values.text(el))


def _atom_link(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    rel = (el.get("rel") or "alternate").strip().lower()
    if rel == "enclosure":
        f.enclosures.append((el.get("href"), el.get("type"), el.get("length")))
    elif rel == "alternate":
        if f.link is None:
            f.link = ctx.url(el.get("href"))
    elif rel == "image":
        elements.add_image(f.images, elements.image_href(el, ctx))


def _date(name: str) -> Reader:
    """The reader for one kind of date element; the first of each kind counts."""

    def read(el: etree._Element, f: ItemFields, ctx: Context) -> None:
        if name not in f.dates:
            f.dates[name] = values.text(el)

    return read


def _text_source(name: str) -> Reader:
    """The reader for one kind of description element; the first of each kind counts."""

    def read(el: etree._Element, f: ItemFields, ctx: Context) -> None:
        if name not in f.texts:
            f.texts[name] = el

    return read


def _atom_text(el: etree._Element) -> str:
    kind = (el.get("type") or "text").strip().lower()
    if kind in ("text", "text/plain", "plain"):
        return values.text(el).replace("<", "&lt;")
    return values.markup(el)


def _enclosure(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    f.enclosures.append((el.get("url"), el.get("type"), el.get("length")))


def _media_content(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    f.media.append((el.get("url"), el.get("type"), el.get("fileSize"), el.get("duration")))


def _media_thumbnail(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    elements.add_image(f.images, elements.image_url_attr(el, ctx))


def _media_group(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    for child in children(el):
        reader = _MEDIA_GROUP.get(resolve(child.tag))
        if reader is not None:
            reader(child, f, ctx)


def _duration(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    f.duration = values.text(el)


def _season(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    f.season = values.text(el)


def _podcast_season(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    f.podcast_season = values.text(el)


def _episode(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    f.episode = values.text(el)


def _podcast_episode(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    f.podcast_episode = values.text(el)


def _episode_type(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    f.episode_type = values.text(el)


def _explicit(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    f.explicit = values.text(el)


def _block(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    f.block = values.flag(el.text)


def _image(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    elements.add_image(f.images, elements.image_href(el, ctx))


def _images(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    for image in elements.srcset_images(el, ctx):
        elements.add_image(f.images, image)


def _chapters(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    if f.chapters is None:
        f.chapters = ctx.url(el.get("url"))


def _transcript(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    found = elements.transcript(el, ctx)
    if found is not None:
        f.transcripts.append(found)


def _person(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    found = elements.person(el, ctx)
    if found is not None:
        f.persons.append(found)


def _alternate(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    f.alternates.extend(elements.alternate_enclosures(el, ctx))


def _language(el: etree._Element, f: ItemFields, ctx: Context) -> None:
    f.language = values.clean(el.text)


_MEDIA_GROUP: dict[str, Reader] = {
    "media:content": _media_content,
    "media:thumbnail": _media_thumbnail,
    "media:description": _text_source("media:description"),
}

READERS: dict[str, Reader] = {
    "title": _title,
    "atom:title": _title,
    "itunes:title": _itunes_title,
    "guid": _guid,
    "atom:id": _atom_id,
    "link": _link,
    "atom:link": _atom_link,
    "pubdate": _date("pubdate"),
    "dc:date": _date("dc:date"),
    "atom:published": _date("atom:published"),
    "atom:issued": _date("atom:issued"),
    "atom:updated": _date("atom:updated"),
    "atom:modified": _date("atom:modified"),
    "content:encoded": _text_source("content:encoded"),
    "description": _text_source("description"),
    "itunes:summary": _text_source("itunes:summary"),
    "itunes:subtitle": _text_source("itunes:subtitle"),
    "googleplay:description": _text_source("googleplay:description"),
    "atom:content": _text_source("atom:content"),
    "atom:summary": _text_source("atom:summary"),
    "enclosure": _enclosure,
    "media:content": _media_content,
    "media:thumbnail": _media_thumbnail,
    "media:description": _text_source("media:description"),
    "media:group": _media_group,
    "itunes:duration": _duration,
    "itunes:season": _season,
    "podcast:season": _podcast_season,
    "itunes:episode": _episode,
    "podcast:episode": _podcast_episode,
    "itunes:episodetype": _episode_type,
    "itunes:explicit": _explicit,
    "googleplay:explicit": _explicit,
    "itunes:block": _block,
    "itunes:image": _image,
    "googleplay:image": _image,
    "podcast:image": _image,
    "podcast:images": _images,
    "podcast:chapters": _chapters,
    "podcast:transcript": _transcript,
    "podcast:person": _person,
    "podcast:alternateenclosure": _alternate,
    "dc:language": _language,
    "language": _language,
}

_DATE_ELEMENTS = {"pubdate": "pubDate"}
_DESCRIPTION_ORDER = (
    "content:encoded",
    "description",
    "atom:content",
    "itunes:summary",
    "googleplay:description",
    "atom:summary",
    "media:description",
    "itunes:subtitle",
)
_ATOM_TEXT = frozenset({"atom:content", "atom:summary", "media:description"})
_DATE_ORDER = (
    "pubdate",
    "dc:date",
    "atom:published",
    "atom:issued",
    "atom:updated",
    "atom:modified",
)


_BY_TAG = TagTable(READERS)


def read_item(item: etree._Element, ctx: Context) -> ItemFields:
    fields = ItemFields()
    known = _BY_TAG.known
    for child in children(item):
        tag = child.tag
        reader = known[tag] if tag in known else _BY_TAG.learn(tag)
        if reader is not None:
            reader(child, fields, ctx)
    return fields


def _rank(kind: str | None, address: str) -> int:
    if kind:
        kind = kind.strip().lower()
        if kind.startswith(_MEDIA_PREFIXES):
            return 0
        if kind.startswith("image/"):
            return 3
    path = address.split("?", 1)[0].lower()
    if path.endswith(_MEDIA_EXTENSIONS):
        return 1
    return 2


def _candidates(
    raw: list[tuple[str | None, str | None, str | None]], ctx: Context, location: str
) -> list[Enclosure]:
    found: list[Enclosure] = []
    for address_raw, kind_raw, size_raw in raw:
        address = ctx.url(address_raw)
        if address is None:
            continue
        size = values.length(size_raw)
        if size is None and size_raw and size_raw.strip() not in ("0", "-1"):
            ctx.warn(
                "bad_enclosure_length",
                f"enclosure length {size_raw.strip()[:40]!r} is not a byte count",
                f"{location}/enclosure",
            )
        found.append(Enclosure(address, values.clean(kind_raw), size))
    return found


def _enclosures(
    fields: ItemFields, ctx: Context, location: str
) -> tuple[Enclosure | None, tuple[Enclosure, ...]]:
    """The enclosure to play and the alternatives: other enclosures, media:content, sources.

    ``<enclosure>`` elements are preferred over ``media:content``; among them audio and
    video come before unknown types, and images are never chosen while anything else is.
    """
    enclosures = _candidates(fields.enclosures, ctx, location)
    if len(enclosures) == 1 and not fields.media and not fields.alternates:
        return enclosures[0], ()
    media = _candidates([(u, t, s) for u, t, s, _ in fields.media], ctx, location)
    candidates = [(_rank(found.type, found.url), found) for found in enclosures]
    from_media = [(_rank(found.type, found.url), found) for found in media]
    pool = candidates or from_media
    if not pool:
        if fields.alternates:
            return fields.alternates[0], tuple(fields.alternates[1:])
        return None, ()
    best = min(range(len(pool)), key=lambda index: pool[index][0])
    primary = pool[best][1]
    seen = {primary.url}
    others: list[Enclosure] = []
    for rank, enclosure in [*candidates, *from_media]:
        if rank == 3 or enclosure.url in seen:
            continue
        seen.add(enclosure.url)
        others.append(enclosure)
    for enclosure in fields.alternates:
        if enclosure.url not in seen:
            seen.add(enclosure.url)
            others.append(enclosure)
    return primary, tuple(others)


def _number(
    primary: str | None, fallback: str | None, what: str, ctx: Context, location: str
) -> int | None:
    if not primary and not fallback:
        return None
    for value, element in ((primary, f"itunes:{what}"), (fallback, f"podcast:{what}")):
        if not value:
            continue
        found = values.number(value)
        if found is not None:
            return found
        ctx.warn(
            f"bad_{what}",
            f"{what} number {value[:40]!r} is not a whole number",
            f"{location}/{element}",
        )
    return None


def _duration_ms(fields: ItemFields, ctx: Context, location: str) -> int | None:
    raw = fields.duration
    if raw:
        found = parse_duration_ms(raw)
        if found is not None:
            return found
        if raw.strip("0:. ") and raw.strip() != "0":
            ctx.warn(
                "bad_duration",
                f"duration {raw[:40]!r} is not a duration",
                f"{location}/itunes:duration",
            )
    for _, _, _, media_duration in fields.media:
        found = parse_duration_ms(media_duration)
        if found is not None:
            return found
    return None


def _description_source(texts: dict[str, etree._Element]) -> str:
    """The richest description the item has: content:encoded first, a subtitle last."""
    if not texts:
        return ""
    for name in _DESCRIPTION_ORDER:
        element = texts.get(name)
        if element is None:
            continue
        found = _atom_text(element) if name in _ATOM_TEXT else values.markup(element)
        if found and not found.isspace():
            return found
    return ""


def build_episode(
    fields: ItemFields,
    ctx: Context,
    location: str,
    show_explicit: bool,
) -> EpisodeRecord | None:
    """The episode, or None (with a warning) when it cannot be played or is blocked."""
    title = fields.title or fields.itunes_title or ""
    if fields.block:
        ctx.warn(
            "episode_blocked", f"episode {title[:80]!r} has itunes:block yes; skipped", location
        )
        return None
    enclosure, alternates = _enclosures(fields, ctx, location)
    if enclosure is None:
        ctx.warn(
            "episode_without_enclosure",
            f"episode {title[:80]!r} has no enclosure; skipped",
            location,
        )
        return None
    if not title:
        ctx.warn("episode_without_title", "episode has no title", location)
    if fields.guid is None:
        ctx.warn("episode_without_guid", f"episode {title[:80]!r} has no guid", location)
    published_at = None
    for name in _DATE_ORDER:
        raw = fields.dates.get(name)
        if raw:
            published_at = parse_date(raw)
            if published_at is None:
                ctx.warn(
                    "bad_date",
                    f"date {raw[:60]!r} is not a date we can read",
                    f"{location}/{_DATE_ELEMENTS.get(name, name)}",
                )
            break
    html_description, description = sanitize(_description_source(fields.texts), ctx.descriptions)
    episode_type = EpisodeType.FULL
    if fields.episode_type:
        found_type = _EPISODE_TYPES.get(fields.episode_type.strip().lower())
        if found_type is None:
            ctx.warn(
                "bad_episode_type",
                f"episode type {fields.episode_type[:40]!r} is not full, trailer or bonus",
                f"{location}/itunes:episodeType",
            )
        else:
            episode_type = found_type
    explicit = values.explicit(fields.explicit)
    return EpisodeRecord(
        title=title,
        guid=fields.guid,
        enclosure=enclosure,
        alternate_enclosures=alternates,
        description=description,
        html_description=html_description,
        duration_ms=_duration_ms(fields, ctx, location),
        published_at=published_at,
        season=_number(fields.season, fields.podcast_season, "season", ctx, location),
        episode_number=_number(fields.episode, fields.podcast_episode, "episode", ctx, location),
        episode_type=episode_type,
        explicit=show_explicit if explicit is None else explicit,
        images=tuple(fields.images),
        chapters_url=fields.chapters,
        transcripts=tuple(fields.transcripts),
        persons=tuple(fields.persons),
        language=fields.language,
        link=fields.link,
    )
