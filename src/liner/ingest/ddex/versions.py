"""Which ERN version a message is: from its namespace and ``MessageSchemaVersionId``.

ERN 4 is identified by its namespace (``http://ddex.net/xml/ern/43``). ERN 3 messages
carry ``MessageSchemaVersionId`` in many spellings (``ern/382``, ``/ern/381``,
``2011/ern-main/33``), and folder names lie; the attribute is what the sender claims,
the namespace what the document is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from liner.ingest.ddex.model import DdexError
from liner.ingest.ddex.tree import Element, Problems, attr

SUPPORTED_VERSIONS: frozenset[str] = frozenset(
    {
        "3.4",
        "3.4.1",
        "3.5",
        "3.5.1",
        "3.6",
        "3.7",
        "3.7D2",
        "3.7.1",
        "3.8",
        "3.8.1",
        "3.8.2",
        "3.8.3",
        "4.1",
        "4.1.1",
        "4.2",
        "4.3",
    }
)

_NAMESPACE_RE = re.compile(r"https?://ddex\.net/xml/(?:\d{4}/)?ern(?:-main)?/([0-9A-Za-z.]+)/?")
_MSVI_RE = re.compile(r"(?:.*/)?(?:ern(?:-main)?/)?([0-9][0-9A-Za-z.]*)")


@dataclass(frozen=True, slots=True)
class ErnVersion:
    version: str
    major: int

    @property
    def is_ern4(self) -> bool:
        return self.major >= 4


def version_from_code(code: str) -> str | None:
    """``382`` -> ``3.8.2``, ``37D2`` -> ``3.7D2``, ``43`` -> ``4.3``, ``4.1.1`` kept."""
    code = code.strip().strip("/")
    if not code or not code[0].isdigit():
        return None
    if "." in code:
        return code if re.fullmatch(r"\d+(\.\d+)*", code) else None
    match = re.fullmatch(r"(\d+)(D\d+)?", code, flags=re.IGNORECASE)
    if match is None:
        return None
    digits, draft = match.groups()
    version = ".".join(digits)
    return version + draft.upper() if draft else version


def detect_version(root: Element, problems: Problems, *, location: str = "") -> ErnVersion:
    tag = root.tag if isinstance(root.tag, str) else ""
    namespace = tag[1 : tag.index("}")] if tag.startswith("{") else ""
    from_namespace: str | None = None
    match = _NAMESPACE_RE.fullmatch(namespace)
    if match:
        from_namespace = version_from_code(match.group(1))
    from_msvi: str | None = None
    msvi = attr(root, "MessageSchemaVersionId")
    if msvi:
        msvi_match = _MSVI_RE.fullmatch(msvi)
        if msvi_match:
            from_msvi = version_from_code(msvi_match.group(1))
        if from_msvi is None:
            problems.warn(
                "ddex_version_unreadable",
                f"MessageSchemaVersionId {msvi!r} names no ERN version",
                at="/" + (root.tag.split("}")[-1] if isinstance(root.tag, str) else ""),
            )
    if from_namespace is None and from_msvi is None:
        raise DdexError(
            f"cannot tell the ERN version (namespace {namespace!r}, "
            f"MessageSchemaVersionId {msvi!r})",
            location=location,
            code="ddex_unknown_version",
        )
    if from_namespace and from_msvi and from_namespace != from_msvi:
        problems.warn(
            "ddex_version_mismatch",
            f"namespace says ERN {from_namespace}, MessageSchemaVersionId says {from_msvi}",
        )
    chosen: str
    if from_namespace and (from_namespace.startswith("4") or from_msvi is None):
        chosen = from_namespace
    else:
        assert from_msvi is not None
        chosen = from_msvi
    major = int(chosen.split(".")[0][0])
    if major not in (3, 4):
        raise DdexError(
            f"ERN {chosen} is not an ERN 3 or 4 version",
            location=location,
            code="ddex_unknown_version",
        )
    if chosen not in SUPPORTED_VERSIONS:
        problems.warn(
            "ddex_version_unsupported",
            f"ERN {chosen} is not a version Liner was built for; read as ERN {major}",
        )
    return ErnVersion(version=chosen, major=major)
