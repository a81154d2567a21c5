"""The fetcher against real, hostile servers on loopback.

Every test that needs the local server allow-lists 127.0.0.1 explicitly; every fetch
runs under a small deadline and the tests assert that it ended within it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from liner.kit import fetch as fetch_module
from liner.kit.errors import ConfigError, InputError, LinerError
from liner.kit.fetch import (
    FetchBadResponseError,
    FetchConnectFailedError,
    FetchCredentialsInUrlError,
    FetchError,
    FetchForbiddenAddressError,
    FetchForbiddenSchemeError,
    FetchHttpStatusError,
    FetchInvalidUrlError,
    FetchPolicy,
    FetchTimeoutError,
    FetchTooLargeError,
    FetchTooManyRedirectsError,
    check_url,
    fetch,
    forbidden_reason,
    parse_retry_after,
)

from .hostile_servers import (
    LocalServer,
    Request,
    compressed_zeros,
    drip_body,
    drip_head,
    endless_chunked,
    endless_until_close,
    gzip_body,
    ok,
    raw_reply,
    redirect,
    respond,
    routes,
    silent,
    status,
)

DEADLINE_S = 2.0
SLACK_S = 0.75
LOCAL = FetchPolicy(allow_hosts=("127.0.0.1",), deadline_s=DEADLINE_S, connect_timeout_s=1.0)
PUBLIC_ONLY = FetchPolicy(deadline_s=DEADLINE_S, connect_timeout_s=1.0)
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads left running: {leaked}"


@dataclass
class Opened:
    addresses: list[tuple[str, int]]


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Opened:
    """Records every TCP connection the fetcher opens."""
    record = Opened([])
    real = fetch_module._open_socket

    def spy(address: fetch_module.IPAddress, port: int, timeout: float) -> socket.socket:
        record.addresses.append((str(address), port))
        return real(address, port, timeout)

    monkeypatch.setattr(fetch_module, "_open_socket", spy)
    return record


class StubResolver:
    """A resolver from a fixed table that records every lookup."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


def expect(error: type[FetchError], action: Callable[[], object]) -> tuple[FetchError, float]:
    started = time.monotonic()
    with pytest.raises(error) as info:
        action()
    return info.value, time.monotonic() - started


# --- successful fetches ---------------------------------------------------------------


def test_plain_fetch_returns_body_and_metadata() -> None:
    headers = [
        ("Content-Type", "application/rss+xml; charset=utf-8"),
        ("ETag", '"v1"'),
        ("Last-Modified", "Tue, 01 Jul 2025 10:00:00 GMT"),
        ("X-Mixed-Case", "kept"),
    ]
    with LocalServer(ok(FEED, headers)) as server:
        result = fetch(server.url("/feed.xml?a=1&b=é"), policy=LOCAL)
    assert result.status == 200
    assert result.body == FEED
    assert result.url == server.url("/feed.xml?a=1&b=%C3%A9")
    assert result.permanent_url is None
    assert result.redirects == ()
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert result.etag == '"v1"'
    assert result.last_modified == "Tue, 01 Jul 2025 10:00:00 GMT"
    assert result.headers["x-mixed-case"] == "kept"
    assert not result.not_modified
    assert result.content_sha256 == hashlib.sha256(FEED).hexdigest()
    assert result.retry_after_s is None
    assert 0 <= result.elapsed_s < DEADLINE_S
    request = server.requests[0]
    assert request.method == "GET"
    assert request.path == "/feed.xml?a=1&b=%C3%A9"
    assert request.headers["host"] == f"127.0.0.1:{server.port}"
    assert request.headers["user-agent"].startswith("Liner/0.1 (+https://")
    assert request.headers["accept-encoding"] == "gzip, deflate"
    assert request.headers["connection"] == "close"
    assert "if-none-match" not in request.headers


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate"])
def test_compressed_body_is_decoded(coding: str) -> None:
    body = FEED * 200
    if coding == "gzip":
        wire = gzip_body(body)
    else:
        compressor = zlib.compressobj(6, zlib.DEFLATED, 15 if coding == "deflate" else -15)
        wire = compressor.compress(body) + compressor.flush()
    header = "gzip" if coding == "gzip" else "deflate"
    with LocalServer(ok(wire, [("Content-Encoding", header)])) as server:
        result = fetch(server.url(), policy=LOCAL)
    assert result.body == body


