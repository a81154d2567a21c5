"""Show-level fields, one feed format or namespace spelling at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from liner.ingest.records import Image, Person, ShowType
from liner.ingest.rss import ParsedFeed, parse_feed

FIXTURES = Path(__file__).parent / "fixtures"
FEED_URL = "https://feeds.liner.example/test-hour.xml"


def _parse(name: str, **kwargs: str) -> ParsedFeed:
    return parse_feed((FIXTURES / name).read_bytes(), **kwargs)


@pytest.fixture(scope="module")
def full() -> ParsedFeed:
    return _parse("full.xml", url=FEED_URL)


def test_full_show_identity(full: ParsedFeed) -> None:
    show = full.show
    assert show.title == "Liner Test Hour"
    assert show.feed_url == FEED_URL
    assert show.podcast_guid == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert show.natural_key() == "guid:917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert show.link == "https://liner.example/show"
    assert show.language == "en-GB"
    assert full.feed_format == "rss"
    assert full.encoding == "utf-8"
    assert full.recovered is False


def test_full_show_people(full: ParsedFeed) -> None:
    show = full.show
    assert show.publisher == "Liner Studios"
    assert show.owner_name == "Ada Owner"
    assert show.owner_email == "owner@liner.example"
    assert show.persons == (
        Person(
            name="Ada Lovelace",
            role="host",
            group="cast",
            href="https://liner.example/ada",
            img="https://liner.example/ada.jpg",
        ),
        Person(name="Charles Babbage"),
    )


def test_full_show_description_is_sanitised(full: ParsedFeed) -> None:
    show = full.show
    assert show.description == "A show about feeds.\n\nSecond paragraph."
    assert show.html_description == (
        "<p>A show about <strong>feeds</strong>.</p><p>Second "
        '<a href="https://liner.example/about" rel="nofollow noopener">paragraph</a>.</p>'
    )


def test_full_show_flags_and_classification(full: ParsedFeed) -> None:
    show = full.show
    assert show.categories == ("Technology", "Society & Culture/Documentary")
    assert show.explicit is True
    assert show.show_type is ShowType.SERIAL
    assert show.blocked is True
    assert show.complete is True
    assert show.locked is True
    assert show.medium == "podcast"
    assert show.new_feed_url == "https://feeds.liner.example/moved.xml"


def test_full_show_images_itunes_first(full: ParsedFeed) -> None:
    assert full.show.images == (
        Image("https://liner.example/art/itunes.jpg"),
        Image("https://liner.example/art/rss.png", 144, 144),
    )


def test_full_show_funding(full: ParsedFeed) -> None:
    assert full.show.funding == (
        ("https://liner.example/support", "Support the show"),
        ("https://liner.example/patrons", "Become a patron"),
    )


def test_feed_url_falls_back_to_atom_self_link() -> None:
    parsed = _parse("full.xml")
    assert parsed.show.feed_url == "https://feeds.liner.example/test-hour.xml"


def test_legacy_namespace_uri_and_other_prefixes() -> None:
    parsed = _parse("legacy_namespace.xml")
    show = parsed.show
    assert show.publisher == "Legacy Media"
    assert show.explicit is True
    assert show.categories == ("Arts/Books",)
    assert show.podcast_guid == "c0ffee00-0000-5000-8000-000000000001"
    assert show.locked is False
    assert show.funding == (("https://legacy.example/fund", "Fund us"),)
    assert show.medium == "music"
    episode = show.episodes[0]
    assert episode.duration_ms == 20 * 60 * 1000
    assert episode.transcripts[0].url == "https://legacy.example/1.srt"
    assert episode.transcripts[0].type == "application/x-subrip"
    assert episode.chapters_url == "https://legacy.example/1.json"
    assert episode.persons == (Person("Rosalind Franklin", role="producer", group="crew"),)
    assert (episode.season, episode.episode_number) == (4, 12)
    assert episode.published_at is not None
    assert episode.published_at.isoformat() == "2002-09-07T00:00:01+00:00"


def test_undeclared_prefixes_are_read_after_recovery() -> None:
    parsed = _parse("undeclared_prefixes.xml")
    assert parsed.recovered is True
    assert "xml_recovered" in {p.code for p in parsed.problems}
    show = parsed.show
    assert show.publisher == "Nobody Declared"
    assert show.new_feed_url == "https://careless.example/new.xml"
    assert show.locked is True
    episode = show.episodes[0]
    assert episode.duration_ms == 600_000
    assert episode.episode_type.value == "trailer"
    assert episode.transcripts[0].url == "https://careless.example/1.txt"


def test_atom_feed() -> None:
    parsed = _parse("atom.xml")
    show = parsed.show
    assert parsed.feed_format == "atom"
    assert show.title == "Atom Audio"
    assert show.link == "https://atom.example/"
    assert show.feed_url == "https://atom.example/feed.atom"
    assert show.publisher == "Atom Author"
    assert show.language == "fr"
    assert show.images == (Image("https://atom.example/logo.png"),)
    assert show.description == "An Atom podcast."
    assert [e.title for e in show.episodes] == ["Atom Episode", "Atom XHTML Episode"]
    first, second = show.episodes
    assert first.guid == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert first.link == "https://atom.example/1"
    assert first.enclosure is not None
    assert (first.enclosure.url, first.enclosure.length) == ("https://atom.example/1.mp3", 4321)
    assert first.published_at is not None
    assert first.published_at.isoformat() == "2024-01-01T11:00:00+00:00"
    assert first.duration_ms == 3_720_000
    assert first.description == "Summary with a <tag> shown as text."
    assert first.html_description == "<p>Summary with a &lt;tag&gt; shown as text.</p>"
    assert second.published_at is not None
    assert second.published_at.isoformat() == "2024-01-04T12:00:00+00:00"
    assert second.description == "Inline xhtml."
    assert [p.code for p in parsed.problems] == ["episode_without_enclosure"]


def test_rss1_feed() -> None:
    parsed = _parse("rss1.xml")
    show = parsed.show
    assert parsed.feed_format == "rss1"
    assert show.title == "RDF Radio"
    assert show.language == "de"
    assert show.publisher == "RDF Creator"
    assert show.description == "An RSS 1.0 feed."
    (episode,) = show.episodes
    assert episode.title == "RDF Episode"
    assert episode.published_at is not None
    assert episode.published_at.isoformat() == "2023-11-05T12:15:00+00:00"


def test_netscape_doctype_is_ignored_not_refused() -> None:
    parsed = _parse("rss091_doctype.xml")
    assert parsed.show.title == "Netscape Era Show"
    assert parsed.recovered is False
    assert parsed.show.episodes[0].enclosure is not None


def test_relative_links_resolve_against_the_feed_url() -> None:
    parsed = _parse("full.xml", url="https://host.example/path/feed.xml")
    last = parsed.show.episodes[-1]
    assert last.enclosure is not None
    assert last.enclosure.url == "https://host.example/audio/relative.mp3"
