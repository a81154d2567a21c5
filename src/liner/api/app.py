"""The HTTP application (ASGI, and granian's RSGI): routing, lifespan, conditional GET,
metrics and error mapping.

Kept deliberately thin: the hot read path is a dict lookup, a few byte concatenations
and one hash for the ETag. Any exception a handler did not expect becomes a logged 500
with Spotify's error object; handlers raise :class:`ApiError` for everything expected.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

from liner.api.catalog import CatalogApi
from liner.api.http import NO_STORE, ApiError, Request, Response, etag_matches, parse_query
from liner.api.metrics import HttpMetrics
from liner.catalog.serving import etag_of
from liner.ingest.rss.scheduler import BackgroundScheduler, start_in_process
from liner.runtime import Runtime

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Handler = Callable[..., Awaitable[Response]]

TEXT = b"text/plain; charset=utf-8"


class LinerApp:
    def __init__(self, runtime_factory: Callable[[], Runtime]) -> None:
        self._runtime_factory = runtime_factory
        self.runtime: Runtime | None = None
        self.metrics = HttpMetrics()
        self._routes: dict[tuple[str, int, str], tuple[str, Handler]] = {}
        self._exact: dict[str, tuple[str, Handler]] = {}
        self._feeds: BackgroundScheduler | None = None

    # wiring

    def start(self) -> None:
        if self.runtime is not None:
            return
        runtime = self._runtime_factory()
        try:
            runtime.start_background()
            if runtime.settings.feed_scheduler:
                self._feeds = start_in_process(runtime)
            self._install_routes(runtime)
        except BaseException:
            self._stop_feeds()
            runtime.close()
            raise
        self.runtime = runtime

    def stop(self) -> None:
        try:
            self._stop_feeds()
        finally:
            if self.runtime is not None:
                self.runtime.close()
                self.runtime = None

    def _stop_feeds(self) -> None:
        if self._feeds is not None:
            feeds, self._feeds = self._feeds, None
            feeds.stop()

    def _install_routes(self, runtime: Runtime) -> None:
        from liner.api import deliveries, feeds, ingest, openapi, ops

        catalog = CatalogApi(runtime.reader, runtime.engine, runtime.settings.public_url)
        writes = ingest.IngestApi(runtime)
        ddex = deliveries.DeliveriesApi(runtime)
        feeds_api = feeds.FeedsApi(runtime)
        r = self._routes
        r[("tracks", 0, "")] = ("/v1/tracks", catalog.list_tracks)
        r[("tracks", 1, "")] = ("/v1/tracks/{id}", catalog.get_track)
        r[("albums", 0, "")] = ("/v1/albums", catalog.list_albums)
        r[("albums", 1, "")] = ("/v1/albums/{id}", catalog.get_album)
        r[("albums", 2, "tracks")] = ("/v1/albums/{id}/tracks", catalog.album_tracks)
        r[("artists", 0, "")] = ("/v1/artists", catalog.list_artists)
        r[("artists", 1, "")] = ("/v1/artists/{id}", catalog.get_artist)
        r[("artists", 2, "albums")] = ("/v1/artists/{id}/albums", catalog.artist_albums)
        r[("shows", 0, "")] = ("/v1/shows", catalog.list_shows)
        r[("shows", 1, "")] = ("/v1/shows/{id}", catalog.get_show)
        r[("shows", 2, "episodes")] = ("/v1/shows/{id}/episodes", catalog.show_episodes)
        r[("episodes", 0, "")] = ("/v1/episodes", catalog.list_episodes)
        r[("episodes", 1, "")] = ("/v1/episodes/{id}", catalog.get_episode)
        r[("markets", 0, "")] = ("/v1/markets", catalog.markets)
        r[("changes", 0, "")] = ("/v1/changes", catalog.changes)
        r[("deliveries", 0, "")] = ("/v1/deliveries", ddex.list_deliveries)
        r[("deliveries", 1, "")] = ("/v1/deliveries/{id}", ddex.get_delivery)
        r[("feeds", 0, "")] = ("/v1/feeds", feeds_api.list_feeds)
        r[("feeds", 1, "")] = ("/v1/feeds/{id}", feeds_api.get_feed)
        health = ops.OpsApi(runtime, self.metrics)
        e = self._exact
        e["/v1/ingest/releases"] = ("/v1/ingest/releases", writes.post_release)
        e["/v1/ingest/shows"] = ("/v1/ingest/shows", writes.post_show)
        e["/v1/ingest/ddex"] = ("/v1/ingest/ddex", ddex.post_message)
        e["/v1/ingest/feeds"] = ("/v1/ingest/feeds", feeds_api.post_feed)
        e["/healthz"] = ("/healthz", health.healthz)
        e["/readyz"] = ("/readyz", health.readyz)
        e["/metrics"] = ("/metrics", health.metrics)
        e["/openapi.json"] = ("/openapi.json", openapi.OpenApiDocs(runtime).spec)
        e["/docs"] = ("/docs", openapi.OpenApiDocs(runtime).page)
        e["/"] = ("/", openapi.OpenApiDocs(runtime).page)

    def _resolve(self, path: str) -> tuple[str, Handler, tuple[str, ...]]:
        if len(path) > 1 and path.endswith("/"):
            # Spotify's API takes one trailing slash, and clients send it ("tracks/?ids=").
            path = path[:-1]
        exact = self._exact.get(path)
        if exact is not None:
            return exact[0], exact[1], ()
        parts = path.split("/")
        # ["", "v1", resource, id?, sub?]
        if len(parts) >= 3 and parts[1] == "v1" and len(parts) <= 5:
            resource = parts[2]
            if len(parts) == 3:
                found = self._routes.get((resource, 0, ""))
                if found:
                    return found[0], found[1], ()
            elif len(parts) == 4 and parts[3]:
                found = self._routes.get((resource, 1, ""))
                if found:
                    return found[0], found[1], (parts[3],)
            elif len(parts) == 5 and parts[3]:
                found = self._routes.get((resource, 2, parts[4]))
                if found:
                    return found[0], found[1], (parts[3],)
        raise ApiError(404, "service not found")

    # ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.start()
                except Exception as exc:
                    log.exception("startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _declared_length(self, request: Request) -> int | None:
        """The body's declared length: 400 when it is not a number, 413 when it is over
        the limit (both known before a byte of the body is read)."""
        assert self.runtime is not None
        limit = self.runtime.settings.max_body_bytes
        declared = request.headers.get(b"content-length")
        if declared is None:
            return None
        if not declared.isdigit():
            raise ApiError(400, "the Content-Length header is not a number of bytes")
        if int(declared) > limit:
            raise ApiError(413, f"request body larger than {limit} bytes")
        return int(declared)

    async def _read_body(self, declared: int | None, chunks: AsyncIterator[bytes]) -> bytes:
        assert self.runtime is not None
        limit = self.runtime.settings.max_body_bytes
        received = []
        size = 0
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise ApiError(413, f"request body larger than {limit} bytes")
            received.append(chunk)
        if declared is not None and size != declared:
            # The client went away mid-body: never act on part of a document.
            raise ApiError(400, f"request body ended after {size} of {declared} bytes")
        return b"".join(received)

    async def _dispatch(
        self, request: Request, uri_length: int, body: Callable[[], AsyncIterator[bytes]]
    ) -> tuple[str, Response]:
        """The route and the response for a parsed request, whatever the server."""
        route = "unmatched"
        try:
            if self.runtime is None:
                self.start()
            if uri_length > 8192:
                raise ApiError(414, "request URI too long")
            route, handler, args = self._resolve(request.path)
            if route.startswith("/v1/ingest/"):
                if request.method != "POST":
                    raise ApiError(405, "method not allowed", headers=[(b"allow", b"POST")])
                if not request.headers.get(b"authorization", b"")[:7].lower() == b"bearer ":
                    # Every write needs a key: refuse before reading (up to 8 MB of) body.
                    raise ApiError(401, "an API key is required: Authorization: Bearer <key>")
                declared = self._declared_length(request)
                # Read by the handler once it has checked the key and its scope.
                request.body_reader = lambda: self._read_body(declared, body())
            elif request.method not in ("GET", "HEAD"):
                raise ApiError(405, "method not allowed", headers=[(b"allow", b"GET, HEAD")])
            response = await handler(request, *args)
        except ApiError as exc:
            response = exc.response()
        except Exception:
            log.exception("unhandled error", extra={"path": request.path})
            response = ApiError(500, "internal error").response()
        if request.left_body_unread() and all(h[0] != b"connection" for h in response.headers):
            # The rest of the body is still on the connection: close it, so that no
            # client sends its next request on a connection the server is closing.
            response = replace(response, headers=[*response.headers, (b"connection", b"close")])
        return route, response

    @staticmethod
    def _finish(
        request: Request | None, response: Response, method: str
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Status, headers and body to send: the ETag, 304 on a matching If-None-Match,
        and no body for HEAD (``content-length`` is left to the caller)."""
        headers = [(b"content-type", response.content_type)]
        body = response.body
        status = response.status
        if response.cache is not None:
            headers.append((b"cache-control", response.cache))
        if response.etag and status == 200:
            etag = response.etag_value or etag_of(body)
            headers.append((b"etag", etag))
            inm = request.headers.get(b"if-none-match") if request is not None else None
            if inm is not None and etag_matches(inm, etag):
                status = 304
                body = b""
                headers = [h for h in headers if h[0] != b"content-type"]
        headers.extend(response.headers)
        return status, headers, body

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        method = scope.get("method", "GET")
        request: Request | None = None
        try:
            request = Request.from_scope(scope)
        except ApiError as exc:
            route, response = "unmatched", exc.response()
        else:

            async def body() -> AsyncIterator[bytes]:
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise ApiError(400, "the client disconnected before the body ended")
                    yield message.get("body", b"")
                    if not message.get("more_body", False):
                        return

            uri_length = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
            route, response = await self._dispatch(request, uri_length, body)
        status, headers, content = self._finish(request, response, method)
        if status != 304:
            headers.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else content})
        self.metrics.observe(route, method, status, time.perf_counter() - started)

    # RSGI: granian's own interface, one call per response instead of two ASGI messages.

    def __rsgi_init__(self, loop: object) -> None:
        self.start()

    def __rsgi_del__(self, loop: object) -> None:
        self.stop()

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        if scope.proto != "http":
            return
        started = time.perf_counter()
        method: str = scope.method
        path: str = scope.path
        query: str = scope.query_string
        headers = {k.encode("latin-1"): v.encode("latin-1") for k, v in scope.headers.items()}
        request = Request(method, path, parse_query(query), headers)

        async def body() -> AsyncIterator[bytes]:
            async for chunk in protocol:
                yield chunk

        route, response = await self._dispatch(request, len(path) + len(query), body)
        status, out, content = self._finish(request, response, method)
        if method == "HEAD" and status != 304:
            out.append((b"content-length", str(len(content)).encode()))
            content = b""
        protocol.response_bytes(
            status, [(k.decode("latin-1"), v.decode("latin-1")) for k, v in out], content
        )
        self.metrics.observe(route, method, status, time.perf_counter() - started)


def create_app() -> LinerApp:
    """The application factory ``liner serve`` hands to the server."""
    from liner.config import Settings

    settings = Settings.from_env()
    return LinerApp(lambda: Runtime.open(settings))


__all__ = ["NO_STORE", "TEXT", "LinerApp", "create_app"]
