"""Every way a feed's bytes can be encoded, honestly or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from liner.ingest.rss import parse_feed

FIXTURES = Path(__file__).parent / "fixtures"
LATIN = "Café Société Ölçü"


@pytest.mark.parametrize(
    ("name", "title", "encoding"),
    [
        ("enc_latin1_declared.xml", LATIN, "iso8859-1"),
        ("enc_utf8_bom.xml", "BOM ✓ Show", "utf-8"),
        ("enc_utf16le_bom.xml", "UTF-16 LE ✓", "utf-16-le"),
        ("enc_utf16be_bom.xml", "UTF-16 BE ✓", "utf-16-be"),
        ("enc_utf16le_no_bom.xml", "UTF-16 LE no BOM ✓", "utf-16-le"),
        ("enc_utf16be_no_bom.xml", "UTF-16 BE no BOM ✓", "utf-16-be"),
        ("enc_utf32le_bom.xml", "UTF-32 LE ✓", "utf-32-le"),
        ("enc_utf32be_no_bom.xml", "UTF-32 BE no BOM ✓", "utf-32-be"),
        ("enc_shift_jis.xml", "日本のポッドキャスト", "shift_jis"),
        ("enc_gb2312.xml", "中文播客节目", "gb2312"),
        ("enc_big5.xml", "繁體中文播客", "big5"),
        ("enc_euc_kr.xml", "한국어 팟캐스트", "euc_kr"),
        ("enc_koi8r.xml", "Русский подкаст", "koi8-r"),
        ("enc_leading_whitespace.xml", "Leading Space", "utf-8"),
    ],
)
def test_honest_encodings(name: str, title: str, encoding: str) -> None:
    parsed = parse_feed((FIXTURES / name).read_bytes())
    assert parsed.show.title == title
    assert parsed.encoding == encoding
    assert parsed.recovered is False
    assert parsed.problems == ()
    assert [e.enclosure.url for e in parsed.show.episodes if e.enclosure] == [
        "https://enc.example/1.mp3"
    ]


@pytest.mark.parametrize(
    ("name", "title", "code"),
    [
        ("enc_latin1_declared_utf8.xml", LATIN, "encoding_fallback"),
        ("enc_utf8_declared_latin1.xml", LATIN, "encoding_mismatch"),
        (
            "enc_cp1252_no_declaration.xml",
            "Don\u2019t \u2013 \u20ac5 Caf\u00e9",
            "encoding_fallback",
        ),
        ("enc_mixed_utf8_cp1252.xml", "Zo\u00eb\u2019s Don\u2019t", "encoding_fallback"),
        ("enc_declared_utf16_is_utf8.xml", "Déclaré UTF-16", "encoding_mismatch"),
        ("enc_c1_controls.xml", "Don\u2019t \u201cstop\u201d", "cp1252_controls_replaced"),
    ],
)
def test_lying_declarations_are_repaired_with_a_warning(name: str, title: str, code: str) -> None:
    parsed = parse_feed((FIXTURES / name).read_bytes())
    assert parsed.show.title == title
    found = [p for p in parsed.problems if p.code == code]
    assert found, [p.code for p in parsed.problems]
    assert found[0].severity == "warning"


def test_http_charset_is_used_when_the_document_says_nothing() -> None:
    data = (FIXTURES / "enc_koi8r_no_declaration.xml").read_bytes()
    with_header = parse_feed(data, content_type="text/xml; charset=KOI8-R")
    assert with_header.show.title == "Русский подкаст"
    assert with_header.encoding == "koi8-r"
    without = parse_feed(data)
    assert without.show.title != "Русский подкаст"
    assert "encoding_fallback" in {p.code for p in without.problems}


def test_http_charset_overrides_a_wrong_declaration() -> None:
    data = (FIXTURES / "enc_koi8r_declared_latin1.xml").read_bytes()
    assert parse_feed(data, content_type='application/rss+xml; charset="koi8-r"').show.title == (
        "Русский подкаст"
    )
    assert parse_feed(data).show.title != "Русский подкаст"


def test_utf8_bytes_win_over_a_wrong_http_charset() -> None:
    data = (FIXTURES / "enc_utf8_bom.xml").read_bytes()
    parsed = parse_feed(data, content_type="text/xml; charset=iso-8859-1")
    assert parsed.show.title == "BOM ✓ Show"


def test_unknown_charset_label_is_a_warning() -> None:
    data = (FIXTURES / "enc_latin1_declared.xml").read_bytes()
    parsed = parse_feed(data, content_type="text/xml; charset=x-no-such-thing")
    assert parsed.show.title == LATIN
    assert "unknown_encoding" in {p.code for p in parsed.problems}


def test_utf16_without_declaration_or_bom_is_sniffed() -> None:
    text = "<rss><channel><title>Sniffed ✓</title></channel></rss>"
    for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        parsed = parse_feed(text.encode(codec))
        assert parsed.show.title == "Sniffed ✓", codec
        assert parsed.encoding == codec


def test_c1_controls_are_found_among_other_two_byte_characters() -> None:
    def feed(title: str) -> bytes:
        return f"<rss><channel><title>{title}</title></channel></rss>".encode()

    for count in (300, 5000):
        mixed = parse_feed(feed("\u00e9\u00a0" * count + "Don\x92t"))
        assert mixed.show.title.endswith("Don\u2019t")
        assert "cp1252_controls_replaced" in {p.code for p in mixed.problems}
        clean = parse_feed(feed("\u00e9\u00a0" * count + "Don't"))
        assert clean.problems == ()
