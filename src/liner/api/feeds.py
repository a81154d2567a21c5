"""Podcast feeds over HTTP: register a feed, then watch how its syncs go.

* ``POST /v1/ingest/feeds`` with ``{"url": "..."}``: the key needs the scope
  ``ingest:feeds``. Registers the feed for the key's owner (201), or finds it when that
  owner registered it before (200), and syncs it once before answering. A URL that is
  never fetched (another scheme, credentials, a forbidden address) is 422; a feed
  another account registered is 409.
* ``GET /v1/feeds`` and ``GET /v1/feeds/{id}``: the key owner's feeds only (any key of
  that owner with ``ingest:feeds``), with their health, last and next fetch, errors and
  problems; anyone else's feed is 404.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from liner.api.accounts import authorise, bounded_int, json_response, owner_page, status_filter
from liner.api.http import ApiError, Request, Response
from liner.ingest.rss.repository import FeedRepository
from liner.ingest.rss.sync import FeedSyncer, SyncOutcome
from liner.kit.errors import ConflictError, InputError
from liner.kit.ids import is_public_id
from liner.models import Feed, FeedFetch
from liner.runtime import Runtime

SCOPE = "ingest:feeds"
STATUSES = frozenset({"active", "erroring", "dead", "moved"})
_JSON_TYPES = (b"application/json", b"")


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


class FeedsApi:
    def __init__(self, runtime: Runtime, syncer: FeedSyncer | None = None) -> None:
        self._runtime = runtime
        self._syncer = syncer or FeedSyncer.for_runtime(runtime)
        self._repository = FeedRepository(runtime.sessions)
        self._base = runtime.settings.public_url

    def document(self, feed: Feed, history: list[FeedFetch] | None = None) -> dict[str, Any]:
        """The feed as the API shows it to its owner."""
        show = None
        if feed.show_id is not None:
            show = {
                "id": feed.show_id,
                "href": f"{self._base}/v1/shows/{feed.show_id}",
                "uri": f"liner:show:{feed.show_id}",
            }
        body: dict[str, Any] = {
            "id": feed.public_id,
            "type": "feed",
            "href": f"{self._base}/v1/feeds/{feed.public_id}",
            "url": feed.url if feed.kind == "http" else None,
            "kind": feed.kind,
            "status": feed.status,
            "show": show,
            "moved_to": feed.moved_to,
            "previous_urls": list(feed.previous_urls),
            "last_fetch": {
                "at": _iso(feed.last_fetch_at),
                "outcome": feed.last_outcome,
                "http_status": feed.last_http_status,
                "added": feed.last_added,
                "updated": feed.last_updated,
                "removed": feed.last_removed,
            },
            "last_success_at": _iso(feed.last_success_at),
            "next_fetch_at": _iso(feed.next_fetch_at),
            "errors": {
                "consecutive": feed.consecutive_errors,
                "total": feed.error_count,
                "last": (
                    {
                        "code": feed.last_error_code,
                        "message": feed.last_error,
                        "at": _iso(feed.last_error_at),
                    }
                    if feed.last_error_code
                    else None
                ),
                "retry_after_s": feed.retry_after_s,
            },
            "problems": list(feed.last_problems),
            "publish_interval_s": feed.publish_interval_s,
            "created_at": _iso(feed.created_at),
        }
        if history is not None:
            body["history"] = [
                {
                    "at": _iso(h.started_at),
                    "outcome": h.outcome,
                    "http_status": h.http_status,
                    "elapsed_ms": h.elapsed_ms,
                    "bytes": h.body_bytes,
                    "added": h.added,
                    "updated": h.updated,
                    "removed": h.removed,
                    "error": {"code": h.error_code, "message": h.error} if h.error_code else None,
                }
                for h in history
            ]
        return body

    async def post_feed(self, request: Request) -> Response:
        owner = await authorise(self._runtime, request, SCOPE)
        content_type = request.headers.get(b"content-type", b"")
        if content_type.split(b";")[0].strip().lower() not in _JSON_TYPES:
            raise ApiError(415, 'send {"url": "..."} as application/json')
        data = await request.read_body()
        try:
            payload = orjson.loads(data) if data else None
        except orjson.JSONDecodeError:
            raise ApiError(400, "the request body is not valid JSON") from None
        url = payload.get("url") if isinstance(payload, dict) else None
        if not isinstance(url, str) or not url.strip() or len(url) > 4096:
            raise ApiError(400, 'the body must be a JSON object {"url": "<feed URL>"}')

        def register_and_sync() -> tuple[Feed, bool, SyncOutcome]:
            feed, created = self._syncer.register(url, owner.owner)
            return feed, created, self._syncer.sync(feed)

        try:
            feed, created, outcome = await asyncio.to_thread(register_and_sync)
        except ConflictError as exc:
            raise ApiError(409, exc.message) from None
        except InputError as exc:
            raise ApiError(
                422,
                exc.message,
                details=[{"code": exc.code, "message": exc.message, "path": "url"}],
            ) from None
        if outcome.changed:
            await asyncio.to_thread(self._runtime.project)
        found = await asyncio.to_thread(self._repository.get, feed.public_id)
        body = self.document(found or feed)
        body["sync"] = outcome.to_json()
        return json_response(201 if created else 200, body)

    async def list_feeds(self, request: Request) -> Response:
        owner = await authorise(self._runtime, request, SCOPE)
        limit = bounded_int(request, "limit", 20, 1, 50)
        offset = bounded_int(request, "offset", 0, 0, 100_000)
        status = status_filter(request, STATUSES)
        items, total = await asyncio.to_thread(
            self._repository.list_for_owner,
            owner.owner,
            limit=limit,
            offset=offset,
            status=status,
        )
        page = owner_page(
            f"{self._base}/v1/feeds",
            [self.document(i) for i in items],
            total=total,
            limit=limit,
            offset=offset,
            status=status,
        )
        return json_response(200, page)

    async def get_feed(self, request: Request, feed_id: str) -> Response:
        owner = await authorise(self._runtime, request, SCOPE)
        if not is_public_id(feed_id):
            raise ApiError(400, "invalid feed id")
        feed = await asyncio.to_thread(self._repository.get_for_owner, owner.owner, feed_id)
        if feed is None:
            raise ApiError(404, "non existing id")
        history = await asyncio.to_thread(self._repository.history, feed.id)
        return json_response(200, self.document(feed, history))