def test_chunked_body_with_two_gzip_members() -> None:
    payload = gzip_body(b"<rss>") + gzip_body(b"</rss>")
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (payload[:7], payload[7:]))
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
    with LocalServer(raw_reply(head + chunks + b"0\r\nX-Trailer: y\r\n\r\n")) as server:
        result = fetch(server.url(), policy=LOCAL)
    assert result.body == b"<rss></rss>"


def test_body_delimited_by_close_and_interim_response() -> None:
    reply = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\n" + FEED
    with LocalServer(raw_reply(reply)) as server:
        result = fetch(server.url(), policy=LOCAL)
    assert result.body == FEED
    assert result.content_type == "text/xml"


def test_name_in_allow_list_may_resolve_to_loopback(opened: Opened) -> None:
    policy = FetchPolicy.from_allow_list("feed.test", deadline_s=DEADLINE_S)
    resolver = StubResolver({"feed.test": ["127.0.0.1"]})
    with LocalServer(ok(FEED)) as server:
        result = fetch(server.url(host="feed.test"), policy=policy, resolver=resolver)
    assert result.body == FEED
    assert server.requests[0].headers["host"] == f"feed.test:{server.port}"
    assert opened.addresses == [("127.0.0.1", server.port)]


def test_connection_is_pinned_to_the_checked_address(opened: Opened) -> None:
    """A second, different DNS answer (rebinding) is never asked for nor used."""
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])

    def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    with LocalServer(ok(FEED)) as server:
        fetch(server.url(host="feed.test"), policy=LOCAL, resolver=rebinding)
    assert opened.addresses == [("127.0.0.1", server.port)]
    assert next(answers) == ["10.0.0.1"]


def test_ipv6_loopback_allowed_when_listed() -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with LocalServer(ok(FEED), host="::1") as server:
        result = fetch(server.url(), policy=FetchPolicy.from_allow_list("::1"))
    assert result.body == FEED
    assert result.url == server.url()


# --- conditional GET, status codes, Retry-After --------------------------------------


def test_conditional_get_returns_not_modified() -> None:
    def handler(request: Request, conn: socket.socket, server: LocalServer) -> None:
        fresh = request.headers.get("if-none-match") == '"v1"'
        respond(conn, 304 if fresh else 200, b"" if fresh else FEED, [("ETag", '"v1"')])

    since = "Tue, 01 Jul 2025 10:00:00 GMT"
    with LocalServer(handler) as server:
        result = fetch(server.url(), policy=LOCAL, etag='"v1"', last_modified=since)
    assert result.not_modified
    assert result.status == 304
    assert result.body == b""
    assert result.content_sha256 is None
    assert result.etag == '"v1"'
    assert result.last_modified == since
    assert server.requests[0].headers["if-none-match"] == '"v1"'
    assert server.requests[0].headers["if-modified-since"] == since


def test_stored_validators_with_line_breaks_are_not_sent() -> None:
    with LocalServer(ok(FEED)) as server:
        fetch(server.url(), policy=LOCAL, etag='"a"\r\nX-Injected: 1', last_modified="\x00")
    headers = server.requests[0].headers
    assert "x-injected" not in headers
    assert "if-none-match" not in headers
    assert "if-modified-since" not in headers


def test_429_with_retry_after_seconds() -> None:
    with LocalServer(status(429, [("Retry-After", "120")])) as server:
        error, elapsed = expect(FetchHttpStatusError, lambda: fetch(server.url(), policy=LOCAL))
    assert isinstance(error, FetchHttpStatusError)
    assert error.code == "fetch_http_status"
    assert error.status == 429
    assert error.retry_after_s == 120.0
    assert elapsed < DEADLINE_S


def test_503_with_retry_after_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    with LocalServer(status(503, [("Retry-After", when)])) as server:
        error, _ = expect(FetchHttpStatusError, lambda: fetch(server.url(), policy=LOCAL))
    assert isinstance(error, FetchHttpStatusError)
    assert error.status == 503
    assert error.retry_after_s is not None
    assert 80 <= error.retry_after_s <= 90


