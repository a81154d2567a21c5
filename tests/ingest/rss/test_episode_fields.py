"""Episode-level fields and the choices between competing sources."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from liner.ingest.records import Enclosure, EpisodeRecord, EpisodeType, Image, Person, Transcript
from liner.ingest.rss import ParsedFeed, parse_feed

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def full() -> ParsedFeed:
    data = (FIXTURES / "full.xml").read_bytes()
    return parse_feed(data, url="https://feeds.liner.example/test-hour.xml")


def _episode(parsed: ParsedFeed, title: str) -> EpisodeRecord:
    return next(e for e in parsed.show.episodes if e.title == title)


def test_playable_episodes_in_feed_order(full: ParsedFeed) -> None:
    assert [e.title for e in full.show.episodes] == [
        "Episode Three: Everything",
        "Episode Two: Podcast numbers",
        "Episode One: Odd values",
        "Episode Zero: Bad date",
        "Reused guid, other audio",
        "Cover first",
    ]


def test_episode_with_every_field(full: ParsedFeed) -> None:
    episode = _episode(full, "Episode Three: Everything")
    assert episode.guid == "ep-3"
    assert episode.link == "https://liner.example/episodes/3"
    assert episode.published_at == datetime(2024, 6, 4, 16, 30, tzinfo=UTC)
    assert episode.enclosure == Enclosure(
        "https://cdn.liner.example/ep3.mp3", "audio/mpeg", 12_345_678
    )
    assert episode.alternate_enclosures == (
        Enclosure("https://cdn.liner.example/ep3.opus", "audio/opus", 5_000_000),
        Enclosure("ipfs://QmOpusEpisodeThree", "audio/ogg", 5_000_000),
    )
    assert episode.duration_ms == 3_723_500
    assert (episode.season, episode.episode_number) == (2, 3)
    assert episode.episode_type is EpisodeType.BONUS
    assert episode.explicit is False
    assert episode.images == (Image("https://liner.example/art/ep3.jpg"),)
    assert episode.chapters_url == "https://liner.example/ep3-chapters.json"
    assert episode.transcripts == (
        Transcript("https://liner.example/ep3.vtt", "text/vtt", "en", "captions"),
        Transcript("https://liner.example/ep3.json", "application/json"),
    )
    assert episode.persons == (
        Person("Grace Hopper", role="guest", href="https://liner.example/grace"),
    )


def test_content_encoded_wins_and_is_sanitised(full: ParsedFeed) -> None:
    episode = _episode(full, "Episode Three: Everything")
    assert episode.html_description == (
        "<h2>Notes</h2><ul><li>One</li><li>Two &amp; three</li></ul>"
        '<p>Read this and <a href="https://liner.example/3" rel="nofollow noopener">that</a>.</p>'
    )
    assert episode.description == "Notes\n\nOne\nTwo & three\n\nRead this and that."


def test_itunes_summary_used_when_alone(full: ParsedFeed) -> None:
    episode = _episode(full, "Episode Two: Podcast numbers")
    assert episode.description == "Summary & notes\nsecond line"
    assert episode.html_description == "<p>Summary &amp; notes<br>second line</p>"


def test_podcast_namespace_numbers_and_bad_length(full: ParsedFeed) -> None:
    episode = _episode(full, "Episode Two: Podcast numbers")
    assert (episode.season, episode.episode_number) == (2, 2)
    assert episode.episode_type is EpisodeType.TRAILER
    assert episode.enclosure == Enclosure("https://cdn.liner.example/ep2.m4a", "audio/x-m4a", None)
    assert episode.duration_ms == 45 * 60_000 + 10_000
    assert episode.published_at == datetime(2024, 5, 28, 6, 0, tzinfo=UTC)
    assert episode.explicit is True, "an episode without itunes:explicit inherits the show's"


def test_odd_values_become_none_with_warnings(full: ParsedFeed) -> None:
    episode = _episode(full, "Episode One: Odd values")
    assert episode.duration_ms is None
    assert episode.episode_number is None
    assert episode.episode_type is EpisodeType.FULL
    assert episode.enclosure is not None
    assert episode.enclosure.length is None
    assert episode.published_at == datetime(2024, 5, 21, 1, 0, tzinfo=UTC)
    codes = {(p.code, p.location) for p in full.problems}
    assert ("bad_duration", "/rss/channel/item[3]/itunes:duration") in codes
    assert ("bad_episode", "/rss/channel/item[3]/itunes:episode") in codes
    assert ("bad_episode_type", "/rss/channel/item[3]/itunes:episodeType") in codes
    assert ("bad_enclosure_length", "/rss/channel/item[2]/enclosure") in codes


def test_unreadable_date_is_none_with_warning(full: ParsedFeed) -> None:
    episode = _episode(full, "Episode Zero: Bad date")
    assert episode.published_at is None
    assert episode.duration_ms == 3_600_000
    bad = [p for p in full.problems if p.code == "bad_date"]
    assert [p.location for p in bad] == ["/rss/channel/item[4]/pubDate"]
    assert all(p.severity == "warning" for p in full.problems)


def test_skipped_items_are_reported(full: ParsedFeed) -> None:
    by_code = {p.code: p for p in full.problems}
    assert by_code["episode_without_enclosure"].location == "/rss/channel/item[5]"
    assert by_code["episode_blocked"].location == "/rss/channel/item[6]"
    assert by_code["duplicate_episode"].location == "/rss/channel/item[7]"
    titles = {e.title for e in full.show.episodes}
    assert "Announcement without audio" not in titles
    assert "Hidden episode" not in titles


def test_reused_guid_with_other_audio_keeps_the_episode_without_its_guid(
    full: ParsedFeed,
) -> None:
    episode = _episode(full, "Reused guid, other audio")
    assert episode.guid is None
    assert episode.enclosure is not None
    assert episode.enclosure.url == "https://cdn.liner.example/other.mp3"
    assert [e.guid for e in full.show.episodes].count("ep-2") == 1
    assert "duplicate_guid" in {p.code for p in full.problems}


def test_audio_enclosure_preferred_over_image(full: ParsedFeed) -> None:
    episode = _episode(full, "Cover first")
    assert episode.enclosure == Enclosure(
        "https://feeds.liner.example/audio/relative.mp3", "audio/mpeg", 2048
    )
    assert episode.alternate_enclosures == (
        Enclosure("https://cdn.liner.example/relative.ogg", "audio/ogg", None),
    )


def _one_item(item_xml: str) -> ParsedFeed:
    document = (
        '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
        ' xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title>'
        f"<item><title>E</title><guid>g</guid>{item_xml}</item></channel></rss>"
    )
    return parse_feed(document.encode())


def test_media_content_is_the_enclosure_when_there_is_none() -> None:
    parsed = _one_item(
        '<media:content url="https://m.example/a.mp3" type="audio/mpeg" fileSize="77"'
        ' duration="61"/><media:group><media:content url="https://m.example/b.mp3"'
        ' type="audio/mpeg"/><media:thumbnail url="https://m.example/t.jpg"/></media:group>'
    )
    (episode,) = parsed.show.episodes
    assert episode.enclosure == Enclosure("https://m.example/a.mp3", "audio/mpeg", 77)
    assert episode.alternate_enclosures == (
        Enclosure("https://m.example/b.mp3", "audio/mpeg", None),
    )
    assert episode.duration_ms == 61_000
    assert episode.images == (Image("https://m.example/t.jpg"),)


def test_alternate_enclosure_alone_makes_an_episode_playable() -> None:
    parsed = parse_feed(
        b'<rss xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>T</title>'
        b"<item><title>Video</title><guid>v</guid>"
        b'<podcast:alternateEnclosure type="video/mp4" length="10">'
        b'<podcast:source uri="https://v.example/1080.mp4"/></podcast:alternateEnclosure>'
        b'<podcast:alternateEnclosure type="video/mp4">'
        b'<podcast:source uri="https://v.example/720.mp4"/></podcast:alternateEnclosure>'
        b"</item></channel></rss>"
    )
    (episode,) = parsed.show.episodes
    assert episode.enclosure == Enclosure("https://v.example/1080.mp4", "video/mp4", 10)
    assert episode.alternate_enclosures == (
        Enclosure("https://v.example/720.mp4", "video/mp4", None),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("yes", True), ("Explicit", True), ("TRUE", True), ("no", False), ("clean", False)],
)
def test_explicit_spellings(value: str, expected: bool) -> None:
    parsed = _one_item(
        f'<enclosure url="https://e.example/1.mp3"/><itunes:explicit>{value}</itunes:explicit>'
    )
    assert parsed.show.episodes[0].explicit is expected


def test_itunes_title_is_the_fallback_title() -> None:
    document = (
        b'<rss xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>T'
        b"</title><item><itunes:title>Only iTunes</itunes:title>"
        b'<enclosure url="https://e.example/1.mp3"/></item></channel></rss>'
    )
    assert parse_feed(document).show.episodes[0].title == "Only iTunes"


def test_script_urls_are_dropped() -> None:
    parsed = _one_item(
        '<enclosure url="javascript:alert(1)" type="audio/mpeg"/>'
        '<enclosure url="https://safe.example/1.mp3" type="audio/mpeg"/>'
        '<itunes:image href="data:image/svg+xml;base64,PHN2Zz4="/>'
        "<link>javascript:alert(2)</link>"
    )
    (episode,) = parsed.show.episodes
    assert episode.enclosure == Enclosure("https://safe.example/1.mp3", "audio/mpeg", None)
    assert episode.alternate_enclosures == ()
    assert episode.images == ()
    assert episode.link is None
