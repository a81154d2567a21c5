"""HTTP servers on loopback that misbehave on purpose, for the fetcher tests.

A :class:`LocalServer` accepts connections one at a time in a background thread, reads
the request head and hands it to a handler. Handlers sleep through ``server.pause`` so
that closing the server interrupts them at once; closing joins the thread and closes
every socket.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import ssl
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType

CONNECTION_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    raw: bytes


Handler = Callable[[Request, socket.socket, "LocalServer"], None]


class LocalServer:
    """``with LocalServer(handler) as server:`` then fetch ``server.url("/path")``."""

    def __init__(
        self, handler: Handler, *, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None
    ) -> None:
        self.handler = handler
        self.host = host
        self.tls = tls
        self.requests: list[Request] = []
        self.connections = 0
        self.errors: list[BaseException] = []
        self.stopping = threading.Event()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._active: socket.socket | None = None
        self._port = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="hostile-server", daemon=True)

    def __enter__(self) -> LocalServer:
        self._listener.bind((self.host, 0))
        self._port = int(self._listener.getsockname()[1])
        self._listener.listen(16)
        self._listener.settimeout(0.02)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
        if self.errors and exc is None:
            raise self.errors[0]

    def close(self) -> None:
        self.stopping.set()
        with self._lock:
            if self._active is not None:
                with contextlib.suppress(OSError):
                    self._active.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)
        self._listener.close()
        assert not self._thread.is_alive(), "server thread did not stop"

    @property
    def port(self) -> int:
        return self._port

    def url(self, path: str = "/", *, scheme: str = "http", host: str | None = None) -> str:
        shown = host or (f"[{self.host}]" if ":" in self.host else self.host)
        return f"{scheme}://{shown}:{self.port}{path}"

    def pause(self, seconds: float) -> bool:
        """Sleep; ``True`` when the server is closing and the handler should return."""
        return self.stopping.wait(seconds)

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with self._lock:
                self._active = conn
            try:
                self._handle(conn)
            except OSError:
                pass
            except BaseException as exc:
                self.errors.append(exc)
            finally:
                with self._lock:
                    self._active = None
                conn.close()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(CONNECTION_TIMEOUT_S)
        if self.tls is not None:
            try:
                tls_conn = self.tls.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                return
            with self._lock:
                self._active = tls_conn
            with tls_conn:
                self._respond(tls_conn)
        else:
            self._respond(conn)

    def _respond(self, conn: socket.socket) -> None:
        raw = b""
        while b"\r\n\r\n" not in raw:
            data = conn.recv(4096)
            if not data or len(raw) > 65536:
                return
            raw += data
        head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        request_line, *header_lines = head.split("\r\n")
        method, path, _ = request_line.split(" ", 2)
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        request = Request(method, path, headers, raw)
        self.requests.append(request)
        self.handler(request, conn, self)


def response_head(status: int, headers: Iterable[tuple[str, str]] = ()) -> bytes:
    lines = [f"HTTP/1.1 {status} Test", *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(
    conn: socket.socket,
    status: int,
    body: bytes = b"",
    headers: Iterable[tuple[str, str]] = (),
) -> None:
    """A complete response with a Content-Length."""
    all_headers = [*headers, ("Content-Length", str(len(body))), ("Connection", "close")]
    conn.sendall(response_head(status, all_headers) + body)


def ok(body: bytes, headers: Iterable[tuple[str, str]] = ()) -> Handler:
    fixed = list(headers)

    def handler(request: Request, conn: socket.socket, server: LocalServer) -> None:
        respond(conn, 200, body, fixed)

    return handler


def status(code: int, headers: Iterable[tuple[str, str]] = ()) -> Handler:
    fixed = list(headers)

    def handler(request: Request, conn: socket.socket, server: LocalServer) -> None:
        respond(conn, code, b"nope", fixed)

    return handler


def redirect(code: int, location: str) -> Handler:
    return status(code, [("Location", location)])


def routes(table: Mapping[str, Handler]) -> Handler:
    def handler(request: Request, conn: socket.socket, server: LocalServer) -> None:
        table.get(request.path, status(404))(request, conn, server)

    return handler


def compressed_zeros(size: int, coding: str) -> bytes:
    """``size`` zero bytes compressed as ``gzip``, ``deflate`` (zlib) or ``raw-deflate``."""
    wbits = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS, "raw-deflate": -15}[coding]
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1024 * 1024)
    full, rest = divmod(size, len(block))
    parts = [compressor.compress(block) for _ in range(full)]
    parts.append(compressor.compress(bytes(rest)))
    parts.append(compressor.flush())
    return b"".join(parts)


def gzip_body(body: bytes) -> bytes:
    return gzip.compress(body, mtime=0)


def drip_body(interval: float, declared: int = 1000) -> Handler:
    """Headers at once, then one body byte every ``interval`` seconds."""

    def handler(request: Request, conn: socket.socket, server: LocalServer) -> None:
        conn.sendall(response_head(200, [("Content-Length", str(declared))]))
        for _ in range(declared):
            if server.pause(interval):
                return
            conn.sendall(b"x")

    return handler


def drip_head(interval: float) -> Handler:
    """The status line and headers, one byte every ``interval`` seconds."""

    def handler(request: Request, conn: socket.socket, server: LocalServer) -> None:
        for byte in response_head(200, [("X-Padding", "p" * 4000)]):
            conn.sendall(bytes([byte]))
            if server.pause(interval):
                return

    return handler


def silent(request: Request, conn: socket.socket, server: LocalServer) -> None:
    """Accept the request and never answer."""
    server.pause(CONNECTION_TIMEOUT_S)


def endless_chunked(request: Request, conn: socket.socket, server: LocalServer) -> None:
    conn.sendall(response_head(200, [("Transfer-Encoding", "chunked")]))
    chunk = b"10000\r\n" + b"<item/>".ljust(0x10000, b" ") + b"\r\n"
    while not server.stopping.is_set():
        conn.sendall(chunk)


def endless_until_close(request: Request, conn: socket.socket, server: LocalServer) -> None:
    conn.sendall(response_head(200, [("Connection", "close")]))
    block = b"a" * 65536
    while not server.stopping.is_set():
        conn.sendall(block)


def raw_reply(data: bytes) -> Handler:
    """Send ``data`` as-is (a malformed or hand-built response), then close."""

    def handler(request: Request, conn: socket.socket, server: LocalServer) -> None:
        conn.sendall(data)

    return handler
