"""What the account-facing endpoints share: the API-key check, uncached JSON answers and
pages of an owner's own items (deliveries, feeds)."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

import orjson

from liner.accounts.keys import KeyOwner, authenticate
from liner.api.http import NO_STORE, ApiError, Request, Response
from liner.runtime import Runtime


async def authorise(runtime: Runtime, request: Request, scope: str) -> KeyOwner:
    """The owner of the request's bearer key: 401 without a valid key, 403 when the key
    lacks ``scope``."""
    header = request.headers.get(b"authorization", b"")
    token = header[7:].decode("latin-1").strip() if header[:7].lower() == b"bearer " else ""
    if not token:
        raise ApiError(401, "an API key is required: Authorization: Bearer <key>")
    owner = await asyncio.to_thread(authenticate, runtime.sessions, token)
    if owner is None:
        raise ApiError(401, "invalid or revoked API key")
    if scope not in owner.scopes:
        raise ApiError(403, f"this API key lacks the scope {scope}")
    return owner


def json_response(status: int, body: dict[str, Any]) -> Response:
    """A JSON answer about an account's own data: never cached, no ETag."""
    return Response(status, orjson.dumps(body), cache=NO_STORE, etag=False)


def bounded_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 9 or not low <= int(raw) <= high:
        raise ApiError(400, f"{name} must be an integer from {low} to {high}")
    return int(raw)


def status_filter(request: Request, statuses: frozenset[str]) -> str | None:
    status = request.query.get("status") or None
    if status is not None and status not in statuses:
        raise ApiError(400, f"status must be one of {', '.join(sorted(statuses))}")
    return status


def owner_page(
    url: str,
    items: list[dict[str, Any]],
    *,
    total: int,
    limit: int,
    offset: int,
    status: str | None,
) -> dict[str, Any]:
    """A paging object over an owner's items, its links keeping the ``status`` filter."""

    def page(at: int) -> str:
        query = {"limit": str(limit), "offset": str(at)}
        if status is not None:
            query["status"] = status
        return f"{url}?{urlencode(query)}"

    return {
        "href": page(offset),
        "items": items,
        "limit": limit,
        "offset": offset,
        "total": total,
        "next": page(offset + limit) if offset + limit < total else None,
        "previous": page(max(0, offset - limit)) if offset > 0 else None,
    }
