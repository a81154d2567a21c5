"""Every feed document of the corpus through the sync path (file imports) into the
catalog, and what the read model then serves checked against the corpus's own expected
outputs (gPodder's JSON, feed-rs's, the Critical Role archive's parse)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from liner.catalog.serving import ShowEntry
from liner.ingest.rss.sync import FeedSyncer, SyncOutcome
from liner.models import Feed
from liner.runtime import Runtime

pytestmark = pytest.mark.corpus

CRITICAL_ROLE = "critrolesync+critrolesync.github.io/feed-archive/critical-role"
GPODDER = "gpodder+podcastparser/tests/data"
EXPECTED_ERRORS = {
    "Podcastindex-org+podcast-namespace/docs/schema/podcast-example.xml": "not_a_feed",
    "kurtmckee+feedparser/tests/illformed/rss_empty_document.xml": "empty",
    "kurtmckee+feedparser/tests/wellformed/psc/atomsimplechapterexternal.xml": "not_a_feed",
    "rssblue+badpod/tests/data/empty_file.xml": "empty",
    "rssblue+badpod/tests/data/empty_xml.xml": "empty",
    "rssblue+badpod/tests/data/root_not_rss.xml": "not_a_feed",
}
GPODDER_DIFFERENCES = {
    # The expected output was made with a max_episodes parameter.
    "max_episodes",
    # gPodder invents titles from file names; Liner keeps what the feed says.
    "no_guid",
    "no_title",
    "no_title_multi_enclosure",
    # Relative enclosure URLs, which gPodder resolved against its test's own base URL;
    # a file is imported without one.
    "no_enclosure",
    "relative",
}


def _documents(corpus: Path) -> list[Path]:
    return [p for p in sorted(corpus.rglob("*")) if p.suffix in (".xml", ".rss") and p.is_file()]


def _served(runtime: Runtime, show_id: str) -> list[dict[str, Any]]:
    key = f"show:{show_id}"
    entry = runtime.reader.load([key])[key]
    assert isinstance(entry, ShowEntry), show_id
    return [orjson.loads(e) for e in entry.episodes]


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).date().isoformat()


def _compare_gpodder(expected: dict[str, Any], served: list[dict[str, Any]]) -> list[str]:
    playable = [e for e in expected["episodes"] if e["enclosures"]]
    if len(playable) != len(served):
        return [f"{len(playable)} episodes expected, {len(served)} served"]
    by_url = {e["audio"]["url"]: e for e in served if "audio" in e}
    wrong: list[str] = []
    for row in playable:
        urls = [x["url"] for x in row["enclosures"] if not x["mime_type"].startswith("image/")]
        episode = next((by_url[u] for u in urls if u in by_url), None)
        if episode is None:
            wrong.append(f"no served episode for {urls}")
            continue
        checks = {
            "title": (row["title"], episode["name"]),
            "duration": (row["total_time"] * 1000, episode["duration_ms"]),
        }
        if row["published"]:
            checks["date"] = (_date(row["published"]), episode["release_date"])
        wrong.extend(
            f"{row['title']!r} {k}: {a!r} != {b!r}" for k, (a, b) in checks.items() if a != b
        )
    return wrong


def test_every_corpus_document_ends_with_a_stored_result(
    runtime: Runtime, syncer: FeedSyncer, corpus: Path
) -> None:
    documents = _documents(corpus)
    assert len(documents) > 280
    outcomes: dict[str, SyncOutcome] = {}
    for path in documents:
        outcomes[path.relative_to(corpus).as_posix()] = syncer.sync_file(path, "corpus")
    errors = {name: o.error["code"] for name, o in outcomes.items() if o.error is not None}
    assert errors == EXPECTED_ERRORS
    with runtime.sessions() as session:
        feeds = session.scalars(select(Feed)).all()
    assert len(feeds) == len(documents)
    assert all(f.last_fetch_at is not None and f.last_outcome is not None for f in feeds)
    assert {f.status for f in feeds if f.last_outcome != "error"} == {"active"}
    assert len([f for f in feeds if f.last_outcome == "error"]) == len(EXPECTED_ERRORS)

    runtime.project()
    files_per_show = Counter(o.show_id for o in outcomes.values() if o.show_id)
    compared = 0
    mismatches: list[str] = []
    for case in sorted((corpus / GPODDER).glob("*.json")):
        if case.name.endswith(".param.json") or case.stem in GPODDER_DIFFERENCES:
            continue
        outcome = outcomes[f"{GPODDER}/{case.stem}.rss"]
        assert outcome.show_id is not None, case.stem
        if files_per_show[outcome.show_id] != 1:
            continue  # another corpus document is the same show (same guid or self link)
        expected = json.loads(case.read_text())
        served = _served(runtime, outcome.show_id)
        mismatches.extend(f"{case.stem}: {m}" for m in _compare_gpodder(expected, served))
        compared += 1
    assert mismatches == []
    assert compared > 50

    for expected_path in sorted((corpus / "feed-rs+feed-rs/feed-rs/fixture").rglob("*.serde.json")):
        expected = json.loads(expected_path.read_text())
        name = expected_path.relative_to(corpus).as_posix().replace(".serde.json", ".xml")
        show_id = outcomes[name].show_id
        assert show_id is not None
        served = _served(runtime, show_id)
        with_media = [e for e in expected["entries"] if e.get("media")]
        assert len(served) == len(with_media), name
        for row, episode in zip(with_media, served, strict=True):
            assert episode["name"] == row["title"]["content"]
            urls = [c["url"] for m in row["media"] for c in m.get("content", [])]
            assert episode["audio"]["url"] in urls


def test_critical_role_files_serve_the_archives_own_parse(
    runtime: Runtime, syncer: FeedSyncer, corpus: Path
) -> None:
    base = corpus / CRITICAL_ROLE
    first = syncer.sync_file(base / "feed-2025-08-12.xml", "critical-role")
    second = syncer.sync_file(base / "feed-2025-08-19.xml", "critical-role")
    assert (first.added, second.added, second.updated) == (370, 2, 370)
    assert second.show_id == first.show_id
    assert second.show_id is not None
    runtime.project()
    served = {e["audio"]["url"]: e for e in _served(runtime, second.show_id)}
    assert len(served) == 372
    expected = json.loads((base / "parsed/feed-parsed-2025-08-19.json").read_text())
    assert len(expected) > 330
    for row in expected:
        episode = served[row["URL"]]
        assert episode["name"] == row["Title"]
        assert episode["release_date"] == row["Publication Date"]
        assert episode["duration_ms"] == row["Seconds"] * 1000
        assert episode["audio"]["length"] == row["Bytes"]
        assert episode["audio"]["type"] == row["Type"]
