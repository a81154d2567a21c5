"""The one entry point for parsing XML that came from outside.

No DTD is loaded, no entity is resolved or expanded, nothing is fetched from the
network, documents are size-limited and depth-limited (libxml2 refuses nesting deeper
than 256 levels unless ``huge_tree`` is set, and it never is here), and a document
that declares entities is refused outright (billion laughs, XXE). UTF-8 and UTF-16,
with or without BOM, are handled by libxml2 from the bytes; callers pass bytes.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from liner.kit.errors import XmlError

DEFAULT_MAX_BYTES = 64 * 1024 * 1024


def _parser(*, recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=True,
        remove_pis=True,
        strip_cdata=True,
        collect_ids=False,
        compact=True,
        recover=recover,
    )


def parse_xml(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    recover: bool = False,
    location: str = "",
) -> etree._Element:
    """Parse ``data`` and return its root element, or raise :class:`XmlError`.

    ``recover=True`` asks libxml2 to repair what it can (for feeds in the wild); the
    caller should record that the document needed recovery.
    """
    if not isinstance(data, bytes):
        raise TypeError("parse_xml takes bytes; decoding is the parser's job")
    if len(data) > max_bytes:
        raise XmlError(
            f"document is {len(data)} bytes, more than the limit of {max_bytes}",
            location=location,
            code="xml_too_large",
        )
    if not data.strip():
        raise XmlError("document is empty", location=location, code="xml_empty")
    try:
        root = etree.fromstring(data, parser=_parser(recover=recover))
    except etree.XMLSyntaxError as exc:
        code = "xml_too_deep" if "Excessive depth" in str(exc) else "xml_malformed"
        raise XmlError(f"malformed XML: {exc}", location=location, code=code) from exc
    except (ValueError, etree.LxmlError) as exc:
        raise XmlError(f"unreadable XML: {exc}", location=location, code="xml_malformed") from exc
    if root is None:
        raise XmlError("no root element", location=location, code="xml_malformed")
    docinfo = root.getroottree().docinfo
    dtd: Any = docinfo.internalDTD
    if dtd is not None and (any(True for _ in dtd.iterentities()) or dtd.system_url):
        raise XmlError(
            "documents that declare entities or external DTDs are refused",
            location=location,
            code="xml_forbidden_dtd",
        )
    return root
