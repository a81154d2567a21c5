"""The hardened XML entry point refuses hostile documents with a typed error, fast."""

from __future__ import annotations

import time

import pytest

from liner.kit.errors import XmlError
from liner.kit.xml import parse_xml

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (BILLION_LAUGHS, None),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<r>&x;</r>",
            None,
        ),
        (b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://example.com/r.dtd"><r/>', None),
        (b'<!DOCTYPE r [<!ENTITY a "b">]><r/>', "xml_forbidden_dtd"),
        (b"<a>" * 10_000 + b"</a>" * 10_000, "xml_too_deep"),
        (b"", "xml_empty"),
        (b"<open>", "xml_malformed"),
        (b"not xml at all", "xml_malformed"),
    ],
)
def test_hostile_and_broken_documents_get_a_typed_error(document: bytes, code: str | None) -> None:
    started = time.monotonic()
    with pytest.raises(XmlError) as caught:
        parse_xml(document)
    assert time.monotonic() - started < 2
    if code is not None:
        assert caught.value.code == code


def test_oversized_documents_are_refused_before_parsing() -> None:
    with pytest.raises(XmlError) as caught:
        parse_xml(b"<a>" + b"x" * 2048 + b"</a>", max_bytes=1024)
    assert caught.value.code == "xml_too_large"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_unicode_encodings_with_and_without_bom(encoding: str) -> None:
    text = '<?xml version="1.0" encoding="{}"?><r>Björk · 坂本龍一</r>'
    declared = "UTF-16" if encoding.startswith("utf-16") else "UTF-8"
    data = text.format(declared).encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        data = ("\ufeff" + text.format(declared)).encode(encoding)
    assert parse_xml(data).text == "Björk · 坂本龍一"


def test_text_is_refused_as_input() -> None:
    with pytest.raises(TypeError):
        parse_xml("<a/>")  # type: ignore[arg-type]
