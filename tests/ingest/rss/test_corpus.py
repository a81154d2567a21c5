"""The parser against the shared corpus of real feeds and other parsers' fixtures.

Expected values come from the corpus itself: INDEX.md's item counts, the expected outputs
that gPodder, feed-rs and fastfeedparser keep beside their fixtures, the Critical Role
archive's own parse, and the ``Header:``/``Expect:`` lines of feedparser's fixtures.
"""

from __future__ import annotations

import ast
import codecs
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from liner.ingest.records import ShowRecord
from liner.ingest.rss import ParsedFeed, parse_feed
from liner.kit.errors import LinerError

pytestmark = pytest.mark.corpus

FEED_SUFFIXES = (".xml", ".rss")
CRITICAL_ROLE = "critrolesync+critrolesync.github.io/feed-archive/critical-role"
GPODDER = "gpodder+podcastparser/tests/data"
ALLOWED_HTML = re.compile(
    r"</?(?:p|br|em|strong|b|i|ul|ol|li|blockquote|code|pre|h[1-6])>"
    r'|<a href="(?:https?|mailto):[^"]*" rel="nofollow noopener">|</a>'
)


@pytest.fixture(scope="module")
def corpus(shared_dir: Path) -> Path:
    path = shared_dir / "corpus" / "podcast"
    if not path.is_dir():
        pytest.skip("the podcast corpus is not in ../shared")
    return path


def _feeds(corpus: Path) -> Iterator[Path]:
    return (p for p in sorted(corpus.rglob("*")) if p.suffix in FEED_SUFFIXES and p.is_file())


def _relative(corpus: Path, path: Path) -> str:
    return path.relative_to(corpus).as_posix()


def _check_invariants(show: ShowRecord) -> list[str]:
    wrong: list[str] = []
    guids = [e.guid for e in show.episodes if e.guid is not None]
    if len(guids) != len(set(guids)):
        wrong.append("duplicate guids")
    for html in [show.html_description, *(e.html_description for e in show.episodes)]:
        if ALLOWED_HTML.sub("", html).count("<"):
            wrong.append(f"unsanitised html {html[:80]!r}")
    for episode in show.episodes:
        if episode.enclosure is None or not episode.enclosure.url.strip():
            wrong.append(f"episode {episode.title!r} without enclosure")
        if episode.published_at is not None and episode.published_at.tzinfo is not UTC:
            wrong.append(f"episode {episode.title!r} date not in UTC")
        if episode.duration_ms is not None and episode.duration_ms <= 0:
            wrong.append(f"episode {episode.title!r} duration {episode.duration_ms}")
        length = episode.enclosure.length if episode.enclosure else None
        if length is not None and length <= 0:
            wrong.append(f"episode {episode.title!r} length {length}")
    return wrong


EXPECTED_ERRORS = {
    "Podcastindex-org+podcast-namespace/docs/schema/podcast-example.xml": "not_a_feed",
    "kurtmckee+feedparser/tests/illformed/rss_empty_document.xml": "empty",
    "kurtmckee+feedparser/tests/wellformed/psc/atomsimplechapterexternal.xml": "not_a_feed",
    "rssblue+badpod/tests/data/empty_file.xml": "empty",
    "rssblue+badpod/tests/data/empty_xml.xml": "empty",
    "rssblue+badpod/tests/data/root_not_rss.xml": "not_a_feed",
}


def test_every_document_is_a_parsed_feed_or_a_typed_error(corpus: Path) -> None:
    errors: dict[str, str] = {}
    crashes: list[str] = []
    broken: list[str] = []
    parsed = 0
    for path in _feeds(corpus):
        name = _relative(corpus, path)
        try:
            feed = parse_feed(path.read_bytes())
        except LinerError as exc:
            errors[name] = exc.code
            continue
        except Exception as exc:
            crashes.append(f"{name}: {exc!r}")
            continue
        parsed += 1
        broken.extend(f"{name}: {wrong}" for wrong in _check_invariants(feed.show))
    assert crashes == []
    assert broken == []
    assert errors == EXPECTED_ERRORS
    assert parsed >= 280


