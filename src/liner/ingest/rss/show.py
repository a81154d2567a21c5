"""The channel (or Atom feed) element into the fields of a ShowRecord."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from liner.ingest.records import Image, Person
from liner.ingest.rss import elements, values
from liner.ingest.rss.elements import Context
from liner.ingest.rss.names import TagTable, children, resolve

ITEM_NAMES = frozenset({"item", "atom:entry"})


class ChannelFields:
    """What the loop over the channel's children collects."""

    __slots__ = (
        "atom_subtitle",
        "block",
        "categories",
        "complete",
        "content",
        "description",
        "explicit",
        "fallback_categories",
        "funding",
        "guid",
        "images",
        "itunes_title",
        "language",
        "link",
        "locked",
        "locked_owner",
        "medium",
        "new_feed_url",
        "owner_email",
        "owner_name",
        "persons",
        "publishers",
        "redirect",
        "self_url",
        "show_type",
        "subtitle",
        "summary",
        "title",
    )

    def __init__(self) -> None:
        self.title: str | None = None
        self.itunes_title: str | None = None
        self.link: str | None = None
        self.self_url: str | None = None
        self.description: str | None = None
        self.content: str | None = None
        self.summary: str | None = None
        self.subtitle: str | None = None
        self.atom_subtitle: str | None = None
        self.language: str | None = None
        self.publishers: dict[str, str] = {}
        self.owner_name: str | None = None
        self.owner_email: str | None = None
        self.categories: list[str] = []
        self.fallback_categories: list[str] = []
        self.explicit: str | None = None
        self.show_type: str | None = None
        self.images: list[Image] = []
        self.new_feed_url: str | None = None
        self.redirect: str | None = None
        self.block = False
        self.complete = False
        self.guid: str | None = None
        self.locked = False
        self.locked_owner: str | None = None
        self.funding: list[tuple[str, str]] = []
        self.persons: list[Person] = []
        self.medium: str | None = None


Reader = Callable[[etree._Element, ChannelFields, Context], None]


