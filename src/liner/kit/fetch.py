"""The one way Liner fetches an outside URL (feeds, and later artwork, transcripts, chapters).

Hostile servers are the normal case here, so every fetch:

* accepts only http(s) URLs without credentials (:mod:`liner.kit.fetch_guard`);
* resolves the host itself, refuses private, loopback, link-local, CGNAT, metadata and
  other non-public addresses unless allow-listed, and connects to exactly the address it
  checked (a second DNS answer cannot switch it); TLS still verifies the certificate
  against the host name, which is also sent as SNI;
* follows at most ``max_redirects`` redirects by hand, checking every hop before
  connecting, and reports a permanent move (301/308) only when every hop before it was
  permanent;
* enforces one wall-clock deadline over connect, TLS, headers and body: each socket read
  waits at most for the time left, so a server dripping a byte at a time is cut off;
* decompresses gzip/deflate in bounded steps and stops once the decoded body passes
  ``max_body_bytes``, so a bomb is never inflated in full;
* speaks HTTP/1.1 with ``Connection: close`` through its own small, bounded parser.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import ipaddress
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Final
from urllib.parse import urljoin

from liner.kit.fetch_guard import (
    DEFAULT_USER_AGENT,
    METADATA_ADDRESSES,
    FetchBadResponseError,
    FetchConnectFailedError,
    FetchCredentialsInUrlError,
    FetchError,
    FetchForbiddenAddressError,
    FetchForbiddenSchemeError,
    FetchHttpStatusError,
    FetchInvalidUrlError,
    FetchPolicy,
    FetchTarget,
    FetchTimeoutError,
    FetchTooLargeError,
    FetchTooManyRedirectsError,
    IPAddress,
    Resolver,
    check_address,
    check_url,
    forbidden_reason,
    parse_allow_list,
    resolve_target,
    system_resolver,
)

__all__ = [
    "DEFAULT_USER_AGENT",
    "METADATA_ADDRESSES",
    "FetchBadResponseError",
    "FetchConnectFailedError",
    "FetchCredentialsInUrlError",
    "FetchError",
    "FetchForbiddenAddressError",
    "FetchForbiddenSchemeError",
    "FetchHttpStatusError",
    "FetchInvalidUrlError",
    "FetchPolicy",
    "FetchResult",
    "FetchTarget",
    "FetchTimeoutError",
    "FetchTooLargeError",
    "FetchTooManyRedirectsError",
    "IPAddress",
    "Resolver",
    "check_address",
    "check_url",
    "fetch",
    "forbidden_reason",
    "parse_allow_list",
    "parse_retry_after",
    "system_resolver",
]

PERMANENT_REDIRECTS: Final = frozenset({301, 308})
REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})

_RECV_SIZE: Final = 64 * 1024
_INFLATE_STEP: Final = 64 * 1024
_MAX_LINE: Final = 8 * 1024
_MAX_HEADER_BYTES: Final = 64 * 1024
_MAX_HEADERS: Final = 128
_MAX_INTERIM: Final = 8
_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS
_ACCEPT_ENCODING: Final = "gzip, deflate"
_STATUS_RE: Final = re.compile(rb"HTTP/1\.[01] ([1-9][0-9]{2})(?:[ \t][^\r\n]*)?\r?\n")
_TOKEN_RE: Final = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_CHUNK_SIZE_RE: Final = re.compile(rb"[0-9A-Fa-f]{1,15}")


@dataclass(frozen=True)
class FetchResult:
    """A successful (2xx) or not-modified (304) response, body fully read and decoded."""

    url: str
    """The URL that finally answered, after redirects."""
    permanent_url: str | None
    """Where the feed has moved if the chain began with permanent redirects (301/308):
    the target of the last of them. ``None`` when no permanent move happened."""
    status: int
    headers: dict[str, str]
    """Final response headers, names lower-cased, repeated headers joined by ``", "``."""
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str | None
    not_modified: bool
    content_sha256: str | None
    """Hex SHA-256 of the decoded body; ``None`` on 304."""
    elapsed_s: float
    retry_after_s: float | None = None
    redirects: tuple[tuple[int, str], ...] = field(default=())
    """Every redirect followed, as ``(status, target URL)``."""


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay-seconds or an HTTP date).

    A date in the past gives ``0.0``; anything unparsable gives ``None``.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text) if len(text) <= 10 else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, delta)


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.start = time.monotonic()
        self.end = self.start + seconds

    def left(self, url: str, doing: str) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise FetchTimeoutError(f"deadline exceeded while {doing}", url=url)
        return remaining


def _open_socket(address: IPAddress, port: int, timeout: float) -> socket.socket:
    """A TCP connection to exactly ``address``; the only place a socket is connected."""
    family = socket.AF_INET6 if isinstance(address, ipaddress.IPv6Address) else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((str(address), port))
    except BaseException:
        sock.close()
        raise
    return sock


@lru_cache(maxsize=8)
def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["http/1.1"])
    return context


def _connect(
    target: FetchTarget, addresses: list[IPAddress], policy: FetchPolicy, deadline: _Deadline
) -> socket.socket:
    failures: list[str] = []
    for address in addresses:
        left = deadline.left(target.url, "connecting")
        try:
            sock = _open_socket(address, target.port, min(policy.connect_timeout_s, left))
        except OSError as exc:
            if isinstance(exc, TimeoutError) and left <= policy.connect_timeout_s:
                raise FetchTimeoutError(
                    "deadline exceeded while connecting", url=target.url
                ) from exc
            failures.append(f"{address}: {exc or type(exc).__name__}")
            continue
        if target.scheme != "https":
            return sock
        left = deadline.left(target.url, "starting TLS")
        try:
            sock.settimeout(min(policy.connect_timeout_s, left))
            tls_sock = _tls_context(policy.ca_file).wrap_socket(sock, server_hostname=target.host)
        except ssl.SSLCertVerificationError as exc:
            sock.close()
            raise FetchConnectFailedError(
                f"TLS certificate of {target.host} not accepted: {exc.verify_message}",
                url=target.url,
            ) from exc
        except OSError as exc:
            sock.close()
            if isinstance(exc, TimeoutError) and left <= policy.connect_timeout_s:
                raise FetchTimeoutError("deadline exceeded during TLS", url=target.url) from exc
            failures.append(f"{address}: TLS handshake failed: {exc or type(exc).__name__}")
            continue
        except BaseException:
            sock.close()
            raise
        return tls_sock
    deadline.left(target.url, "connecting")
    raise FetchConnectFailedError(
        f"cannot connect to {target.host}: {'; '.join(failures)}", url=target.url
    )


class _Reader:
    """Buffered reads where each wait is bounded by the time left before the deadline."""

    def __init__(self, sock: socket.socket, deadline: _Deadline, url: str) -> None:
        self._sock = sock
        self._deadline = deadline
        self._url = url
        self._buf = bytearray()
        self._eof = False

    def _fill(self) -> bool:
        if self._eof:
            return False
        self._sock.settimeout(self._deadline.left(self._url, "reading the response"))
        try:
            data = self._sock.recv(_RECV_SIZE)
        except TimeoutError as exc:
            raise FetchTimeoutError("deadline exceeded while reading", url=self._url) from exc
        except ssl.SSLEOFError:
            data = b""
        except OSError as exc:
            raise FetchConnectFailedError(
                f"connection failed while reading: {exc}", url=self._url
            ) from exc
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    def bad(self, message: str) -> FetchBadResponseError:
        return FetchBadResponseError(message, url=self._url)

    def line(self, limit: int = _MAX_LINE) -> bytes:
        scanned = 0
        while True:
            end = self._buf.find(b"\n", scanned)
            if end >= 0:
                if end >= limit:
                    break
                line = bytes(self._buf[: end + 1])
                del self._buf[: end + 1]
                return line
            if len(self._buf) >= limit:
                break
            scanned = len(self._buf)
            if not self._fill():
                raise self.bad("connection closed in the middle of the response head")
        raise self.bad(f"response line longer than {limit} bytes")

    def some(self, limit: int) -> bytes:
        if not self._buf and not self._fill():
            return b""
        piece = bytes(self._buf[:limit])
        del self._buf[:limit]
        return piece


def _read_fields(reader: _Reader) -> dict[str, str]:
    """Header (or trailer) fields up to the empty line, bounded in count and size."""
    fields: dict[str, str] = {}
    total = 0
    last = ""
    while True:
        line = reader.line()
        total += len(line)
        if total > _MAX_HEADER_BYTES or len(fields) > _MAX_HEADERS:
            raise reader.bad("response headers too large")
        if line in (b"\r\n", b"\n"):
            return fields
        if line[:1] in (b" ", b"\t"):
            if not last:
                raise reader.bad("header continuation without a header")
            fields[last] = f"{fields[last]} {line.strip().decode('latin-1')}".strip()
            continue
        name, colon, value = line.partition(b":")
        if not colon or _TOKEN_RE.fullmatch(name) is None:
            raise reader.bad(f"malformed header line {line[:80]!r}")
        last = name.decode("ascii").lower()
        text = value.strip().decode("latin-1")
        fields[last] = f"{fields[last]}, {text}" if last in fields else text


def _read_head(reader: _Reader) -> tuple[int, dict[str, str]]:
    for _ in range(_MAX_INTERIM):
        match = _STATUS_RE.fullmatch(reader.line())
        if match is None:
            raise reader.bad("malformed HTTP status line")
        status = int(match.group(1))
        headers = _read_fields(reader)
        if status == 101:
            raise reader.bad("unexpected protocol switch")
        if status >= 200:
            return status, headers
    raise reader.bad("too many interim (1xx) responses")


def _body_length(reader: _Reader, headers: dict[str, str]) -> int | None:
    """``None`` for a chunked body, -1 for a body that ends with the connection."""
    if "transfer-encoding" in headers:
        codings = [c.strip().lower() for c in headers["transfer-encoding"].split(",")]
        if [c for c in codings if c and c != "identity"] != ["chunked"]:
            raise reader.bad(f"unsupported Transfer-Encoding {headers['transfer-encoding']!r}")
        return None
    if "content-length" in headers:
        values = {v.strip() for v in headers["content-length"].split(",")}
        value = values.pop() if len(values) == 1 else ""
        if not (value.isascii() and value.isdigit() and len(value) <= 15):
            raise reader.bad(f"invalid Content-Length {headers['content-length']!r}")
        return int(value)
    return -1


def _raw_body(reader: _Reader, length: int | None) -> Iterator[bytes]:
    if length is None:
        while True:
            size_text = reader.line(1024).split(b";", 1)[0].strip()
            if _CHUNK_SIZE_RE.fullmatch(size_text) is None:
                raise reader.bad("malformed chunk size")
            left = int(size_text, 16)
            if left == 0:
                _read_fields(reader)
                return
            while left:
                piece = reader.some(min(left, _RECV_SIZE))
                if not piece:
                    raise reader.bad("connection closed inside a chunk")
                left -= len(piece)
                yield piece
            if reader.line(16) not in (b"\r\n", b"\n"):
                raise reader.bad("chunk not followed by CRLF")
    elif length >= 0:
        left = length
        while left:
            piece = reader.some(min(left, _RECV_SIZE))
            if not piece:
                raise reader.bad(f"body ended {left} bytes short of its Content-Length")
            left -= len(piece)
            yield piece
    else:
        while piece := reader.some(_RECV_SIZE):
            yield piece


class _Decoder:
    """Content decoding with a hard cap on the decoded size, applied at every step."""

    def __init__(self, coding: str, limit: int, url: str) -> None:
        self._coding = coding
        self._limit = limit
        self._url = url
        self._out = bytearray()
        self._z: zlib._Decompress | None = None
        self._started = False
        self._pending = b""
        if coding == "gzip":
            self._z = zlib.decompressobj(_GZIP_WBITS)

    def _emit(self, data: bytes) -> None:
        if len(self._out) + len(data) > self._limit:
            raise FetchTooLargeError(
                f"body exceeds {self._limit} bytes after decoding", url=self._url
            )
        self._out += data

    def _bad(self, message: str) -> FetchBadResponseError:
        return FetchBadResponseError(message, url=self._url)

    def feed(self, data: bytes) -> None:
        if self._coding == "identity":
            self._emit(data)
            return
        if self._coding == "deflate" and not self._started:
            data = self._pending + data
            if len(data) < 2:
                self._pending = data
                return
            self._pending = b""
            zlib_header = (data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0
            self._z = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
        self._started = True
        self._inflate(data)

    def _inflate(self, data: bytes) -> None:
        while True:
            if self._z is None:
                if not data.strip(b"\x00"):
                    return
                if self._coding != "gzip":
                    raise self._bad("data after the end of the deflate stream")
                self._z = zlib.decompressobj(_GZIP_WBITS)
            step = min(_INFLATE_STEP, self._limit - len(self._out) + 1)
            try:
                chunk = self._z.decompress(data, step)
            except zlib.error as exc:
                raise self._bad(f"invalid {self._coding} data: {exc}") from exc
            self._emit(chunk)
            if self._z.eof:
                data = self._z.unused_data
                self._z = None
                continue
            tail = self._z.unconsumed_tail
            if not chunk and tail and len(tail) == len(data):
                raise self._bad(f"{self._coding} decoder made no progress")
            data = tail
            if not data and len(chunk) < step:
                return

    def finish(self) -> bytes:
        if self._coding != "identity" and (
            self._pending or (self._started and self._z is not None)
        ):
            raise self._bad(f"{self._coding} body ended before the end of its stream")
        return bytes(self._out)


def _content_coding(reader: _Reader, headers: dict[str, str]) -> str:
    value = headers.get("content-encoding", "")
    codings = [c.strip().lower() for c in value.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return "identity"
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return "deflate" if codings[0] == "deflate" else "gzip"
    raise reader.bad(f"unsupported Content-Encoding {value!r}")


@dataclass(frozen=True)
class _Response:
    status: int
    headers: dict[str, str]
    body: bytes


def _resolve(
    target: FetchTarget, policy: FetchPolicy, resolver: Resolver, deadline: _Deadline
) -> list[IPAddress]:
    """Checked addresses for ``target``; a lookup that outlives the deadline is abandoned
    (its daemon thread ends on its own when the system resolver gives up)."""
    if target.literal is not None:
        return resolve_target(target, policy, resolver)
    outcome: list[list[IPAddress] | BaseException] = []

    def lookup() -> None:
        try:
            outcome.append(resolve_target(target, policy, resolver))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=lookup, name="liner-fetch-resolve", daemon=True)
    worker.start()
    worker.join(deadline.left(target.url, "resolving"))
    if not outcome:
        raise FetchTimeoutError(f"deadline exceeded while resolving {target.host}", url=target.url)
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    deadline.left(target.url, "resolving")
    return outcome[0]


def _exchange(
    target: FetchTarget,
    policy: FetchPolicy,
    deadline: _Deadline,
    resolver: Resolver,
    extra_headers: dict[str, str],
) -> _Response:
    """One request on one pinned connection; the body is read only for a 2xx answer."""
    addresses = _resolve(target, policy, resolver, deadline)
    sock = _connect(target, addresses, policy, deadline)
    try:
        lines = [
            f"GET {target.request_target} HTTP/1.1",
            f"Host: {target.host_header}",
            f"User-Agent: {policy.user_agent}",
            "Accept: */*",
            f"Accept-Encoding: {_ACCEPT_ENCODING}",
            "Connection: close",
            *(f"{name}: {value}" for name, value in extra_headers.items()),
        ]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        sock.settimeout(deadline.left(target.url, "sending the request"))
        try:
            sock.sendall(request)
        except TimeoutError as exc:
            raise FetchTimeoutError("deadline exceeded while sending", url=target.url) from exc
        except OSError as exc:
            raise FetchConnectFailedError(
                f"connection failed while sending: {exc}", url=target.url
            ) from exc
        reader = _Reader(sock, deadline, target.url)
        status, headers = _read_head(reader)
        if not 200 <= status < 300 or status in (204, 205):
            return _Response(status, headers, b"")
        length = _body_length(reader, headers)
        decoder = _Decoder(_content_coding(reader, headers), policy.max_body_bytes, target.url)
        if length is not None and length > policy.max_body_bytes:
            raise FetchTooLargeError(
                f"Content-Length {length} exceeds {policy.max_body_bytes} bytes", url=target.url
            )
        wire = 0
        for piece in _raw_body(reader, length):
            wire += len(piece)
            if wire > policy.max_body_bytes:
                raise FetchTooLargeError(
                    f"body exceeds {policy.max_body_bytes} bytes on the wire", url=target.url
                )
            decoder.feed(piece)
        return _Response(status, headers, decoder.finish())
    finally:
        sock.close()


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in (("If-None-Match", etag), ("If-Modified-Since", last_modified)):
        if value and len(value) <= 1024 and all(" " <= ch <= "~" for ch in value):
            headers[name] = value.strip()
    return headers


def _location(response: _Response, target: FetchTarget) -> str:
    raw = response.headers["location"]
    with contextlib.suppress(UnicodeError):
        raw = raw.encode("latin-1").decode("utf-8")
    return urljoin(target.url, raw.strip())


def fetch(
    url: str,
    *,
    policy: FetchPolicy,
    etag: str | None = None,
    last_modified: str | None = None,
    resolver: Resolver | None = None,
) -> FetchResult:
    """GET ``url`` under ``policy`` and return the decoded body, or raise a
    :class:`FetchError` subclass whose ``code`` says what went wrong.

    ``etag`` and ``last_modified`` are the validators stored from the previous fetch;
    a 304 answer gives ``not_modified=True`` and an empty body. ``resolver`` maps
    ``(host, port)`` to addresses (default :func:`system_resolver`); it runs in a helper
    thread so that a slow lookup cannot outlast the deadline.
    """
    deadline = _Deadline(policy.deadline_s)
    resolve = resolver or system_resolver
    conditional = _conditional_headers(etag, last_modified)
    target = check_url(url, policy)
    seen = {target.url}
    redirects: list[tuple[int, str]] = []
    permanent_url: str | None = None
    still_permanent = True
    while True:
        response = _exchange(target, policy, deadline, resolve, conditional)
        status, headers = response.status, response.headers
        if status in REDIRECTS and "location" in headers:
            if len(redirects) >= policy.max_redirects:
                raise FetchTooManyRedirectsError(
                    f"more than {policy.max_redirects} redirects", url=target.url
                )
            next_target = check_url(_location(response, target), policy)
            if next_target.url in seen:
                raise FetchTooManyRedirectsError(
                    f"redirect loop back to {next_target.url}", url=target.url
                )
            seen.add(next_target.url)
            redirects.append((status, next_target.url))
            still_permanent = still_permanent and status in PERMANENT_REDIRECTS
            if still_permanent:
                permanent_url = next_target.url
            target = next_target
            continue
        retry_after = parse_retry_after(headers.get("retry-after"))
        if status != 304 and not 200 <= status < 300:
            raise FetchHttpStatusError(
                f"HTTP status {status}", url=target.url, status=status, retry_after_s=retry_after
            )
        not_modified = status == 304
        return FetchResult(
            url=target.url,
            permanent_url=permanent_url,
            status=status,
            headers=headers,
            body=response.body,
            etag=headers.get("etag", etag if not_modified else None),
            last_modified=headers.get("last-modified", last_modified if not_modified else None),
            content_type=headers.get("content-type"),
            not_modified=not_modified,
            content_sha256=None if not_modified else hashlib.sha256(response.body).hexdigest(),
            elapsed_s=time.monotonic() - deadline.start,
            retry_after_s=retry_after,
            redirects=tuple(redirects),
        )
