"""From feed bytes to an XML root element, repairing what real feeds get wrong.

Order: the bytes are made into UTF-8 (:mod:`.encoding`) and parsed strictly by the
hardened entry point (:func:`liner.kit.xml.parse_xml`). If that fails, the bytes are
decoded again the slow way (when the fast path had trusted them), then the common
breakages are repaired outside CDATA sections (characters XML forbids, HTML entity
names, bare ``&``, unquoted attribute values) and parsed strictly again. libxml2's
recovering mode is the last resort. Every repair is a warning, and ``recovered`` is
True whenever the document as delivered was not well-formed. Documents nested too
deeply, too large or declaring entities are refused.
"""

from __future__ import annotations

import re
from html.entities import name2codepoint

from lxml import etree

from liner.ingest.records import Problem
from liner.ingest.rss.encoding import prepare, transcode
from liner.ingest.rss.errors import FeedError
from liner.kit.errors import XmlError
from liner.kit.xml import parse_xml

_XML_ERROR_CODES = {
    "xml_empty": FeedError.EMPTY,
    "xml_too_large": FeedError.TOO_LARGE,
    "xml_too_deep": FeedError.TOO_DEEP,
    "xml_forbidden_dtd": FeedError.FORBIDDEN_DTD,
}
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{1,31});")
_BARE_AMPERSAND = re.compile(
    rb"&(?![A-Za-z][A-Za-z0-9._\-]{0,31};|#[0-9]{1,7};|#[xX][0-9A-Fa-f]{1,6};)"
)
_START_TAG = re.compile(rb"<([A-Za-z][^\s<>/]*)([^<>]*)>")
_ATTRIBUTE = re.compile(rb"""(\s+[^\s=/>"']+)(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>]+)?""")
_UNQUOTED_PROBE = re.compile(
    rb"""<[A-Za-z][^\s<>/]*(?:\s+[^\s=/>"']+\s*=\s*(?:"[^"]*"|'[^']*'))*"""
    rb"""\s+[^\s=/>"']+\s*=\s*[^\s"'>]"""
)
_CDATA = re.compile(rb"(<!\[CDATA\[.*?\]\]>)", re.DOTALL)
_NOT_ELEMENTS = re.compile(rb"<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>]*>", re.DOTALL | re.IGNORECASE)
_ELEMENT_START = re.compile(rb"<[A-Za-z_:]")
_FIX_MESSAGES = {
    "control_characters_removed": "characters that XML forbids were removed",
    "entities_replaced": "HTML entity names that XML does not define were replaced",
    "ampersands_escaped": "bare '&' characters were escaped",
    "attributes_quoted": "attribute values without quotes were quoted",
}


def _feed_error(exc: XmlError) -> FeedError:
    error = FeedError(
        exc.message, location=exc.location, code=_XML_ERROR_CODES.get(exc.code, "malformed")
    )
    error.__cause__ = exc
    return error


def _strict(data: bytes) -> tuple[etree._Element | None, XmlError | None]:
    try:
        return parse_xml(data), None
    except XmlError as exc:
        if exc.code != "xml_malformed":
            raise _feed_error(exc) from exc
        if "Excessive depth" in exc.message:
            raise FeedError(exc.message, code=FeedError.TOO_DEEP) from exc
        return None, exc


def _replace_entity(match: re.Match[bytes]) -> bytes:
    name = match.group(1)
    codepoint = name2codepoint.get(name.decode("ascii"))
    if codepoint is None:
        return b"&amp;" + name + b";"
    return b"&#%d;" % codepoint


def _quote_value(match: re.Match[bytes]) -> bytes:
    name, equals, value = match.groups()
    if value is None:
        return match.group(0)
    if value[:1] in (b'"', b"'"):
        return match.group(0)
    return name + equals + b'"' + value + b'"'


def _quote_tag(match: re.Match[bytes]) -> bytes:
    attributes = match.group(2)
    if b"=" not in attributes:
        return match.group(0)
    return b"<" + match.group(1) + _ATTRIBUTE.sub(_quote_value, attributes) + b">"


def _cheap_repairs(part: bytes, fixes: set[str]) -> bytes:
    if _CONTROL_BYTES.search(part) is not None:
        part = _CONTROL_BYTES.sub(b"", part)
        fixes.add("control_characters_removed")
    if b"&" in part:
        fixed = _ENTITY.sub(_replace_entity, part)
        if fixed != part:
            part = fixed
            fixes.add("entities_replaced")
        fixed = _BARE_AMPERSAND.sub(b"&amp;", part)
        if fixed != part:
            part = fixed
            fixes.add("ampersands_escaped")
    return part


def _repair(data: bytes, fixes: set[str]) -> bytes:
    parts = _CDATA.split(data)
    for index in range(0, len(parts), 2):
        parts[index] = _cheap_repairs(parts[index], fixes)
    return b"".join(parts) if fixes else data


def _quote_attributes(data: bytes, fixes: set[str]) -> bytes:
    parts = _CDATA.split(data)
    changed = False
    for index in range(0, len(parts), 2):
        fixed = _START_TAG.sub(_quote_tag, parts[index])
        if fixed != parts[index]:
            parts[index] = fixed
            changed = True
    if not changed:
        return data
    fixes.add("attributes_quoted")
    return b"".join(parts)


def _has_element(data: bytes) -> bool:
    return _ELEMENT_START.search(_NOT_ELEMENTS.sub(b"", data)) is not None


def _recover(data: bytes, first_error: XmlError) -> etree._Element:
    try:
        return parse_xml(data, recover=True)
    except XmlError as exc:
        if exc.code != "xml_malformed":
            raise _feed_error(exc) from exc
        if not _has_element(data):
            raise FeedError("the document has no element", code=FeedError.EMPTY) from exc
        raise FeedError(
            f"unreadable even by the recovering parser: {first_error.message}",
            code=FeedError.MALFORMED,
        ) from first_error


def read_document(
    data: bytes, content_type: str | None, problems: list[Problem]
) -> tuple[etree._Element, bool, str]:
    """The root element, whether the document needed repair, and the encoding it was read as."""
    prepared = prepare(data, content_type, problems)
    root, error = _strict(prepared.data)
    if root is not None:
        return root, False, prepared.encoding
    first_error = error or XmlError("no root element", code="xml_malformed")
    if not prepared.transcoded:
        again = transcode(data, content_type, problems)
        if again.data != prepared.data:
            prepared = again
            root, error = _strict(prepared.data)
            if root is not None:
                return root, True, prepared.encoding
    text = prepared.data
    fixes: set[str] = set()
    repaired = _repair(text, fixes)
    if _UNQUOTED_PROBE.search(repaired) is not None:
        repaired = _quote_attributes(repaired, fixes)
    if repaired is not text:
        root, error = _strict(repaired)
    problems.extend(Problem(code, _FIX_MESSAGES[code], "warning") for code in sorted(fixes))
    if root is not None:
        message = f"repaired malformed XML: {first_error.message}"
    else:
        root = _recover(repaired, first_error)
        message = f"recovered from malformed XML: {first_error.message}"
    problems.append(Problem("xml_recovered", message, "warning"))
    return root, True, prepared.encoding
