"""Fitting a parsed show to what the catalog stores, before it is written.

The parser keeps what a feed says; a few of those values go into bounded columns
(a language tag, a medium, a ``podcast:guid``, an enclosure's MIME type). Real feeds put
anything there, so a value that cannot be what the field means is dropped with a
warning instead of failing the whole write (which PostgreSQL would do on length alone).
"""

from __future__ import annotations

import re
from dataclasses import replace

from liner.ingest.records import EpisodeRecord, ShowRecord

_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8}){0,6}")
_TOKEN = re.compile(r"[a-z0-9][a-z0-9._+-]{0,15}")
_MIME = re.compile(r"[\w.+-]{1,63}/[\w.+-]{1,63}(?:;.{0,60})?", re.ASCII)
MAX_LANGUAGE = 35
MAX_GUID = 64
MAX_KEY = 1024


def _warning(code: str, message: str, location: str) -> dict[str, str]:
    return {"code": code, "severity": "warning", "message": message, "location": location}


def _language(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if len(text) <= MAX_LANGUAGE and _LANGUAGE.fullmatch(text):
        return text
    return None


def fit_show(record: ShowRecord, problems: list[dict[str, str]]) -> ShowRecord:
    """``record`` with unusable bounded values dropped; a warning for each."""
    changes: dict[str, object] = {}
    language = _language(record.language)
    if language != record.language:
        changes["language"] = language
        if record.language and record.language.strip():
            problems.append(
                _warning(
                    "bad_language",
                    f"language {record.language[:40]!r} is not a language tag; dropped",
                    "channel/language",
                )
            )
    if record.medium is not None and not _TOKEN.fullmatch(record.medium):
        changes["medium"] = None
        problems.append(
            _warning(
                "bad_medium",
                f"podcast:medium {record.medium[:40]!r} is not a medium; dropped",
                "channel/podcast:medium",
            )
        )
    if record.podcast_guid is not None and len(record.podcast_guid.strip()) > MAX_GUID:
        changes["podcast_guid"] = None
        problems.append(
            _warning(
                "bad_podcast_guid",
                f"podcast:guid {record.podcast_guid[:40]!r}... is too long; dropped",
                "channel/podcast:guid",
            )
        )
    episodes = tuple(
        _fit_episode(e, index, problems) for index, e in enumerate(record.episodes, start=1)
    )
    if any(a is not b for a, b in zip(episodes, record.episodes, strict=True)):
        changes["episodes"] = episodes
    return replace(record, **changes) if changes else record  # type: ignore[arg-type]


def _fit_episode(
    record: EpisodeRecord, index: int, problems: list[dict[str, str]]
) -> EpisodeRecord:
    changes: dict[str, object] = {}
    language = _language(record.language)
    if language != record.language:
        changes["language"] = language
    enclosure = record.enclosure
    if enclosure is not None and enclosure.type is not None and not _MIME.fullmatch(enclosure.type):
        changes["enclosure"] = replace(enclosure, type=None)
        problems.append(
            _warning(
                "bad_enclosure_type",
                f"enclosure type {enclosure.type[:40]!r} is not a MIME type; dropped",
                f"item[{index}]/enclosure",
            )
        )
    return replace(record, **changes) if changes else record  # type: ignore[arg-type]
