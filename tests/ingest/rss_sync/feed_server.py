"""A loopback HTTP server that serves feeds from a route table tests change as they go.

Each route answers with a status, headers and a body; it can honour ``If-None-Match``
with its ETag, wait before answering (a fixed time, or until the test opens its gate),
or drip its body slowly. Every request is counted and its headers kept, so tests can
check what the fetcher sent.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

GATE_LIMIT_S = 60.0
"""The longest a gated request is held, so that a test that never opens a gate cannot
leave a handler thread waiting forever."""


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    """Sent as ``ETag``; a request with a matching ``If-None-Match`` gets 304."""
    delay_s: float = 0.0
    """Wait this long before answering."""
    gate: threading.Event | None = None
    """Hold every request until this is set (at most ``GATE_LIMIT_S``): a fetch that is
    provably under way until the test lets it go."""
    drip_s: float = 0.0
    """Send the body one 64-byte piece at a time, this long apart."""
    content_type: str = "application/rss+xml; charset=utf-8"


class _Handler(BaseHTTPRequestHandler):
    server: FeedServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        feeds = self.server
        with feeds.lock:
            feeds.hits[self.path] += 1
            feeds.requests.append((self.path, dict(self.headers.items())))
            route = feeds.routes.get(self.path)
        if route is None:
            self._answer(404, {}, b"not found")
            return
        if route.gate is not None:
            route.gate.wait(GATE_LIMIT_S)
        if route.delay_s:
            time.sleep(route.delay_s)
        headers = dict(route.headers)
        if route.etag is not None:
            headers["ETag"] = route.etag
            if self.headers.get("If-None-Match") == route.etag:
                self._answer(304, headers, b"")
                return
        if route.body or route.status == 200:
            headers.setdefault("Content-Type", route.content_type)
        self._answer(route.status, headers, route.body, route.drip_s)

    def _answer(
        self, status: int, headers: dict[str, str], body: bytes, drip_s: float = 0.0
    ) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if not drip_s:
                self.wfile.write(body)
                return
            for start in range(0, len(body), 64):
                self.wfile.write(body[start : start + 64])
                self.wfile.flush()
                time.sleep(drip_s)
        except OSError:
            return  # the client gave up (deadline): that is what the test wanted


class FeedServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05})

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def serve(self, path: str, body: bytes = b"", **options: object) -> str:
        """Serve ``path`` (replacing what it served before); its full URL."""
        with self.lock:
            self.routes[path] = Route(body=body, **options)  # type: ignore[arg-type]
        return self.url(path)

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(5)