def test_404_is_a_status_error_without_retry_after() -> None:
    with LocalServer(status(404)) as server:
        error, _ = expect(FetchHttpStatusError, lambda: fetch(server.url(), policy=LOCAL))
    assert isinstance(error, FetchHttpStatusError)
    assert (error.status, error.retry_after_s) == (404, None)
    assert error.location == server.url()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        (" 3600 ", 3600.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("Thu, 01 Jan 2026 00:01:40 GMT", 100.0),
        ("soon", None),
        ("-5", None),
        ("1" * 50, None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after(value, now=now) == expected


# --- redirects -----------------------------------------------------------------------


def test_permanent_redirect_moves_the_feed() -> None:
    table = {"/old": redirect(301, "/mid"), "/mid": redirect(308, "/new"), "/new": ok(FEED)}
    with LocalServer(routes(table)) as server:
        result = fetch(server.url("/old"), policy=LOCAL)
    assert result.body == FEED
    assert result.url == server.url("/new")
    assert result.permanent_url == server.url("/new")
    assert [code for code, _ in result.redirects] == [301, 308]


@pytest.mark.parametrize("code", [302, 303, 307])
def test_temporary_redirect_does_not_move_the_feed(code: int) -> None:
    table = {"/feed": redirect(code, "/today"), "/today": ok(FEED)}
    with LocalServer(routes(table)) as server:
        result = fetch(server.url("/feed"), policy=LOCAL)
    assert result.url == server.url("/today")
    assert result.permanent_url is None


def test_permanent_then_temporary_moves_only_to_the_permanent_target() -> None:
    table = {"/a": redirect(301, "/b"), "/b": redirect(302, "/c"), "/c": ok(FEED)}
    with LocalServer(routes(table)) as server:
        result = fetch(server.url("/a"), policy=LOCAL)
    assert result.url == server.url("/c")
    assert result.permanent_url == server.url("/b")


def test_temporary_then_permanent_does_not_move_the_feed() -> None:
    table = {"/a": redirect(307, "/b"), "/b": redirect(301, "/c"), "/c": ok(FEED)}
    with LocalServer(routes(table)) as server:
        result = fetch(server.url("/a"), policy=LOCAL)
    assert result.permanent_url is None


def test_redirect_loop_is_stopped() -> None:
    table = {"/a": redirect(302, "/b"), "/b": redirect(302, "/a")}
    with LocalServer(routes(table)) as server:
        error, elapsed = expect(
            FetchTooManyRedirectsError, lambda: fetch(server.url("/a"), policy=LOCAL)
        )
    assert error.code == "fetch_too_many_redirects"
    assert len(server.requests) == 2
    assert elapsed < DEADLINE_S


def test_redirect_chain_longer_than_the_limit_is_stopped() -> None:
    def handler(request: Request, conn: socket.socket, server: LocalServer) -> None:
        hop = int(request.path.strip("/"))
        respond(conn, 302, headers=[("Location", f"/{hop + 1}")])

    with LocalServer(handler) as server:
        expect(FetchTooManyRedirectsError, lambda: fetch(server.url("/0"), policy=LOCAL))
    assert len(server.requests) == 6


def test_five_redirects_are_followed() -> None:
    table = {f"/{i}": redirect(301, f"/{i + 1}") for i in range(5)} | {"/5": ok(FEED)}
    with LocalServer(routes(table)) as server:
        result = fetch(server.url("/0"), policy=LOCAL)
    assert len(result.redirects) == 5
    assert result.permanent_url == server.url("/5")


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:10.0.0.1]/",
        "http://100.64.0.1/",
    ],
)
def test_redirect_to_forbidden_address_is_refused_before_connecting(
    location: str, opened: Opened
) -> None:
    resolver = StubResolver({})
    with LocalServer(redirect(301, location)) as server:
        error, elapsed = expect(
            FetchForbiddenAddressError,
            lambda: fetch(server.url(), policy=LOCAL, resolver=resolver),
        )
    assert error.code == "fetch_forbidden_address"
    assert isinstance(error, InputError)
    assert resolver.calls == []
    assert opened.addresses == [("127.0.0.1", server.port)]
    assert elapsed < 1.0


