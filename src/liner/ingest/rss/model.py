"""What the feed parser returns."""

from __future__ import annotations

from dataclasses import dataclass

from liner.ingest.records import Problem, ShowRecord


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A show with its episodes, the warnings found on the way, and how it was read."""

    show: ShowRecord
    problems: tuple[Problem, ...] = ()
    recovered: bool = False
    """True when the document was not well-formed XML as delivered and had to be repaired."""
    encoding: str = "utf-8"
    """The character encoding the document was read as."""
    feed_format: str = "rss"
    """``rss`` (RSS 0.9x/2.0), ``rss1`` (RSS 1.0 / RDF) or ``atom``."""

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")
