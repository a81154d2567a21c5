"""Readers for elements that appear both on the channel and on items."""

from __future__ import annotations

from lxml import etree

from liner.ingest.records import Enclosure, Image, Person, Problem, Transcript
from liner.ingest.rss import values
from liner.ingest.rss.html import SanitizeMemo
from liner.ingest.rss.names import children, resolve


class Context:
    """What every reader needs: the base URL, the list problems go to, and what the
    feed's descriptions share for the sanitiser."""

    __slots__ = ("base", "descriptions", "problems")

    def __init__(self, base: str | None, problems: list[Problem]) -> None:
        self.base = base
        self.problems = problems
        self.descriptions = SanitizeMemo()

    def warn(self, code: str, message: str, location: str) -> None:
        self.problems.append(Problem(code, message, "warning", location))

    def url(self, value: str | None) -> str | None:
        return values.url(value, self.base)


def _dimension(value: str | None) -> int | None:
    if value is None:
        return None
    found = values.number(value)
    return found if found else None


def image_href(element: etree._Element, ctx: Context) -> Image | None:
    """``itunes:image`` and its kin: ``href``, else ``url``, else the element's text."""
    raw = element.get("href") or element.get("url") or element.text
    found = ctx.url(raw)
    if found is None:
        return None
    return Image(found, _dimension(element.get("width")), _dimension(element.get("height")))


def image_url_attr(element: etree._Element, ctx: Context) -> Image | None:
    """``media:thumbnail``: ``url`` with optional ``width``/``height``."""
    found = ctx.url(element.get("url"))
    if found is None:
        return None
    return Image(found, _dimension(element.get("width")), _dimension(element.get("height")))


def rss_image(element: etree._Element, ctx: Context) -> Image | None:
    """The RSS ``<image>`` block: ``url``, ``width``, ``height`` children."""
    found: str | None = None
    width: int | None = None
    height: int | None = None
    for child in children(element):
        name = resolve(child.tag)
        if name == "url":
            found = ctx.url(values.text(child))
        elif name == "width":
            width = _dimension(child.text)
        elif name == "height":
            height = _dimension(child.text)
    if found is None:
        if element.get("href") or element.get("url"):
            return image_href(element, ctx)
        return None
    return Image(found, width, height)


def srcset_images(element: etree._Element, ctx: Context) -> list[Image]:
    """``podcast:images srcset="url 1500w, url 600w"``."""
    found: list[Image] = []
    for candidate in (element.get("srcset") or "").split(","):
        parts = candidate.split()
        if not parts:
            continue
        address = ctx.url(parts[0])
        if address is None:
            continue
        width = None
        if len(parts) > 1 and parts[1].lower().endswith("w"):
            width = _dimension(parts[1][:-1])
        found.append(Image(address, width, width))
    return found


def add_image(images: list[Image], image: Image | None) -> None:
    if image is None:
        return
    for existing in images:
        if existing.url == image.url:
            return
    images.append(image)


def person(element: etree._Element, ctx: Context) -> Person | None:
    name = values.text(element)
    if not name:
        return None
    return Person(
        name=name,
        role=values.lower(element.get("role")) or "host",
        group=values.lower(element.get("group")) or "cast",
        href=ctx.url(element.get("href")),
        img=ctx.url(element.get("img")),
    )


def transcript(element: etree._Element, ctx: Context) -> Transcript | None:
    address = ctx.url(element.get("url"))
    if address is None:
        return None
    return Transcript(
        url=address,
        type=values.clean(element.get("type")) or "",
        language=values.clean(element.get("language")),
        rel=values.clean(element.get("rel")),
    )


def alternate_enclosures(element: etree._Element, ctx: Context) -> list[Enclosure]:
    """``podcast:alternateEnclosure``: one Enclosure per ``podcast:source`` child."""
    kind = values.clean(element.get("type"))
    size = values.length(element.get("length"))
    found: list[Enclosure] = []
    for child in children(element):
        if resolve(child.tag) != "podcast:source":
            continue
        address = ctx.url(child.get("uri"))
        if address is None:
            continue
        found.append(Enclosure(address, values.clean(child.get("contentType")) or kind, size))
    return found


def itunes_categories(element: etree._Element, prefix: str, into: list[str]) -> None:
    """Nested ``itunes:category`` as ``Parent/Child`` paths, one per leaf."""
    label = (element.get("text") or "").strip()
    path = f"{prefix}/{label}" if prefix and label else (label or prefix)
    nested = False
    for child in children(element):
        if resolve(child.tag) == "itunes:category":
            nested = True
            itunes_categories(child, path, into)
    if not nested and path and path not in into:
        into.append(path)