def test_redirect_to_a_name_resolving_inside_is_refused(opened: Opened) -> None:
    resolver = StubResolver({"internal.test": ["10.1.2.3"]})
    with LocalServer(redirect(302, "http://internal.test/admin")) as server:
        expect(
            FetchForbiddenAddressError,
            lambda: fetch(server.url(), policy=LOCAL, resolver=resolver),
        )
    assert resolver.calls == ["internal.test"]
    assert opened.addresses == [("127.0.0.1", server.port)]


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("ftp://127.0.0.1/feed", FetchForbiddenSchemeError),
        ("file:///etc/passwd", FetchForbiddenSchemeError),
        ("http://user:secret@127.0.0.1/", FetchCredentialsInUrlError),
    ],
)
def test_redirect_to_forbidden_url_is_refused(
    location: str, error: type[FetchError], opened: Opened
) -> None:
    with LocalServer(redirect(302, location)) as server:
        raised, _ = expect(error, lambda: fetch(server.url(), policy=LOCAL))
    assert "secret" not in str(raised)
    assert len(opened.addresses) == 1


# --- addresses and URLs refused before any connection --------------------------------


def test_name_resolving_to_loopback_is_refused(opened: Opened) -> None:
    resolver = StubResolver({"evil.test": ["127.0.0.1"]})
    with LocalServer(ok(FEED)) as server:
        url = server.url("/feed", host="evil.test")
        error, elapsed = expect(
            FetchForbiddenAddressError,
            lambda: fetch(url, policy=PUBLIC_ONLY, resolver=resolver),
        )
    assert "loopback" in error.message
    assert resolver.calls == ["evil.test"]
    assert opened.addresses == []
    assert server.connections == 0
    assert server.requests == []
    assert elapsed < 0.5


def test_name_with_one_private_answer_among_public_ones_is_refused(opened: Opened) -> None:
    resolver = StubResolver({"mixed.test": ["93.184.215.14", "192.168.1.10"]})
    expect(
        FetchForbiddenAddressError,
        lambda: fetch("http://mixed.test/", policy=PUBLIC_ONLY, resolver=resolver),
    )
    assert opened.addresses == []


def test_allow_listing_loopback_by_name_does_not_unlock_metadata(opened: Opened) -> None:
    policy = FetchPolicy.from_allow_list("metadata.test")
    resolver = StubResolver({"metadata.test": ["169.254.169.254"]})
    expect(
        FetchForbiddenAddressError,
        lambda: fetch("http://metadata.test/", policy=policy, resolver=resolver),
    )
    assert opened.addresses == []


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1]/",
        "http://[::1]:8080/feed",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[64:ff9b::7f00:1]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[::]/",
        "http://127.0.0.1/",
        "http://127.8.9.1:6379/",
        "http://0.0.0.0/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.100.100.200/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "https://198.18.0.1/",
    ],
)
def test_forbidden_literal_is_refused_without_lookup_or_connection(
    url: str, opened: Opened
) -> None:
    resolver = StubResolver({})
    with pytest.raises(FetchForbiddenAddressError):
        fetch(url, policy=PUBLIC_ONLY, resolver=resolver)
    assert resolver.calls == []
    assert opened.addresses == []


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://127.0.0.1./x/../",
        "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/",
        "http://127%2e0.0.1/",
        "http://[::1%25lo]/",
        "http://exa mple.test/",
        "http://example.test\\@127.0.0.1/",
        "http://\u0000example.test/",
        "http:///feed",
        "http://example.test:99999/",
        "http://example.test:0/",
        "http://" + "a" * 300 + ".test/",
    ],
)
def test_ambiguous_or_malformed_url_is_refused(url: str, opened: Opened) -> None:
    resolver = StubResolver({})
    with pytest.raises((FetchInvalidUrlError, FetchForbiddenAddressError)):
        fetch(url, policy=PUBLIC_ONLY, resolver=resolver)
    assert resolver.calls == []
    assert opened.addresses == []


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pass@example.test/feed",
        "http://user@example.test/",
        "https://:@example.test/",
        "http://example.test@127.0.0.1/",
    ],
)
def test_credentials_in_url_are_refused(url: str, opened: Opened) -> None:
    error, _ = expect(FetchCredentialsInUrlError, lambda: fetch(url, policy=PUBLIC_ONLY))
    assert error.code == "fetch_credentials_in_url"
    assert "pass" not in error.location
    assert "@" not in error.location
    assert opened.addresses == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.test/feed.xml",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_INFO",
        "data:text/xml,<rss/>",
        "javascript:alert(1)",
        "feed://example.test/rss",
        "example.test/feed",
        "//example.test/feed",
    ],
)
def test_other_schemes_are_refused(url: str, opened: Opened) -> None:
    error, _ = expect(FetchForbiddenSchemeError, lambda: fetch(url, policy=PUBLIC_ONLY))
    assert error.code == "fetch_forbidden_scheme"
    assert opened.addresses == []


