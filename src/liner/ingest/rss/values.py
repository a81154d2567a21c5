"""Small readers for element text and attribute values: flags, numbers, URLs, text."""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urljoin

from lxml import etree

_TRUE_EXPLICIT = frozenset({"true", "yes", "explicit", "1"})
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_SCRIPT_SCHEMES = frozenset({"javascript:", "vbscript:", "data:"})
_WEB = ("https://", "http://")
_INT = re.compile(r"^[+#]?\s*(\d{1,9})(?:\.0+)?$")

MAX_NUMBER = 1_000_000


def text(element: etree._Element) -> str:
    """The element's text content, stripped; child elements contribute their text."""
    if len(element):
        return "".join(p for p in element.itertext() if isinstance(p, str)).strip()
    value = element.text
    return value.strip() if value else ""


def markup(element: etree._Element) -> str:
    """The element's content as markup: its text, or its children serialised as written.

    Descriptions normally carry escaped or CDATA HTML (plain text here); some feeds put
    XHTML elements straight inside, which are serialised back so the sanitiser sees them.
    """
    if not len(element):
        return element.text or ""
    parts = [escape(element.text or "", quote=False)]
    parts.extend(etree.tostring(child, encoding="unicode", with_tail=True) for child in element)
    return "".join(parts)


def flag(value: str | None) -> bool:
    """``yes`` (any case) means True: Apple's rule for ``itunes:block`` and friends."""
    return value is not None and value.strip().lower() == "yes"


def explicit(value: str | None) -> bool | None:
    """``true``/``yes``/``explicit`` -> True, other values -> False, empty -> None."""
    if value is None:
        return None
    value = value.strip().lower()
    if not value:
        return None
    return value in _TRUE_EXPLICIT


def number(value: str | None) -> int | None:
    """A non-negative integer such as a season or episode number; None for junk."""
    if value is None:
        return None
    match = _INT.match(value.strip())
    if match is None:
        return None
    found = int(match.group(1))
    return found if found <= MAX_NUMBER else None


def length(value: str | None) -> int | None:
    """An enclosure's byte length; None for junk, zero or negatives."""
    if not value:
        return None
    value = value.strip().replace(",", "")
    if not value.isdigit() or not value.isascii() or len(value) > 15:
        return None
    found = int(value)
    return found if found > 0 else None


def url(value: str | None, base: str | None) -> str | None:
    """A URL with surrounding whitespace removed, made absolute against ``base``.

    Script-carrying schemes (``javascript:``, ``vbscript:``, ``data:``) give None; other
    schemes are kept for the fetcher and the quality rules to judge.
    """
    if not value:
        return None
    value = value.strip()
    if not value:
        return None
    if value.startswith(_WEB):
        return value
    scheme = _SCHEME.match(value)
    if scheme is not None:
        if scheme.group(0).lower() in _SCRIPT_SCHEMES:
            return None
        return value
    if value.startswith("//"):
        return urljoin(base, value) if base else "https:" + value
    if base:
        return urljoin(base, value)
    return value


def lower(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    return value or None


def clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None
