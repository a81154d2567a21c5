"""Broken documents: what is recovered, what is refused, and how."""

from __future__ import annotations

from pathlib import Path

import pytest

from liner.ingest.rss import FeedError, parse_feed
from liner.kit.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures"


def _read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_html_entities_are_mapped_and_unknown_ones_kept_as_text() -> None:
    parsed = parse_feed(_read("bad_html_entities.xml"))
    assert parsed.recovered is True
    assert parsed.show.title == "Café & Night… &bogus;"
    assert parsed.show.episodes[0].title == "Entity\xa0Episode © 2024"
    codes = [p.code for p in parsed.problems]
    assert codes == ["entities_replaced", "xml_recovered"]


def test_truncated_feed_keeps_the_complete_items() -> None:
    parsed = parse_feed(_read("bad_truncated.xml"))
    assert parsed.recovered is True
    assert [e.guid for e in parsed.show.episodes] == ["cut-1", "cut-2"]
    assert [e.enclosure.length for e in parsed.show.episodes if e.enclosure] == [100, 200]
    recovered = next(p for p in parsed.problems if p.code == "xml_recovered")
    assert "recovered from malformed XML" in recovered.message


def test_control_characters_are_removed() -> None:
    parsed = parse_feed(_read("bad_control_chars.xml"))
    assert parsed.show.title == "Bell Show"
    assert parsed.show.episodes[0].title == "Tabbed"
    assert "control_characters_removed" in {p.code for p in parsed.problems}


def test_bare_ampersands_are_escaped_not_dropped() -> None:
    parsed = parse_feed(_read("bad_unescaped_ampersand.xml"))
    assert parsed.show.title == "Q&A Hour"
    episode = parsed.show.episodes[0]
    assert episode.title == "Ask & answer"
    assert episode.enclosure is not None
    assert episode.enclosure.url == "https://amp.example/1.mp3?a=1&b=2"


def test_cdata_is_not_touched_by_repairs() -> None:
    data = (
        b"<rss><channel><title><![CDATA[R&D &nbsp; Lab]]></title><description>a &nbsp; b"
        b"</description></channel></rss>"
    )
    parsed = parse_feed(data)
    assert parsed.show.title == "R&D &nbsp; Lab"
    assert parsed.show.description == "a b"


def test_text_before_the_declaration_is_removed() -> None:
    parsed = parse_feed(_read("bad_junk_before.xml"))
    assert parsed.show.title == "Noisy Server"
    assert [p.code for p in parsed.problems] == ["leading_junk_removed"]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("bad_empty.xml", "empty"),
        ("bad_declaration_only.xml", "empty"),
        ("bad_not_a_feed.html", "not_a_feed"),
        ("bad_json_feed.json", "not_a_feed"),
        ("bad_entity_bomb.xml", "forbidden_dtd"),
        ("bad_external_entity.xml", "forbidden_dtd"),
    ],
)
def test_unreadable_documents_raise_typed_errors(name: str, code: str) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(_read(name))
    assert caught.value.code == code
    assert isinstance(caught.value, InputError)


def test_zero_bytes_is_empty() -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(b"")
    assert caught.value.code == FeedError.EMPTY


def test_garbage_markup_is_malformed_or_not_a_feed() -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(b"<<<>>><rss")
    assert caught.value.code in {FeedError.MALFORMED, FeedError.NOT_A_FEED}


def test_other_root_elements_are_not_feeds() -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(b'<?xml version="1.0"?><feed><title>No namespace</title></feed>')
    assert caught.value.code == FeedError.NOT_A_FEED


def test_oversized_documents_are_refused() -> None:
    data = b"<rss><channel><title>x</title>" + b" " * (65 * 1024 * 1024) + b"</channel></rss>"
    with pytest.raises(FeedError) as caught:
        parse_feed(data)
    assert caught.value.code == FeedError.TOO_LARGE


def test_deep_nesting_is_refused_not_recovered() -> None:
    data = b"<rss><channel>" + b"<x>" * 5000 + b"</x>" * 5000 + b"</channel></rss>"
    with pytest.raises(FeedError) as caught:
        parse_feed(data)
    assert caught.value.code == FeedError.TOO_DEEP


def test_items_outside_the_channel_are_still_read() -> None:
    data = (
        b"<rss><channel><title>Early close</title></channel>"
        b'<item><title>Stray</title><enclosure url="https://s.example/1.mp3"/></item></rss>'
    )
    parsed = parse_feed(data)
    assert [e.title for e in parsed.show.episodes] == ["Stray"]


def test_rss_without_channel_uses_the_root() -> None:
    data = b'<rss><item><title>Bare</title><enclosure url="https://b.example/1.mp3"/></item></rss>'
    parsed = parse_feed(data)
    assert [e.title for e in parsed.show.episodes] == ["Bare"]
    assert "show_without_title" in {p.code for p in parsed.problems}


def test_str_input_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse_feed("<rss/>")  # type: ignore[arg-type]


UNRESOLVED_ENTITIES = """<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
 xmlns:media="http://search.yahoo.com/mrss/"
 xmlns:podcast="https://podcastindex.org/namespace/1.0">{e}<channel>{e}<title>T</title>
<itunes:owner>{e}<itunes:name>Owner</itunes:name></itunes:owner>
<image>{e}<url>https://img.example/show.jpg</url></image>
<itunes:category text="Arts">{e}<itunes:category text="Books"/></itunes:category>
<redirect>{e}<newLocation>https://feeds.example/moved.xml</newLocation></redirect>
<item>{e}<title>E</title><guid>g</guid>
<enclosure url="https://cdn.example/a.mp3" type="audio/mpeg" length="1"/>
<media:group>{e}<media:content url="https://cdn.example/b.mp3" type="audio/mpeg"/></media:group>
<podcast:alternateEnclosure type="audio/mpeg">{e}<podcast:source uri="https://cdn.example/c.mp3"/>
</podcast:alternateEnclosure></item></channel></rss>"""


def test_unresolved_entities_between_elements_are_skipped() -> None:
    # ``&x;`` is not repaired (one letter reads as a reference), so the recovering parser
    # keeps it as a node whose tag is not a string; every loop over children meets one.
    clean = parse_feed(UNRESOLVED_ENTITIES.format(e="").encode())
    parsed = parse_feed(UNRESOLVED_ENTITIES.format(e="&x;").encode())
    assert clean.recovered is False
    assert parsed.recovered is True
    assert parsed.show == clean.show
    assert parsed.show.categories == ("Arts/Books",)
    assert parsed.show.owner_name == "Owner"
    assert parsed.show.new_feed_url == "https://feeds.example/moved.xml"
    assert [a.url for a in parsed.show.episodes[0].alternate_enclosures] == [
        "https://cdn.example/b.mp3",
        "https://cdn.example/c.mp3",
    ]


def test_unresolved_entities_in_an_atom_feed_are_skipped() -> None:
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom">{e}<title>A</title>'
        "<author>{e}<name>Writer</name></author><entry>{e}<id>urn:1</id><title>E</title>"
        '<link rel="enclosure" href="https://cdn.example/a.mp3" type="audio/mpeg"/>'
        "</entry></feed>"
    )
    clean = parse_feed(atom.format(e="").encode())
    parsed = parse_feed(atom.format(e="&x;").encode())
    assert parsed.recovered is True
    assert parsed.show == clean.show
    assert parsed.show.publisher == "Writer"
    assert [e.guid for e in parsed.show.episodes] == ["urn:1"]