def _title(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    if f.title is None:
        f.title = values.text(el)


def _itunes_title(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    f.itunes_title = values.text(el)


def _link(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    if f.link is None:
        f.link = ctx.url(values.text(el))


def _atom_link(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    rel = (el.get("rel") or "alternate").strip().lower()
    if rel == "self":
        if f.self_url is None:
            f.self_url = ctx.url(el.get("href"))
    elif rel == "alternate":
        if f.link is None:
            f.link = ctx.url(el.get("href"))
    elif rel == "image":
        elements.add_image(f.images, elements.image_href(el, ctx))


def _description(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    f.description = values.markup(el)


def _content(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    f.content = values.markup(el)


def _summary(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    if f.summary is None:
        f.summary = values.markup(el)


def _subtitle(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    f.subtitle = values.markup(el)


def _atom_subtitle(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    f.atom_subtitle = values.markup(el)


def _language(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    if f.language is None:
        f.language = values.clean(values.text(el))


def _publisher(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    name = resolve(el.tag)
    if name == "atom:author":
        for child in children(el):
            if resolve(child.tag) == "atom:name":
                found = values.text(child)
                break
        else:
            found = values.text(el)
    else:
        found = values.text(el)
    if found and name not in f.publishers:
        f.publishers[name] = found


def _owner(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    for child in children(el):
        name = resolve(child.tag)
        if name == "itunes:name":
            f.owner_name = values.clean(values.text(child))
        elif name == "itunes:email":
            f.owner_email = values.clean(values.text(child))


def _googleplay_owner(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    if f.owner_email is None:
        f.owner_email = values.clean(values.text(el))


def _itunes_category(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    elements.itunes_categories(el, "", f.categories)


def _other_category(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    label = (el.get("text") or el.get("term") or values.text(el)).strip()
    if label and label not in f.fallback_categories:
        f.fallback_categories.append(label)


def _explicit(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    if f.explicit is None:
        f.explicit = values.text(el)


def _show_type(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    f.show_type = values.text(el)


def _image_href(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    elements.add_image(f.images, elements.image_href(el, ctx))


def _images(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    for image in elements.srcset_images(el, ctx):
        elements.add_image(f.images, image)


def _rss_image(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    elements.add_image(f.images, elements.rss_image(el, ctx))


def _thumbnail(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    elements.add_image(f.images, elements.image_url_attr(el, ctx))


def _atom_logo(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    found = ctx.url(values.text(el))
    if found is not None:
        elements.add_image(f.images, Image(found))


def _new_feed_url(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    found = ctx.url(values.text(el))
    if found is not None:
        f.new_feed_url = found


def _redirect(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    """The old ``<redirect><newLocation>`` convention for moved feeds."""
    for child in children(el):
        if resolve(child.tag) == "newlocation":
            f.redirect = ctx.url(values.text(child))


def _block(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    f.block = f.block or values.flag(values.text(el))


def _complete(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    f.complete = f.complete or values.flag(values.text(el))


def _guid(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    if f.guid is None:
        f.guid = values.clean(values.text(el))


def _locked(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    f.locked = values.flag(values.text(el))
    f.locked_owner = values.clean(el.get("owner"))


def _funding(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    found = ctx.url(el.get("url"))
    if found is not None:
        f.funding.append((found, values.text(el)))


def _person(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    found = elements.person(el, ctx)
    if found is not None:
        f.persons.append(found)


def _medium(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    f.medium = values.lower(values.text(el))


READERS: dict[str, Reader] = {
    "title": _title,
    "atom:title": _title,
    "itunes:title": _itunes_title,
    "link": _link,
    "atom:link": _atom_link,
    "description": _description,
    "content:encoded": _content,
    "itunes:summary": _summary,
    "googleplay:description": _summary,
    "itunes:subtitle": _subtitle,
    "atom:subtitle": _atom_subtitle,
    "atom:tagline": _atom_subtitle,
    "language": _language,
    "dc:language": _language,
    "itunes:author": _publisher,
    "googleplay:author": _publisher,
    "author": _publisher,
    "dc:creator": _publisher,
    "dc:publisher": _publisher,
    "atom:author": _publisher,
    "itunes:owner": _owner,
    "googleplay:owner": _googleplay_owner,
    "googleplay:email": _googleplay_owner,
    "itunes:category": _itunes_category,
    "googleplay:category": _other_category,
    "category": _other_category,
    "atom:category": _other_category,
    "itunes:explicit": _explicit,
    "googleplay:explicit": _explicit,
    "itunes:type": _show_type,
    "itunes:image": _image_href,
    "googleplay:image": _image_href,
    "podcast:image": _image_href,
    "podcast:images": _images,
    "image": _rss_image,
    "media:thumbnail": _thumbnail,
    "atom:logo": _atom_logo,
    "atom:icon": _atom_logo,
    "itunes:new-feed-url": _new_feed_url,
    "redirect": _redirect,
    "itunes:block": _block,
    "itunes:complete": _complete,
    "podcast:guid": _guid,
    "podcast:locked": _locked,
    "podcast:funding": _funding,
    "podcast:person": _person,
    "podcast:medium": _medium,
}


def _item(el: etree._Element, f: ChannelFields, ctx: Context) -> None:
    """Marks items (and Atom entries) in the table below; :func:`read_channel` collects them."""


_BY_TAG = TagTable({**READERS, **dict.fromkeys(ITEM_NAMES, _item)})

PUBLISHER_ORDER = (
    "itunes:author",
    "googleplay:author",
    "author",
    "dc:creator",
    "dc:publisher",
    "atom:author",
)


def read_channel(
    channel: etree._Element, ctx: Context, items: list[etree._Element]
) -> ChannelFields:
    """Read the channel's own fields; its items are appended to ``items``."""
    fields = ChannelFields()
    known = _BY_TAG.known
    for child in children(channel):
        tag = child.tag
        reader = known[tag] if tag in known else _BY_TAG.learn(tag)
        if reader is None:
            continue
        if reader is _item:
            items.append(child)
        else:
            reader(child, fields, ctx)
    return fields