def _index_item_counts(corpus: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    section = ""
    for line in (corpus / "INDEX.md").read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## (\S+)/(\S+)", line)
        if heading:
            section = f"{heading.group(1)}+{heading.group(2)}"
            continue
        row = re.match(r"^\| `([^`]+)` \| \d+ \| [^|]* \| (\d+) \|", line)
        if row and section:
            counts[f"{section}/{row.group(1)}"] = int(row.group(2))
    return counts


INDEX_COUNT_EXCEPTIONS = {
    "feed-rs+feed-rs/feed-rs/fixture/rss1/rss_1.0_iso8859.xml": 1,
    "kurtmckee+feedparser/tests/illformed/chardet/shiftjis.xml": 1,
    "kagisearch+fastfeedparser/tests/integration/malformed_rss_namespaced.xml": 2,
}
SKIP_CODES = {"episode_without_enclosure", "episode_blocked", "duplicate_episode"}


def test_every_item_in_the_index_is_an_episode_or_a_reported_skip(corpus: Path) -> None:
    counts = _index_item_counts(corpus)
    assert len(counts) > 250
    wrong: list[str] = []
    for name, items in counts.items():
        if name in EXPECTED_ERRORS:
            continue
        feed = parse_feed((corpus / name).read_bytes())
        skipped = sum(1 for p in feed.problems if p.code in SKIP_CODES)
        found = len(feed.show.episodes) + skipped
        if found != INDEX_COUNT_EXCEPTIONS.get(name, items):
            wrong.append(f"{name}: index {items}, parsed {len(feed.show.episodes)} + {skipped}")
    assert wrong == []


def _critical_role(corpus: Path, day: str) -> ParsedFeed:
    return parse_feed((corpus / CRITICAL_ROLE / f"feed-2025-08-{day}.xml").read_bytes())


def test_critical_role_pair_keeps_guids_and_changes_every_enclosure(corpus: Path) -> None:
    before, after = _critical_role(corpus, "12"), _critical_role(corpus, "19")
    assert len(before.show.episodes) == 370
    assert len(after.show.episodes) == 372
    old = {e.guid: e.enclosure.url for e in before.show.episodes if e.enclosure}
    new = {e.guid: e.enclosure.url for e in after.show.episodes if e.enclosure}
    assert None not in old
    assert len(old) == 370
    assert set(old) <= set(new)
    assert len(set(new) - set(old)) == 2
    changed = [guid for guid, url in old.items() if url != new[guid]]
    assert len(changed) == 370
    assert all("tracking.swap.fm" in old[guid] for guid in changed)
    assert not any("tracking.swap.fm" in new[guid] for guid in changed)
    assert before.show.new_feed_url is not None
    assert before.problems == ()


@pytest.mark.parametrize("day", ["12", "19"])
def test_critical_role_matches_the_archives_own_parse(corpus: Path, day: str) -> None:
    feed = _critical_role(corpus, day)
    by_guid = {e.guid: e for e in feed.show.episodes}
    expected = json.loads(
        (corpus / CRITICAL_ROLE / f"parsed/feed-parsed-2025-08-{day}.json").read_text()
    )
    assert len(expected) > 330
    for row in expected:
        episode = by_guid[row["GUID"]]
        assert episode.title == row["Title"]
        assert episode.published_at is not None
        assert episode.published_at.date().isoformat() == row["Publication Date"]
        assert episode.duration_ms == row["Seconds"] * 1000
        assert episode.enclosure is not None
        assert episode.enclosure.url == row["URL"]
        assert episode.enclosure.length == row["Bytes"]
        assert episode.enclosure.type == row["Type"]


def test_critical_role_latest_snapshot(corpus: Path) -> None:
    feed = parse_feed((corpus / CRITICAL_ROLE / "feed-2026-07-21.xml").read_bytes())
    assert len(feed.show.episodes) == 455
    assert feed.show.title == "Critical Role"
    assert all(e.published_at is not None for e in feed.show.episodes)
    assert all(e.duration_ms for e in feed.show.episodes)


GPODDER_DIFFERENCES = {
    "html_description_rss_both": "plain text is derived from the same HTML as html_description",
    "max_episodes": "the expected output was made with a max_episodes parameter",
    "no_guid": "gPodder invents a title from the file name; Liner leaves it empty",
    "no_title": "gPodder invents a title from the file name; Liner leaves it empty",
    "no_title_multi_enclosure": "gPodder drops untitled multi-enclosure items; Liner keeps them",
}


def _gpodder_cases(corpus: Path) -> list[Path]:
    return sorted(
        p for p in (corpus / GPODDER).glob("*.json") if not p.name.endswith(".param.json")
    )


def test_gpodder_expected_outputs(corpus: Path) -> None:
    cases = _gpodder_cases(corpus)
    assert len(cases) > 60
    mismatches: list[str] = []
    compared = 0
    for case in cases:
        if case.stem in GPODDER_DIFFERENCES:
            continue
        expected = json.loads(case.read_text())
        rss = case.with_suffix(".rss")
        show = parse_feed(rss.read_bytes(), url=f"file://tests/data/{rss.name}").show
        mismatches.extend(f"{case.stem}: {m}" for m in _compare_gpodder(expected, show, case.stem))
        compared += 1
    assert mismatches == []
    assert compared > 60


def _compare_gpodder(expected: dict[str, Any], show: ShowRecord, stem: str) -> Iterator[str]:
    if expected.get("title") not in (stem, show.title):
        yield f"title {expected['title']!r} != {show.title!r}"
    feed_fields = {
        "new_url": show.new_feed_url,
        "link": show.link,
        "type": show.show_type.value,
        "explicit": show.explicit,
        "import_prohibited": show.locked,
        "funding_url": show.funding[0][0] if show.funding else None,
        "cover_url": show.images[0].url if show.images else None,
        "description": show.description,
        "itunes_author": show.publisher,
        "language": show.language,
    }
    for key, ours in feed_fields.items():
        if key in expected and expected[key] != ours:
            yield f"{key} {expected[key]!r} != {ours!r}"
    if "itunes_owner" in expected:
        owner = expected["itunes_owner"]
        if (owner.get("name"), owner.get("email")) != (show.owner_name, show.owner_email):
            yield f"owner {owner}"
    if "itunes_categories" in expected:
        paths = tuple("/".join(p for p in path if p) for path in expected["itunes_categories"])
        if paths != show.categories:
            yield f"categories {paths} != {show.categories}"
    playable = [e for e in expected["episodes"] if e["enclosures"]]
    if len(playable) != len(show.episodes):
        yield f"{len(playable)} episodes expected, {len(show.episodes)} parsed"
        return
    ours_by_url = {e.enclosure.url: e for e in show.episodes if e.enclosure}
    for row in playable:
        urls = {x["url"] for x in row["enclosures"] if not x["mime_type"].startswith("image/")}
        episode = next((ours_by_url[u] for u in urls if u in ours_by_url), None)
        if episode is None:
            yield f"no episode for {urls}"
            continue
        mine = {a.url for a in (episode.enclosure, *episode.alternate_enclosures) if a}
        published = int(episode.published_at.timestamp()) if episode.published_at else 0
        checks: dict[str, tuple[object, object]] = {
            "enclosures": (urls, mine),
            "title": (row["title"], episode.title),
            "total_time": (row["total_time"] * 1000 or None, episode.duration_ms),
            "published": (row["published"], published),
            "description": (row.get("description", ""), episode.description),
        }
        optional = {
            "description_html": episode.html_description,
            "type": episode.episode_type.value,
            "number": episode.episode_number,
            "season": episode.season,
            "explicit": episode.explicit,
            "episode_art_url": episode.images[0].url if episode.images else None,
            "transcript_url": episode.transcripts[0].url if episode.transcripts else None,
            "chapters_json_url": episode.chapters_url,
        }
        checks.update({k: (row[k], v) for k, v in optional.items() if k in row})
        if "persons" in row:
            persons = [
                {"name": p.name, "role": p.role, "group": p.group, "href": p.href, "img": p.img}
                for p in episode.persons
            ]
            checks["persons"] = (row["persons"], persons)
        for key, (want, got) in checks.items():
            if want != got:
                yield f"{row['title']!r} {key}: {want!r} != {got!r}"


def test_feed_rs_expected_outputs(corpus: Path) -> None:
    fixtures = sorted((corpus / "feed-rs+feed-rs/feed-rs/fixture").rglob("*.serde.json"))
    assert len(fixtures) == 6
    for expected_path in fixtures:
        expected = json.loads(expected_path.read_text())
        feed_path = expected_path.with_name(expected_path.name.replace(".serde.json", ".xml"))
        show = parse_feed(feed_path.read_bytes()).show
        assert show.title == expected["title"]["content"], feed_path.name
        with_media = [e for e in expected["entries"] if e.get("media")]
        assert len(show.episodes) == len(with_media), feed_path.name
        for row, episode in zip(with_media, show.episodes, strict=True):
            assert episode.title == row["title"]["content"]
            assert episode.guid == row["id"]
            assert episode.published_at is not None
            assert episode.published_at.strftime("%Y-%m-%dT%H:%M:%SZ") == row["published"]
            urls = [c["url"] for m in row["media"] for c in m.get("content", [])]
            assert episode.enclosure is not None
            assert episode.enclosure.url in urls
            assert {a.url for a in episode.alternate_enclosures} <= set(urls)


def test_feed_rs_durations(corpus: Path) -> None:
    base = corpus / "feed-rs+feed-rs/feed-rs/fixture/rss2"
    durations = {
        name: parse_feed((base / name).read_bytes()).show.episodes[0].duration_ms
        for name in ("rss_2.0_anchorfm.xml", "rss_2.0_spreaker.xml", "rss_2.0_ch9.xml")
    }
    assert durations == {
        "rss_2.0_anchorfm.xml": 2_227_000,
        "rss_2.0_spreaker.xml": 3_079_000,
        "rss_2.0_ch9.xml": 867_000,
    }
    night_vale = parse_feed((base / "rss_2.0_nightvale.xml").read_bytes()).show.episodes[0]
    assert night_vale.duration_ms == (26 * 60 + 53) * 1000, "itunes:duration is 26:53"


def test_fastfeedparser_expected_outputs(corpus: Path) -> None:
    base = corpus / "kagisearch+fastfeedparser/tests/integration"
    for name in ("utf16_encoded", "malformed_rss_namespaced"):
        expected = json.loads((base / f"{name}.json").read_text())
        parsed = parse_feed((base / f"{name}.xml").read_bytes())
        assert parsed.show.title == expected["feed"]["title"]
        assert parsed.show.link == expected["feed"]["link"]
        assert parsed.show.description == expected["feed"]["subtitle"]
        skipped = [p for p in parsed.problems if p.code == "episode_without_enclosure"]
        assert len(skipped) == len(expected["entries"])
        for entry, problem in zip(expected["entries"], skipped, strict=True):
            assert entry["title"] in problem.message
    mislabelled = parse_feed((base / "utf16_encoded.xml").read_bytes())
    assert mislabelled.encoding == "utf-8"
    assert "encoding_mismatch" in {p.code for p in mislabelled.problems}


def test_fallthrough_podcast_guid_is_the_uuid5_of_its_feed_url(corpus: Path) -> None:
    path = corpus / "kagisearch+fastfeedparser/benchmark_data/72d1083fa3130282.xml"
    show = parse_feed(path.read_bytes()).show
    namespace = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
    assert show.podcast_guid == str(uuid.uuid5(namespace, "feeds.transistor.fm/fallthrough"))
    assert show.locked is True
    assert show.new_feed_url == "https://feeds.transistor.fm/fallthrough"


def test_malformed_real_feeds_recover(corpus: Path) -> None:
    base = corpus / "RyanHirsch+partytime/src/parser/__test__/fixtures/real-world"
    no_agenda = parse_feed((base / "no-agenda.xml").read_bytes())
    assert no_agenda.recovered is True
    assert len(no_agenda.show.episodes) == 29
    assert no_agenda.show.locked is True
    assert no_agenda.show.episodes[0].transcripts[0].url.endswith("NA-1393-Captions.srt")
    garbage = parse_feed((base / "sentimental-garbage.xml").read_bytes())
    assert len(garbage.show.episodes) == 138
    assert garbage.recovered is False


def _feedparser_header(text: str) -> tuple[str | None, str]:
    header = re.search(r"Header:\s*Content-type:\s*([^\r\n]*)", text, re.IGNORECASE)
    expect = re.search(r"Expect:\s*([^\r\n]*)", text)
    return (header.group(1).strip() if header else None), (expect.group(1) if expect else "")


def _decoded_head(data: bytes) -> str:
    for codec in ("utf-32", "utf-16", "utf-8"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if "Expect" in text or "<" in text[:100]:
            return text
    return data.decode("latin-1")


def _rfc3023_text_default(content_type: str | None) -> bool:
    """feedparser applies RFC 3023's us-ascii default to text/* without charset; Liner does not."""
    if not content_type:
        return False
    lowered = content_type.replace(" ", "").lower()
    return lowered.startswith("text/") and "charset=" not in lowered


def test_feedparser_encoding_expectations(corpus: Path) -> None:
    base = corpus / "kurtmckee+feedparser/tests/encoding"
    checked = 0
    wrong: list[str] = []
    for path in sorted(base.glob("*.xml")):
        data = path.read_bytes()
        content_type, expect = _feedparser_header(_decoded_head(data))
        found = re.fullmatch(r"not bozo and encoding == '([^']+)'", expect.strip())
        if found is None or _rfc3023_text_default(content_type):
            continue
        parsed = parse_feed(data, content_type=content_type)
        want = codecs.lookup(found.group(1)).name
        got = codecs.lookup(parsed.encoding).name
        if got == "gb2312" and want == "gb18030":
            got = want
        if (got, parsed.recovered) != (want, False):
            wrong.append(f"{path.name}: {want} expected, {got} (recovered={parsed.recovered})")
        checked += 1
    assert wrong == []
    assert checked >= 40


def test_feedparser_title_expectations(corpus: Path) -> None:
    base = corpus / "kurtmckee+feedparser/tests"
    checked = 0
    for path in sorted(base.rglob("*.xml")):
        data = path.read_bytes()
        content_type, expect = _feedparser_header(_decoded_head(data))
        found = re.search(r"feed\['title'\] == ('(?:[^'\\]|\\.)*')", expect)
        if found is None:
            continue
        parsed = parse_feed(data, content_type=content_type)
        assert parsed.show.title == ast.literal_eval(found.group(1)), path.name
        checked += 1
    assert checked >= 3


def test_parsing_is_much_faster_than_feedparser(corpus: Path) -> None:
    feedparser = pytest.importorskip("feedparser")
    paths = [
        corpus / CRITICAL_ROLE / "feed-2025-08-12.xml",
        corpus / "PRX+feedzirra-podcast/etc/feeds/99percentinvisible.xml",
        corpus / "RyanHirsch+partytime/src/parser/__test__/fixtures/real-world/1865.xml",
    ]
    documents = [p.read_bytes() for p in paths]

    def best(parse: Callable[[bytes], object]) -> float:
        timings = []
        for _ in range(3):
            start = time.perf_counter()
            for document in documents:
                parse(document)
            timings.append(time.perf_counter() - start)
        return min(timings)

    ours = best(parse_feed)
    theirs = best(feedparser.parse)
    assert theirs / ours > 8, f"only {theirs / ours:.1f}x faster than feedparser"
