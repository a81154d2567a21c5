"""DDEX ERN ingestion: :func:`parse_ern` turns one ERN 3.4-4.3 message into records."""

from liner.ingest.ddex.model import (
    DdexError,
    ErnMessage,
    MessageParty,
    MessageType,
    PurgedRelease,
    SkippedRelease,
)
from liner.ingest.ddex.parser import parse_ern

__all__ = [
    "DdexError",
    "ErnMessage",
    "MessageParty",
    "MessageType",
    "PurgedRelease",
    "SkippedRelease",
    "parse_ern",
]
