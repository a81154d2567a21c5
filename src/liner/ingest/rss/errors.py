"""The typed error a feed that cannot be read raises."""

from __future__ import annotations

from liner.kit.errors import InputError


class FeedError(InputError):
    """A feed document that cannot be turned into a show.

    ``code`` says why: ``empty`` (no bytes, or only whitespace), ``not_a_feed`` (markup
    that is not RSS, RSS 1.0 or Atom, or no markup at all), ``malformed`` (XML that even
    the recovering pass cannot read), ``too_large``, ``too_deep`` and ``forbidden_dtd``
    (refused by the hardened XML parser).
    """

    code = "feed_error"

    EMPTY = "empty"
    NOT_A_FEED = "not_a_feed"
    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    TOO_DEEP = "too_deep"
    FORBIDDEN_DTD = "forbidden_dtd"
