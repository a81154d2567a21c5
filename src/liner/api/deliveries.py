"""DDEX over HTTP: partners POST a message, then read what became of their deliveries.

* ``POST /v1/ingest/ddex``: one ERN message as the raw XML body; the key needs the scope
  ``ingest:ddex`` and its owner must be the message's sender (DPID), else 403.
* ``GET /v1/deliveries`` and ``GET /v1/deliveries/{id}``: the key owner's deliveries
  only (scope ``read:deliveries``), newest first, paged with ``limit`` and ``offset``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from liner.api.accounts import authorise, bounded_int, json_response, owner_page, status_filter
from liner.api.http import ApiError, Request, Response
from liner.ingest.ddex.outcomes import MessageOutcome, Status
from liner.ingest.ddex.reading import Source, canonical_sender
from liner.ingest.ddex.repository import DeliveryRepository
from liner.ingest.ddex.service import DdexIngester
from liner.kit.errors import InputError, PermissionDeniedError
from liner.kit.ids import is_public_id
from liner.runtime import Runtime

_XML_TYPES = (b"application/xml", b"text/xml", b"application/octet-stream")
_STATUSES = frozenset(str(s) for s in Status)


class DeliveriesApi:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._ingester = DdexIngester(runtime, write_acks=False)
        self._repository = DeliveryRepository(runtime.sessions)
        self._base = runtime.settings.public_url

    def _document(self, outcome: MessageOutcome) -> dict[str, Any]:
        body = outcome.to_json()
        body.pop("replayed", None)
        body["href"] = f"{self._base}/v1/deliveries/{outcome.delivery_id}"
        body["type"] = "delivery"
        return body

    async def post_message(self, request: Request) -> Response:
        owner = await authorise(self._runtime, request, "ingest:ddex")
        content_type = request.headers.get(b"content-type", b"application/xml")
        if content_type.split(b";")[0].strip().lower() not in _XML_TYPES:
            raise ApiError(415, "send the ERN message as application/xml")
        data = await request.read_body()
        if not data:
            raise ApiError(400, "the request has no body")

        def apply() -> MessageOutcome:
            return self._ingester.ingest_bytes(
                data,
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
            return json_response(422, body)
        return json_response(200 if outcome.replayed else 201, body)

    async def list_deliveries(self, request: Request) -> Response:
        owner = await authorise(self._runtime, request, "read:deliveries")
        limit = bounded_int(request, "limit", 20, 1, 50)
        offset = bounded_int(request, "offset", 0, 0, 100_000)
        status = status_filter(request, _STATUSES)
        sender = canonical_sender(owner.owner)
        items, total = await asyncio.to_thread(
            self._repository.list_for_sender, sender, limit=limit, offset=offset, status=status
        )
        page = owner_page(
            f"{self._base}/v1/deliveries",
            [self._document(i) for i in items],
            total=total,
            limit=limit,
            offset=offset,
            status=status,
        )
        return json_response(200, page)

    async def get_delivery(self, request: Request, delivery_id: str) -> Response:
        owner = await authorise(self._runtime, request, "read:deliveries")
        if not is_public_id(delivery_id):
            raise ApiError(400, "invalid delivery id")
        sender = canonical_sender(owner.owner)
        found = await asyncio.to_thread(self._repository.get_for_sender, sender, delivery_id)
        if found is None:
            raise ApiError(404, "non existing id")
        return json_response(200, self._document(found))
