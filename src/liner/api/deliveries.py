"""DDEX over HTTP: partners POST a message, then read what became of their deliveries.

* ``POST /v1/ingest/ddex``: one ERN message as the raw XML body; the key needs the scope
  ``ingest:ddex`` and its owner must be the message's sender (DPID), else 403.
* ``GET /v1/deliveries`` and ``GET /v1/deliveries/{id}``: the key owner's deliveries
  only (scope ``read:deliveries``), newest first, paged with ``limit`` and ``offset``.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

import orjson

from liner.accounts.keys import KeyOwner, authenticate
from liner.api.http import NO_STORE, ApiError, Request, Response
from liner.ingest.ddex.outcomes import MessageOutcome, Status
from liner.ingest.ddex.repository import DeliveryRepository
from liner.ingest.ddex.service import DdexIngester, Source, canonical_sender
from liner.kit.errors import InputError, PermissionDeniedError
from liner.kit.ids import is_public_id
from liner.runtime import Runtime

_XML_TYPES = (b"application/xml", b"text/xml", b"application/octet-stream")
_STATUSES = frozenset(str(s) for s in Status)


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(status, orjson.dumps(body), cache=NO_STORE, etag=False)


class DeliveriesApi:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._ingester = DdexIngester(runtime, write_acks=False)
        self._repository = DeliveryRepository(runtime.sessions)
        self._base = runtime.settings.public_url

    async def _authorise(self, request: Request, scope: str) -> KeyOwner:
        header = request.headers.get(b"authorization", b"")
        token = header[7:].decode("latin-1").strip() if header[:7].lower() == b"bearer " else ""
        if not token:
            raise ApiError(401, "an API key is required: Authorization: Bearer <key>")
        owner = await asyncio.to_thread(authenticate, self._runtime.sessions, token)
        if owner is None:
            raise ApiError(401, "invalid or revoked API key")
        if scope not in owner.scopes:
            raise ApiError(403, f"this API key lacks the scope {scope}")
        return owner

    def _document(self, outcome: MessageOutcome) -> dict[str, Any]:
        body = outcome.to_json()
        body.pop("replayed", None)
        body["href"] = f"{self._base}/v1/deliveries/{outcome.delivery_id}"
        body["type"] = "delivery"
        return body

    async def post_message(self, request: Request) -> Response:
        owner = await self._authorise(request, "ingest:ddex")
        content_type = request.headers.get(b"content-type", b"application/xml")
        if content_type.split(b";")[0].strip().lower() not in _XML_TYPES:
            raise ApiError(415, "send the ERN message as application/xml")
        if not request.body:
            raise ApiError(400, "the request has no body")

        def apply() -> MessageOutcome:
            return self._ingester.ingest_bytes(
                request.body,
                Source(label=None, transport="http"),
                expected_sender=owner.owner,
            )

        try:
            outcome = await asyncio.to_thread(apply)
        except PermissionDeniedError as exc:
            raise ApiError(403, exc.message) from None
        except InputError as exc:
            raise ApiError(
                422,
                exc.message,
                details=[{"code": exc.code, "message": exc.message, "path": exc.location}],
            ) from None
        if outcome.status is Status.APPLIED and not outcome.replayed:
            await asyncio.to_thread(self._runtime.project)
        body = self._document(outcome)
        if outcome.status is Status.REJECTED:
            return _json(422, body)
        return _json(200 if outcome.replayed else 201, body)

    async def list_deliveries(self, request: Request) -> Response:
        owner = await self._authorise(request, "read:deliveries")
        limit = self._int(request, "limit", 20, 1, 50)
        offset = self._int(request, "offset", 0, 0, 100_000)
        status = request.query.get("status") or None
        if status is not None and status not in _STATUSES:
            raise ApiError(400, f"status must be one of {', '.join(sorted(_STATUSES))}")
        sender = canonical_sender(owner.owner)
        items, total = await asyncio.to_thread(
            self._repository.list_for_sender, sender, limit=limit, offset=offset, status=status
        )

        def page(at: int) -> str:
            query = {"limit": str(limit), "offset": str(at)}
            if status is not None:
                query["status"] = status
            return f"{self._base}/v1/deliveries?{urlencode(query)}"

        return _json(
            200,
            {
                "href": page(offset),
                "items": [self._document(i) for i in items],
                "limit": limit,
                "offset": offset,
                "total": total,
                "next": page(offset + limit) if offset + limit < total else None,
                "previous": page(max(0, offset - limit)) if offset > 0 else None,
            },
        )

    async def get_delivery(self, request: Request, delivery_id: str) -> Response:
        owner = await self._authorise(request, "read:deliveries")
        if not is_public_id(delivery_id):
            raise ApiError(400, "invalid delivery id")
        sender = canonical_sender(owner.owner)
        found = await asyncio.to_thread(self._repository.get_for_sender, sender, delivery_id)
        if found is None:
            raise ApiError(404, "non existing id")
        return _json(200, self._document(found))

    @staticmethod
    def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
        raw = request.query.get(name)
        if raw is None or raw == "":
            return default
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise ApiError(400, f"{name} must be an integer from {low} to {high}")
        return int(raw)