def test_https_only_policy_refuses_http() -> None:
    policy = FetchPolicy(schemes=frozenset({"https"}))
    with pytest.raises(FetchForbiddenSchemeError):
        check_url("http://example.test/", policy)


def test_port_allow_list() -> None:
    policy = FetchPolicy(allowed_ports=frozenset({80, 443}))
    assert check_url("https://example.test/feed", policy).port == 443
    with pytest.raises(FetchForbiddenAddressError):
        check_url("http://example.test:6379/", policy)


def test_check_url_normalises() -> None:
    target = check_url("  HTTPS://Bücher.Example:443/ä%20b?q=ü#frag ", FetchPolicy())
    assert target.url == "https://xn--bcher-kva.example/%C3%A4%20b?q=%C3%BC"
    assert target.host_header == "xn--bcher-kva.example"
    assert target.request_target == "/%C3%A4%20b?q=%C3%BC"
    assert target.port == 443
    assert target.literal is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.1.1", "private"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("169.254.169.254", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("::ffff:192.168.0.1", "private (IPv4 192.168.0.1 inside IPv6)"),
        ("fd00:ec2::254", "cloud metadata"),
        ("fd12::1", "private (unique local)"),
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
        ("::7f00:1", "reserved (IPv4-compatible)"),
        ("2002:7f00:1::", "reserved (6to4)"),
        ("2001:db8::1", "reserved (documentation)"),
        ("192.0.0.9", "reserved (IETF protocol assignments)"),
    ],
)
def test_forbidden_reason(address: str, reason: str) -> None:
    assert forbidden_reason(address) == reason


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is None


# --- policy ---------------------------------------------------------------------------


def test_allow_list_parser() -> None:
    policy = FetchPolicy.from_allow_list(" localhost,127.0.0.0/8  [::1], Feeds.Example.\n")
    assert policy.allow_hosts == ("localhost", "127.0.0.0/8", "[::1]", "Feeds.Example.")
    assert policy.allowed_names == frozenset({"localhost", "feeds.example"})
    assert [str(n) for n in policy.allowed_networks] == ["127.0.0.0/8", "::1/128"]
    target = check_url("http://[::ffff:127.0.0.2]/", policy)
    assert target.literal is not None
    assert FetchPolicy.from_allow_list("").allow_hosts == ()


def test_default_policy() -> None:
    policy = FetchPolicy()
    assert (policy.deadline_s, policy.connect_timeout_s) == (15.0, 5.0)
    assert policy.max_body_bytes == 25 * 1024 * 1024
    assert policy.max_redirects == 5
    assert policy.schemes == frozenset({"http", "https"})
    assert "podcast feed fetcher" in policy.user_agent


@pytest.mark.parametrize(
    "settings",
    [
        {"allow_hosts": ("not a host!",)},
        {"allow_hosts": ("0x7f.1",)},
        {"schemes": frozenset({"ftp"})},
        {"deadline_s": 0},
        {"max_body_bytes": 0},
        {"max_redirects": -1},
        {"user_agent": "x\r\nInjected: 1"},
    ],
)
def test_invalid_policy_is_a_config_error(settings: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        FetchPolicy(**settings)  # type: ignore[arg-type]


# --- size limits and decompression bombs ----------------------------------------------


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate"])
def test_decompression_bomb_stops_at_the_limit(coding: str) -> None:
    limit = 1024 * 1024
    bomb = compressed_zeros(10 * 1024 * 1024, coding)
    assert len(bomb) < 20_000
    header = "gzip" if coding == "gzip" else "deflate"
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), deadline_s=DEADLINE_S, max_body_bytes=limit)
    with LocalServer(ok(bomb, [("Content-Encoding", header)])) as server:
        tracemalloc.start()
        try:
            error, elapsed = expect(FetchTooLargeError, lambda: fetch(server.url(), policy=policy))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert error.code == "fetch_too_large"
    assert "after decoding" in error.message
    assert peak < 3 * limit
    assert elapsed < 1.0


def test_endless_chunked_body_stops_at_the_limit() -> None:
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), deadline_s=DEADLINE_S, max_body_bytes=10**6)
    with LocalServer(endless_chunked) as server:
        _, elapsed = expect(FetchTooLargeError, lambda: fetch(server.url(), policy=policy))
    assert elapsed < DEADLINE_S


