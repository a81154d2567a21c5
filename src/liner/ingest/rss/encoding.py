"""From the bytes a server sent to UTF-8 bytes that the XML parser reads without guessing.

Feeds declare their encoding in three places that often disagree: a byte order mark,
the HTTP ``charset`` and the XML declaration. The most common lie in the wild is a
declaration (or a server default) of one encoding over bytes in another, usually
UTF-8 declared over Latin-1/cp1252 or the reverse. The rules here:

* A BOM wins. UTF-16/32 without a BOM is recognised from the zero bytes around ``<``.
* Bytes that are valid UTF-8 and contain non-ASCII characters are read as UTF-8 even
  when a single-byte encoding is claimed: Latin-1 text is practically never valid UTF-8.
* A claimed multi-byte legacy encoding (Big5, GB2312, EUC-KR, Shift_JIS...) is used when
  the bytes decode under it.
* Otherwise invalid UTF-8 is read as UTF-8 with each undecodable byte taken as cp1252,
  which repairs both wholly Latin-1 documents and UTF-8 documents with stray cp1252 bytes.

Whatever was decoded is re-encoded as UTF-8 and the declaration's ``encoding`` is
removed, so libxml2 never re-interprets the bytes. The common case (UTF-8 or no
declaration, no conflicting charset) is passed through untouched and only decoded in
Python if libxml2 rejects it.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from liner.ingest.records import Problem
from liner.ingest.rss.errors import FeedError

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)

_DECLARATION = re.compile(
    rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE
)
_DECLARATION_ENCODING = re.compile(
    r"""^(\s*<\?xml\b[^>]*?)\s+encoding\s*=\s*(?:"[^"]*"|'[^']*'|[^\s?>]*)""", re.IGNORECASE
)
_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]*>", re.IGNORECASE)
_C1_BYTES = re.compile(rb"\xc2[\x80-\x9f]")
_C1_STEPS = 4096
_C1_CHARS = re.compile("[\x80-\x9f]")
_MARKUP_START = re.compile(rb"<(?:\?xml|rss|feed|rdf:RDF|RDF|channel)\b", re.IGNORECASE)

_UTF8 = "utf-8"
_WIDE = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})
_MULTIBYTE = frozenset(
    {
        "big5",
        "big5hkscs",
        "cp932",
        "cp949",
        "cp950",
        "euc_jis_2004",
        "euc_jisx0213",
        "euc_jp",
        "euc_kr",
        "gb18030",
        "gb2312",
        "gbk",
        "hz",
        "iso2022_jp",
        "iso2022_kr",
        "johab",
        "shift_jis",
        "shift_jis_2004",
        "shift_jisx0213",
    }
)
_SUPERSETS = {
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}
_SCAN = 2048


@dataclass(frozen=True, slots=True)
class Prepared:
    """Bytes ready for the XML parser, and how they were read."""

    data: bytes
    encoding: str
    transcoded: bool


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    byte = exc.object[exc.start : exc.start + 1]
    try:
        char = byte.decode("cp1252")
    except UnicodeDecodeError:
        char = byte.decode("latin-1")
    return char, exc.start + 1


codecs.register_error("liner-cp1252", _cp1252_fallback)


def canonical_codec(name: str | None) -> str | None:
    """Python's name for an encoding label, or None when the label is unknown."""
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("'\"")).name
    except LookupError:
        return None


def http_charset(content_type: str | None) -> str | None:
    """The raw ``charset`` parameter of a Content-Type header, if any."""
    if not content_type:
        return None
    match = _CHARSET.search(content_type)
    return match.group(1) if match else None


def _bom(data: bytes) -> tuple[str | None, int]:
    for mark, codec in _BOMS:
        if data.startswith(mark):
            return codec, len(mark)
    return None, 0


def _sniff_wide(data: bytes) -> str | None:
    head = data[:4]
    if len(head) < 4:
        return None
    b0, b1, b2, b3 = head
    if b0 == 0 and b1 == 0 and b2 == 0 and b3 != 0:
        return "utf-32-be"
    if b0 != 0 and b1 == 0 and b2 == 0 and b3 == 0:
        return "utf-32-le"
    if b0 == 0 and b1 != 0 and b2 == 0:
        return "utf-16-be"
    if b0 != 0 and b1 == 0 and b3 == 0:
        return "utf-16-le"
    return None


def declared_encoding(data: bytes) -> str | None:
    """The ``encoding`` of an ASCII-compatible XML declaration, as written."""
    match = _DECLARATION.match(data[:_SCAN])
    return match.group(1).decode("ascii") if match else None


def clean_prolog(data: bytes, problems: list[Problem]) -> bytes:
    """Strip what may not precede the root element: whitespace, junk, a DTD reference.

    A DOCTYPE without an internal subset only names a DTD that is never loaded, so it is
    dropped (old RSS 0.91 feeds carry one); one with an internal subset is left for the
    hardened XML parser to judge.
    """
    if data[:1].isspace() or data[:1] == b"\x00":
        data = data.lstrip(b" \t\r\n\x00\x0b\x0c")
    if not data.startswith(b"<"):
        match = _MARKUP_START.search(data[:_SCAN])
        if match is None:
            raise FeedError("the document does not start with markup", code=FeedError.NOT_A_FEED)
        problems.append(
            Problem(
                "leading_junk_removed",
                f"removed {match.start()} bytes of text before the XML",
                "warning",
            )
        )
        data = data[match.start() :]
    head = data[:_SCAN]
    if b"<!" in head:
        doctype = _DOCTYPE.search(head)
        if doctype is not None:
            data = data[: doctype.start()] + data[doctype.end() :]
    return data


