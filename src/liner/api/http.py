"""Requests, responses and errors for the raw ASGI layer.

The catalog API is a thin ASGI application: a request is parsed once into
:class:`Request`, a handler returns a :class:`Response` of bytes, and every error is
Spotify's error object with the right status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import orjson

JSON = b"application/json; charset=utf-8"
PUBLIC_CACHE = b"public, max-age=30"
NO_STORE = b"no-store"


class ApiError(Exception):
    """An error answered with Spotify's error object."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        details: list[dict[str, str]] | None = None,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.headers = headers or []

    def response(self) -> Response:
        error: dict[str, object] = {"status": self.status, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return Response(
            self.status,
            orjson.dumps({"error": error}),
            cache=NO_STORE,
            etag=False,
            headers=list(self.headers),
        )


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[bytes, bytes]
    body: bytes = b""
    body_reader: Callable[[], Awaitable[bytes]] | None = None
    """Reads the body when a handler asks for it (writes: once the key is checked)."""
    body_read: bool = False

    async def read_body(self) -> bytes:
        """The request body, read on the first call; handlers call it only after they
        have authorised the request, so that an unauthorised client's body is never
        read."""
        if self.body_reader is not None:
            reader, self.body_reader = self.body_reader, None
            self.body = await reader()
            self.body_read = True
        return self.body

    def left_body_unread(self) -> bool:
        """Whether the request came with a body that was never read (refused before)."""
        if self.body_read:
            return False
        length = self.headers.get(b"content-length")
        return (length is not None and length.strip(b"0 ") != b"") or (
            b"transfer-encoding" in self.headers
        )

    @classmethod
    def from_scope(cls, scope: dict[str, object]) -> Request:
        """From an ASGI scope."""
        raw_query = scope.get("query_string") or b""
        assert isinstance(raw_query, bytes)
        try:
            text = raw_query.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, "query string is not valid UTF-8") from None
        headers: dict[bytes, bytes] = {}
        raw_headers = scope.get("headers") or []
        assert isinstance(raw_headers, list)
        for name, value in raw_headers:
            headers[bytes(name).lower()] = bytes(value)
        method = scope.get("method", "GET")
        path = scope.get("path", "/")
        assert isinstance(method, str)
        assert isinstance(path, str)
        return cls(method, path, parse_query(text), headers)


def parse_query(text: str) -> dict[str, str]:
    """Query parameters, the first of each name kept."""
    if not text:
        return {}
    if "%" in text or "+" in text or ";" in text:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False)
    else:
        # Nothing to unquote (the usual ``market=SE&ids=...``): split by hand.
        pairs = [
            (key, value)
            for key, _, value in (part.partition("=") for part in text.split("&"))
            if key or value
        ]
    query: dict[str, str] = {}
    for key, value in pairs:
        query.setdefault(key, value)
    return query


@dataclass(slots=True)
class Response:
    status: int
    body: bytes
    content_type: bytes = JSON
    cache: bytes | None = PUBLIC_CACHE
    etag: bool = True
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    etag_value: bytes | None = None
    """The body's strong ETag when the handler already knows it (else hashed on send)."""


def etag_matches(if_none_match: bytes, etag: bytes) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110, 13.1.2): ``W/"x"`` matches ``"x"``."""
    if if_none_match.strip() == b"*":
        return True
    return any(
        candidate.strip().removeprefix(b"W/") == etag for candidate in if_none_match.split(b",")
    )