def test_endless_body_until_close_stops_at_the_limit() -> None:
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), deadline_s=DEADLINE_S, max_body_bytes=10**6)
    with LocalServer(endless_until_close) as server:
        _, elapsed = expect(FetchTooLargeError, lambda: fetch(server.url(), policy=policy))
    assert elapsed < DEADLINE_S


def test_declared_length_over_the_limit_is_refused_before_reading() -> None:
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), deadline_s=DEADLINE_S, max_body_bytes=1000)
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\nabc"
    with LocalServer(raw_reply(reply)) as server:
        error, _ = expect(FetchTooLargeError, lambda: fetch(server.url(), policy=policy))
    assert "Content-Length" in error.message


# --- deadline -------------------------------------------------------------------------


def test_body_dripping_a_byte_every_half_second_hits_the_deadline() -> None:
    with LocalServer(drip_body(0.5)) as server:
        error, elapsed = expect(FetchTimeoutError, lambda: fetch(server.url(), policy=LOCAL))
    assert error.code == "fetch_timeout"
    assert DEADLINE_S - 0.1 <= elapsed < DEADLINE_S + SLACK_S


def test_dripping_headers_hit_the_deadline() -> None:
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), deadline_s=1.0)
    with LocalServer(drip_head(0.05)) as server:
        _, elapsed = expect(FetchTimeoutError, lambda: fetch(server.url(), policy=policy))
    assert 0.9 <= elapsed < 1.0 + SLACK_S


def test_silent_server_hits_the_deadline() -> None:
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), deadline_s=1.0)
    with LocalServer(silent) as server:
        _, elapsed = expect(FetchTimeoutError, lambda: fetch(server.url(), policy=policy))
    assert 0.9 <= elapsed < 1.0 + SLACK_S


def test_deadline_covers_the_whole_redirect_chain() -> None:
    def slow_redirect(request: Request, conn: socket.socket, server: LocalServer) -> None:
        hop = int(request.path.strip("/"))
        if server.pause(0.3):
            return
        respond(conn, 302, headers=[("Location", f"/{hop + 1}")])

    policy = FetchPolicy(allow_hosts=("127.0.0.1",), deadline_s=1.0, max_redirects=50)
    with LocalServer(slow_redirect) as server:
        _, elapsed = expect(FetchTimeoutError, lambda: fetch(server.url("/0"), policy=policy))
    assert elapsed < 1.0 + SLACK_S
    assert len(server.requests) <= 4


# --- connection failures and malformed responses --------------------------------------


def test_connection_refused() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    error, elapsed = expect(
        FetchConnectFailedError, lambda: fetch(f"http://127.0.0.1:{port}/", policy=LOCAL)
    )
    assert error.code == "fetch_connect_failed"
    assert elapsed < 1.0


def test_unresolvable_name() -> None:
    error, _ = expect(
        FetchConnectFailedError,
        lambda: fetch("http://nowhere.test/", policy=LOCAL, resolver=StubResolver({})),
    )
    assert "cannot resolve" in error.message


def test_slow_name_lookup_hits_the_deadline(opened: Opened) -> None:
    release = threading.Event()

    def stuck(host: str, port: int) -> list[str]:
        release.wait(10)
        return ["127.0.0.1"]

    policy = FetchPolicy(allow_hosts=("127.0.0.1",), deadline_s=0.5)
    try:
        error, elapsed = expect(
            FetchTimeoutError, lambda: fetch("http://slow.test/", policy=policy, resolver=stuck)
        )
    finally:
        release.set()
        for thread in threading.enumerate():
            if thread.name == "liner-fetch-resolve":
                thread.join(5)
    assert "resolving" in error.message
    assert elapsed < 0.5 + SLACK_S
    assert opened.addresses == []


@pytest.mark.parametrize(
    "reply",
    [
        b"SSH-2.0-OpenSSH_9.6\r\n",
        b"HTTP/1.1 200 OK\r\nBroken header\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 1\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip, gzip\r\nContent-Length: 1\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\n\x1f\x8b\x08\x00",
        b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 10_000 + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X-Many: a\r\n" * 7000 + b"\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n",
    ],
)
def test_malformed_response_is_a_bad_response(reply: bytes) -> None:
    with LocalServer(raw_reply(reply)) as server:
        error, elapsed = expect(FetchBadResponseError, lambda: fetch(server.url(), policy=LOCAL))
    assert error.code == "fetch_bad_response"
    assert elapsed < 1.0