def _demoronize(text: str, problems: list[Problem]) -> str:
    """Replace C1 control characters, which are really cp1252 punctuation, by what they meant."""
    if _C1_CHARS.search(text) is None:
        return text
    problems.append(
        Problem(
            "cp1252_controls_replaced",
            "C1 control characters (cp1252 punctuation stored as Unicode) were replaced",
            "warning",
        )
    )
    return _C1_CHARS.sub(_c1_to_cp1252, text)


def _c1_to_cp1252(match: re.Match[str]) -> str:
    char = match.group(0)
    try:
        return char.encode("latin-1").decode("cp1252")
    except UnicodeDecodeError:
        return char


def _decode_strict_or_replace(data: bytes, codec: str, problems: list[Problem], why: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        problems.append(
            Problem(
                "encoding_replaced",
                f"{why} but some bytes are not valid {codec} ({exc.reason}); they were replaced",
                "warning",
            )
        )
        return data.decode(codec, errors="liner-cp1252" if codec == _UTF8 else "replace")


def _decode_8bit(
    data: bytes, claims: list[tuple[str, str]], problems: list[Problem]
) -> tuple[str, str]:
    narrow: list[tuple[str, str]] = []
    for source, codec in claims:
        if codec in _WIDE:
            problems.append(
                Problem(
                    "encoding_mismatch",
                    f"{source} says {codec} but the bytes are an 8-bit encoding",
                    "warning",
                )
            )
        else:
            narrow.append((source, codec))
    if data.isascii():
        return data.decode("ascii"), narrow[0][1] if narrow else _UTF8
    try:
        utf8: str | None = data.decode(_UTF8)
    except UnicodeDecodeError:
        utf8 = None
    for source, codec in narrow:
        if codec == _UTF8:
            if utf8 is not None:
                return utf8, _UTF8
            continue
        if utf8 is not None and codec not in _MULTIBYTE:
            problems.append(
                Problem(
                    "encoding_mismatch",
                    f"{source} says {codec} but the bytes are valid UTF-8; read as UTF-8",
                    "warning",
                )
            )
            return utf8, _UTF8
        reading = _SUPERSETS.get(codec, codec)
        try:
            return data.decode(reading), codec
        except UnicodeDecodeError:
            problems.append(
                Problem(
                    "encoding_mismatch",
                    f"{source} says {codec} but the bytes do not decode as {codec}",
                    "warning",
                )
            )
    if utf8 is not None:
        return utf8, _UTF8
    problems.append(
        Problem(
            "encoding_fallback",
            "the bytes are not valid UTF-8; undecodable bytes were read as windows-1252",
            "warning",
        )
    )
    return data.decode(_UTF8, errors="liner-cp1252"), "utf-8+windows-1252"


def _claims(
    content_type: str | None, declared: str | None, problems: list[Problem]
) -> list[tuple[str, str]]:
    claims: list[tuple[str, str]] = []
    for source, label in (
        ("the HTTP charset", http_charset(content_type)),
        ("the XML declaration", declared),
    ):
        if label is None:
            continue
        codec = canonical_codec(label)
        if codec is None:
            problems.append(
                Problem(
                    "unknown_encoding", f"{source} names an unknown encoding {label!r}", "warning"
                )
            )
            continue
        claims.append((source, codec))
    return claims


def transcode(data: bytes, content_type: str | None, problems: list[Problem]) -> Prepared:
    """Decode ``data`` by the rules above and return it as UTF-8 without an encoding label."""
    bom_codec, bom_len = _bom(data)
    body = data[bom_len:] if bom_len else data
    if bom_codec is not None:
        text = _decode_strict_or_replace(body, bom_codec, problems, "the byte order mark says")
        codec = bom_codec
    else:
        wide = _sniff_wide(body)
        if wide is not None:
            text = _decode_strict_or_replace(body, wide, problems, "the first bytes say")
            codec = wide
        else:
            stripped = body.lstrip()
            claims = _claims(content_type, declared_encoding(stripped), problems)
            text, codec = _decode_8bit(body, claims, problems)
    head = text[:_SCAN]
    fixed_head = _DECLARATION_ENCODING.sub(r"\1", head, count=1)
    if fixed_head != head:
        text = fixed_head + text[_SCAN:]
    text = _demoronize(text, problems)
    out = text.encode(_UTF8, errors="replace")
    return Prepared(clean_prolog(out, problems), codec, True)


def _has_c1(data: bytes) -> bool:
    """Whether UTF-8 ``data`` encodes a C1 control character (C2 80 to C2 9F).

    Other characters from C2 (no-break spaces, mostly) are stepped over a few at a time;
    a document full of them is left to one scan by the regular expression.
    """
    start = data.find(b"\xc2")
    for _ in range(_C1_STEPS):
        if start < 0:
            return False
        if b"\x80" <= data[start + 1 : start + 2] <= b"\x9f":
            return True
        start = data.find(b"\xc2", start + 1)
    return start >= 0 and _C1_BYTES.search(data, start) is not None


def prepare(data: bytes, content_type: str | None, problems: list[Problem]) -> Prepared:
    """The bytes to hand the XML parser first; see :func:`transcode` for the slow path."""
    if not data or data.isspace():
        raise FeedError("the document is empty", code=FeedError.EMPTY)
    bom_codec, _ = _bom(data)
    charset = http_charset(content_type)
    if bom_codec is None and (charset is None or canonical_codec(charset) == _UTF8):
        stripped = data.lstrip() if data[:1].isspace() else data
        if _sniff_wide(stripped) is None:
            declared = declared_encoding(stripped)
            if (declared is None or canonical_codec(declared) == _UTF8) and not _has_c1(stripped):
                return Prepared(clean_prolog(stripped, problems), _UTF8, False)
    return transcode(data, content_type, problems)
