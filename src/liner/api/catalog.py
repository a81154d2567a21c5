"""Read handlers for ``/v1``: tracks, albums, artists, shows, episodes, markets, changes.

Handlers only look documents up by key and concatenate their pre-serialised pieces.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from urllib.parse import quote

import orjson
from sqlalchemy import Engine, select

from liner.api import params
from liner.api.http import NO_STORE, ApiError, Request, Response
from liner.catalog.markets import MARKETS
from liner.catalog.serving import (
    MISSING,
    AlbumEntry,
    CatalogReader,
    DiscographyEntry,
    Entry,
    IdsEntry,
    RedirectEntry,
    ShowEntry,
    StaticEntry,
    TrackItem,
    etag_of,
)
from liner.catalog.shows import sha
from liner.kit.ids import uri
from liner.models import OutboxRow
from liner.quality.identifiers import CheckDigitError, normalise_icpn, normalise_isrc

ALBUM_GROUPS = ("album", "single", "appears_on", "compilation")
MARKETS_BODY = orjson.dumps({"markets": list(MARKETS)})
NULL_RENDERING = (b"null", b"null")


class CatalogApi:
    def __init__(self, reader: CatalogReader, engine: Engine, public_url: str) -> None:
        self.reader = reader
        self.engine = engine
        self.base = public_url

    async def entries(self, keys: Sequence[str]) -> list[Entry | None]:
        """Entries for keys, from the cache when every key is there, else from the store
        on a worker thread. A merged id answers with the entity it was merged into."""
        cached = self.reader.cached
        hits = [cached(key) for key in keys]
        out: list[Entry | None]
        if None in hits:
            loaded = await asyncio.to_thread(self.reader.load, keys)
            out = [loaded[k] for k in keys]
        else:
            out = [None if hit is MISSING else hit for hit in hits]  # type: ignore[misc]
        if any(found.__class__ is RedirectEntry for found in out):
            for index, found in enumerate(out):
                if isinstance(found, RedirectEntry):
                    out[index] = await self._redirected(keys[index], found)
        return out

    async def entry(self, key: str) -> Entry | None:
        found = await self._stored(key)
        if isinstance(found, RedirectEntry):
            return await self._redirected(key, found)
        return found

    async def _stored(self, key: str) -> Entry | None:
        """The entry stored under ``key``, from the cache or, on a worker thread, the store."""
        hit = self.reader.cached(key)
        if hit is None:
            return (await asyncio.to_thread(self.reader.load, [key]))[key]
        return None if hit is MISSING else hit  # type: ignore[return-value]

    async def _redirected(self, key: str, redirect: RedirectEntry) -> Entry | None:
        """The entry under the redirect's target id (merges keep redirects one hop long)."""
        found = await self._stored(f"{key.partition(':')[0]}:{redirect.to}")
        return None if isinstance(found, RedirectEntry) else found

    # tracks

    def _linked(self, requested_id: str) -> bytes:
        return orjson.dumps(
            {
                "external_urls": {"liner": f"{self.base}/track/{requested_id}"},
                "href": f"{self.base}/v1/tracks/{requested_id}",
                "id": requested_id,
                "type": "track",
                "uri": uri("track", requested_id),
            }
        )

    async def track_rendering(
        self, track_id: str, item: TrackItem, market: str | None
    ) -> tuple[bytes, bytes]:
        """(body, etag) of a track as served in ``market``, relinked where it has to be."""
        if market is None or not item.relinked_in(market):
            return item.render(market)
        linked = await self.entry(f"track:{item.links[market]}")
        if not isinstance(linked, TrackItem) or market not in linked.markets.markets:
            return item.render(market)
        body = linked.prefix + b',"is_playable":true,"linked_from":' + self._linked(track_id)
        body += b"}"
        return body, etag_of(body)

    async def get_track(self, request: Request, raw_id: str) -> Response:
        track_id = params.entity_id(raw_id, "track")
        market = params.market(request)
        item = await self.entry(f"track:{track_id}")
        if not isinstance(item, TrackItem):
            raise ApiError(404, "non existing id")
        body, etag = await self.track_rendering(track_id, item, market)
        return Response(200, body, etag_value=etag)

    async def list_tracks(self, request: Request) -> Response:
        market = params.market(request)
        if "isrc" in request.query and "ids" not in request.query:
            try:
                isrc = normalise_isrc(request.query["isrc"])
            except Exception:
                raise ApiError(400, "invalid isrc") from None
            lookup = await self.entry(f"isrc:{isrc}")
            # As many as ``ids`` may ask for: the oldest releases of a recording first.
            track_ids = list(lookup.ids[:50]) if isinstance(lookup, IdsEntry) else []
        else:
            track_ids = params.ids(request, "track", 50)
        items = await self.entries(["track:" + t for t in track_ids])
        # One list of pieces (separators included) joined once: the body is copied a
        # single time, which matters at fifty tracks.
        pieces = [b'{"tracks":[']
        etags = [b"tracks:"]
        for track_id, item in zip(track_ids, items, strict=True):
            if not isinstance(item, TrackItem):
                body, etag = NULL_RENDERING
            elif not item.relinked_in(market):
                body, etag = item.render(market)
            else:
                body, etag = await self.track_rendering(track_id, item, market)
            pieces += (body, b",")
            etags.append(etag)
        pieces[-1] = b"]}" if len(pieces) > 1 else b'{"tracks":[]}'
        # The list is a pure function of its items, so its ETag is the hash of theirs: far
        # cheaper than hashing the whole body of fifty tracks.
        return Response(200, b"".join(pieces), etag_value=etag_of(b",".join(etags)))

    # albums

    def paging(
        self,
        path: str,
        items: Sequence[bytes],
        total: int,
        limit: int,
        offset: int,
        extra: str = "",
    ) -> bytes:
        href = f"{self.base}{path}?offset={offset}&limit={limit}{extra}"
        next_href = (
            f"{self.base}{path}?offset={offset + limit}&limit={limit}{extra}"
            if offset + limit < total
            else None
        )
        previous = (
            f"{self.base}{path}?offset={max(offset - limit, 0)}&limit={limit}{extra}"
            if offset > 0
            else None
        )
        head = orjson.dumps(
            {
                "href": href,
                "limit": limit,
                "next": next_href,
                "offset": offset,
                "previous": previous,
                "total": total,
            }
        )
        return head[:-1] + b',"items":[' + b",".join(items) + b"]}"

    def _album_body(self, album_id: str, entry: AlbumEntry, market: str | None) -> bytes:
        tracks = entry.tracks[:50]
        paging = self.paging(
            f"/v1/albums/{album_id}/tracks",
            [t.body(market) for t in tracks],
            len(entry.tracks),
            50,
            0,
            f"&market={market}" if market else "",
        )
        restriction = b""
        if market is not None and market not in entry.markets.markets:
            restriction = b',"restrictions":{"reason":"market"}'
        return entry.prefix + restriction + b',"tracks":' + paging + b"}"

    async def get_album(self, request: Request, raw_id: str) -> Response:
        album_id = params.entity_id(raw_id, "album")
        market = params.market(request)
        entry = await self.entry(f"album:{album_id}")
        if not isinstance(entry, AlbumEntry):
            raise ApiError(404, "non existing id")
        return Response(200, self._album_body(album_id, entry, market))

    async def list_albums(self, request: Request) -> Response:
        market = params.market(request)
        if "upc" in request.query and "ids" not in request.query:
            try:
                upc = normalise_icpn(request.query["upc"])
            except CheckDigitError as exc:
                # Real deliveries carry UPCs with wrong check digits; the catalog keeps
                # them (with a warning), so they must be found as delivered.
                upc = exc.value
            except Exception:
                raise ApiError(400, "invalid upc") from None
            lookup = await self.entry(f"upc:{upc}")
            album_ids = list(lookup.ids[:20]) if isinstance(lookup, IdsEntry) else []
        else:
            album_ids = params.ids(request, "album", 20)
        entries = await self.entries([f"album:{a}" for a in album_ids])
        parts = [
            self._album_body(a, e, market) if isinstance(e, AlbumEntry) else b"null"
            for a, e in zip(album_ids, entries, strict=True)
        ]
        return Response(200, b'{"albums":[' + b",".join(parts) + b"]}")

    async def album_tracks(self, request: Request, raw_id: str) -> Response:
        album_id = params.entity_id(raw_id, "album")
        market = params.market(request)
        limit = params.limit(request)
        offset = params.offset(request)
        entry = await self.entry(f"album:{album_id}")
        if not isinstance(entry, AlbumEntry):
            raise ApiError(404, "non existing id")
        page = entry.tracks[offset : offset + limit]
        body = self.paging(
            f"/v1/albums/{album_id}/tracks",
            [t.body(market) for t in page],
            len(entry.tracks),
            limit,
            offset,
            f"&market={market}" if market else "",
        )
        return Response(200, body)

    # artists

    async def get_artist(self, request: Request, raw_id: str) -> Response:
        artist_id = params.entity_id(raw_id, "artist")
        entry = await self.entry(f"artist:{artist_id}")
        if not isinstance(entry, StaticEntry):
            raise ApiError(404, "non existing id")
        return Response(200, entry.body)

    async def list_artists(self, request: Request) -> Response:
        artist_ids = params.ids(request, "artist", 50)
        entries = await self.entries([f"artist:{a}" for a in artist_ids])
        parts = [e.body if isinstance(e, StaticEntry) else b"null" for e in entries]
        return Response(200, b'{"artists":[' + b",".join(parts) + b"]}")

    async def artist_albums(self, request: Request, raw_id: str) -> Response:
        artist_id = params.entity_id(raw_id, "artist")
        # ``country`` is this parameter's older name, which clients such as spotipy still send.
        market = params.market(request, "market" if "market" in request.query else "country")
        limit = params.limit(request)
        offset = params.offset(request)
        raw_groups = request.query.get("include_groups", "")
        groups = {g.strip() for g in raw_groups.split(",") if g.strip()} or set(ALBUM_GROUPS)
        unknown = groups - set(ALBUM_GROUPS)
        if unknown:
            raise ApiError(400, f"invalid include_groups: {', '.join(sorted(unknown))}")
        artist = await self.entry(f"artist:{artist_id}")
        if not isinstance(artist, StaticEntry):
            raise ApiError(404, "non existing id")
        listing = await self.entry(f"artist_albums:{artist_id}")
        items = listing.items if isinstance(listing, DiscographyEntry) else ()
        chosen = [
            i.body for i in items if i.group in groups and (market is None or market in i.markets)
        ]
        extra = ""
        if raw_groups:
            extra += f"&include_groups={quote(','.join(sorted(groups)))}"
        if market:
            extra += f"&market={market}"
        body = self.paging(
            f"/v1/artists/{artist_id}/albums",
            chosen[offset : offset + limit],
            len(chosen),
            limit,
            offset,
            extra,
        )
        return Response(200, body)

    # shows and episodes

    def _show_body(self, show_id: str, entry: ShowEntry) -> bytes:
        paging = self.paging(
            f"/v1/shows/{show_id}/episodes", entry.episodes[:50], len(entry.episodes), 50, 0
        )
        return entry.prefix + b',"episodes":' + paging + b"}"

    async def get_show(self, request: Request, raw_id: str) -> Response:
        show_id = params.entity_id(raw_id, "show")
        params.market(request)
        entry = await self.entry(f"show:{show_id}")
        if not isinstance(entry, ShowEntry):
            raise ApiError(404, "non existing id")
        return Response(200, self._show_body(show_id, entry))

    async def list_shows(self, request: Request) -> Response:
        params.market(request)
        query = request.query
        if "ids" not in query and ("feed_url" in query or "guid" in query):
            if "feed_url" in query:
                key = f"feed:{sha(query['feed_url'].strip())}"
            else:
                key = f"guid:{query['guid'].strip().lower()}"
            # No stored key holds a NUL, and PostgreSQL rejects one in a query parameter.
            lookup = await self.entry(key) if "\x00" not in key else None
            show_ids = list(lookup.ids) if isinstance(lookup, IdsEntry) else []
        else:
            show_ids = params.ids(request, "show", 50)
        entries = await self.entries([f"show:{s}" for s in show_ids])
        parts = [
            self._show_body(s, e) if isinstance(e, ShowEntry) else b"null"
            for s, e in zip(show_ids, entries, strict=True)
        ]
        return Response(200, b'{"shows":[' + b",".join(parts) + b"]}")

    async def show_episodes(self, request: Request, raw_id: str) -> Response:
        show_id = params.entity_id(raw_id, "show")
        params.market(request)
        limit = params.limit(request)
        offset = params.offset(request)
        entry = await self.entry(f"show:{show_id}")
        if not isinstance(entry, ShowEntry):
            raise ApiError(404, "non existing id")
        body = self.paging(
            f"/v1/shows/{show_id}/episodes",
            entry.episodes[offset : offset + limit],
            len(entry.episodes),
            limit,
            offset,
        )
        return Response(200, body)

    async def get_episode(self, request: Request, raw_id: str) -> Response:
        episode_id = params.entity_id(raw_id, "episode")
        params.market(request)
        entry = await self.entry(f"episode:{episode_id}")
        if not isinstance(entry, StaticEntry):
            raise ApiError(404, "non existing id")
        return Response(200, entry.body)

    async def list_episodes(self, request: Request) -> Response:
        params.market(request)
        episode_ids = params.ids(request, "episode", 50)
        entries = await self.entries([f"episode:{e}" for e in episode_ids])
        parts = [e.body if isinstance(e, StaticEntry) else b"null" for e in entries]
        return Response(200, b'{"episodes":[' + b",".join(parts) + b"]}")

    # markets and changes

    async def markets(self, request: Request) -> Response:
        return Response(200, MARKETS_BODY)

    async def changes(self, request: Request) -> Response:
        raw = request.query.get("since", "0") or "0"
        if not raw.isdigit() or len(raw) > 18:
            raise ApiError(400, "invalid since: must be a cursor from an earlier response")
        since = int(raw)
        limit = params.integer(request, "limit", 50, low=1, high=50)
        rows = await asyncio.to_thread(self._changes, since, limit)
        cursor = rows[-1][0] if rows else since
        body = orjson.dumps(
            {
                "changes": [
                    {"cursor": str(i), "type": t, "id": p, "revision": r, "operation": o}
                    for i, t, p, r, o in rows
                ],
                "next_cursor": str(cursor),
                "next": f"{self.base}/v1/changes?since={cursor}&limit={limit}",
                "has_more": len(rows) == limit,
            }
        )
        return Response(200, body, cache=NO_STORE)

    def _changes(self, since: int, limit: int) -> list[tuple[int, str, str, int, str]]:
        with self.engine.connect().execution_options(readonly=True) as connection:
            rows = connection.execute(
                select(
                    OutboxRow.id,
                    OutboxRow.entity_type,
                    OutboxRow.public_id,
                    OutboxRow.revision,
                    OutboxRow.operation,
                )
                .where(OutboxRow.id > since)
                .order_by(OutboxRow.id)
                .limit(limit)
            ).all()
        return [(i, t, p, r, o) for i, t, p, r, o in rows]