def test_every_fetch_error_is_a_liner_error() -> None:
    assert issubclass(FetchError, LinerError)
    codes = {cls.code for cls in FetchError.__subclasses__()}
    assert codes >= {
        "fetch_forbidden_address",
        "fetch_forbidden_scheme",
        "fetch_credentials_in_url",
        "fetch_too_many_redirects",
        "fetch_timeout",
        "fetch_too_large",
        "fetch_http_status",
        "fetch_connect_failed",
        "fetch_bad_response",
    }


# --- TLS ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificates:
    ca: Path
    cert: Path
    key: Path


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    (folder / "ext.cnf").write_text(
        "subjectAltName=DNS:feed.test\nextendedKeyUsage=serverAuth\n"
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n"
    )
    ca_subject = ["-subj", "/CN=Liner Test CA", "-addext", "basicConstraints=critical,CA:TRUE"]
    ca_usage = ["-addext", "keyUsage=critical,keyCertSign"]
    commands = [
        [
            openssl,
            "req",
            "-x509",
            *ec,
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            *ca_subject,
            *ca_usage,
        ],
        [openssl, "req", *ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=feed.test"],
        [
            openssl,
            "x509",
            "-req",
            "-in",
            "srv.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "srv.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    ]
    for command in commands:
        done = subprocess.run(command, cwd=folder, capture_output=True, check=False, timeout=30)
        if done.returncode != 0:
            pytest.skip(f"openssl failed: {done.stderr.decode(errors='replace')[:200]}")
    return Certificates(folder / "ca.pem", folder / "srv.pem", folder / "srv.key")


def tls_server(certificates: Certificates, names: list[str]) -> LocalServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates.cert, certificates.key)

    def remember(sock: object, name: str | None, ctx: object) -> None:
        names.append(name or "")

    context.sni_callback = remember
    return LocalServer(ok(FEED), tls=context)


def test_https_verifies_against_the_host_name_and_sends_sni(certificates: Certificates) -> None:
    names: list[str] = []
    policy = FetchPolicy(
        allow_hosts=("127.0.0.1",), deadline_s=DEADLINE_S, ca_file=str(certificates.ca)
    )
    resolver = StubResolver({"feed.test": ["127.0.0.1"]})
    with tls_server(certificates, names) as server:
        url = server.url("/feed", scheme="https", host="feed.test")
        result = fetch(url, policy=policy, resolver=resolver)
    assert result.body == FEED
    assert names == ["feed.test"]
    assert server.requests[0].headers["host"] == f"feed.test:{server.port}"


def test_https_with_an_untrusted_certificate_fails(certificates: Certificates) -> None:
    resolver = StubResolver({"feed.test": ["127.0.0.1"]})
    with tls_server(certificates, []) as server:
        url = server.url("/", scheme="https", host="feed.test")
        error, _ = expect(
            FetchConnectFailedError, lambda: fetch(url, policy=LOCAL, resolver=resolver)
        )
    assert "certificate" in error.message
    assert server.requests == []


@pytest.mark.parametrize("host", ["other.test", "127.0.0.1"])
def test_https_with_a_certificate_for_another_name_fails(
    certificates: Certificates, host: str
) -> None:
    policy = FetchPolicy(
        allow_hosts=("127.0.0.1",), deadline_s=DEADLINE_S, ca_file=str(certificates.ca)
    )
    resolver = StubResolver({"other.test": ["127.0.0.1"]})
    with tls_server(certificates, []) as server:
        url = server.url("/", scheme="https", host=host)
        expect(FetchConnectFailedError, lambda: fetch(url, policy=policy, resolver=resolver))
    assert server.requests == []


def test_tls_handshake_against_a_silent_server_hits_the_deadline() -> None:
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), deadline_s=1.0, connect_timeout_s=5.0)

    def mute(request: Request, conn: socket.socket, server: LocalServer) -> None:
        raise AssertionError("no request can arrive without a handshake")

    with LocalServer(mute) as server:
        error, elapsed = expect(
            FetchTimeoutError, lambda: fetch(server.url(scheme="https"), policy=policy)
        )
    assert elapsed < 1.0 + SLACK_S
    assert error.code == "fetch_timeout"
