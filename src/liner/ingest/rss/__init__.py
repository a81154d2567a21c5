"""Podcast feeds (RSS 2.0 + iTunes + Podcasting 2.0, RSS 1.0, Atom) into ShowRecords."""

from liner.ingest.rss.errors import FeedError
from liner.ingest.rss.model import ParsedFeed
from liner.ingest.rss.parser import parse_feed

__all__ = ["FeedError", "ParsedFeed", "parse_feed"]
