"""Synthetic feeds and catalog reads for the feed sync suites."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from liner.models import Episode, Show

START = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class Item:
    guid: str
    title: str
    url: str
    published: datetime
    duration_s: int = 1800


@dataclass
class SyntheticFeed:
    """A podcast whose episodes tests add, retitle and remove between fetches."""

    title: str = "Synthetic Show"
    podcast_guid: str | None = None
    new_feed_url: str | None = None
    items: list[Item] = field(default_factory=list)

    @classmethod
    def weekly(cls, count: int, *, name: str = "show", **options: object) -> SyntheticFeed:
        feed = cls(title=f"Show {name}", **options)  # type: ignore[arg-type]
        for number in range(1, count + 1):
            feed.add(number, name=name)
        return feed

    def add(self, number: int, *, name: str = "show", gap: timedelta = timedelta(days=7)) -> Item:
        item = Item(
            guid=f"{name}-episode-{number}",
            title=f"{name} episode {number}",
            url=f"https://media.example.com/{name}/{number}.mp3",
            published=START + gap * number,
        )
        self.items.append(item)
        return item

    def xml(self) -> bytes:
        head = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
            ' xmlns:podcast="https://podcastindex.org/namespace/1.0">',
            "<channel>",
            f"<title>{escape(self.title)}</title>",
            "<description>A show made up for tests.</description>",
            "<language>en</language>",
        ]
        if self.podcast_guid:
            head.append(f"<podcast:guid>{self.podcast_guid}</podcast:guid>")
        if self.new_feed_url:
            head.append(f"<itunes:new-feed-url>{escape(self.new_feed_url)}</itunes:new-feed-url>")
        items = [
            "<item>"
            f"<title>{escape(i.title)}</title>"
            f'<guid isPermaLink="false">{escape(i.guid)}</guid>'
            f'<enclosure url="{escape(i.url)}" length="1000" type="audio/mpeg"/>'
            f"<pubDate>{format_datetime(i.published)}</pubDate>"
            f"<itunes:duration>{i.duration_s}</itunes:duration>"
            "</item>"
            for i in reversed(self.items)
        ]
        return "\n".join([*head, *items, "</channel>", "</rss>"]).encode()


def episodes_of(sessions: sessionmaker[Session], show_id: str) -> list[Episode]:
    with sessions() as session:
        return list(
            session.scalars(
                select(Episode)
                .join(Show, Show.id == Episode.show_id)
                .where(Show.public_id == show_id)
                .order_by(Episode.id)
            )
        )


def active_titles(sessions: sessionmaker[Session], show_id: str) -> dict[str, str]:
    """guid -> title of the show's active episodes."""
    return {e.guid or "": e.title for e in episodes_of(sessions, show_id) if e.status == "active"}
