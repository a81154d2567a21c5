"""Write endpoints: creators' JSON releases and shows, behind scoped API keys."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson

from liner.accounts.keys import KeyOwner
from liner.api.accounts import authorise
from liner.api.http import NO_STORE, ApiError, Request, Response
from liner.catalog.releases import WriteResult
from liner.ingest.json.convert import JsonValidationError, release_from_json, show_from_json
from liner.ingest.records import Provenance
from liner.kit.errors import ConflictError, InputError
from liner.models.base import utcnow
from liner.runtime import Runtime


class IngestApi:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def _write(
        self, request: Request, scope: str, apply: Callable[[KeyOwner], WriteResult]
    ) -> Response:
        owner = await authorise(self._runtime, request, scope)
        content_type = request.headers.get(b"content-type", b"application/json")
        if not content_type.split(b";")[0].strip().endswith(b"json"):
            raise ApiError(415, "send the document as application/json")
        await request.read_body()
        try:
            result = await asyncio.to_thread(apply, owner)
        except JsonValidationError as exc:
            raise ApiError(
                422,
                exc.message,
                details=[
                    {"path": p.location, "code": p.code, "message": p.message} for p in exc.problems
                ],
            ) from None
        except ConflictError as exc:
            raise ApiError(409, exc.message) from None
        except InputError as exc:
            raise ApiError(422, exc.message) from None
        await asyncio.to_thread(self._runtime.project)
        body: dict[str, Any] = {
            "status": result.status,
            "type": result.entity_type,
            "id": result.public_id,
            "changes": [{"type": t, "id": i, "operation": o} for t, i, o in result.changed],
        }
        status = 201 if result.status == "created" else 200
        return Response(status, orjson.dumps(body), cache=NO_STORE, etag=False)

    def _provenance(self, owner: KeyOwner, kind: str, reference: str, at: Any) -> Provenance:
        return Provenance(
            kind=kind,
            sender=owner.owner,
            reference=reference,
            created_at=at or utcnow(),
            extra={"api_key": str(owner.key_id)},
        )

    async def post_release(self, request: Request) -> Response:
        def apply(owner: KeyOwner) -> WriteResult:
            record, doc = release_from_json(request.body)
            provenance = self._provenance(owner, "json", "POST /v1/ingest/releases", doc.updated_at)
            return self._runtime.catalog.upsert_release(record, provenance)

        return await self._write(request, "ingest:releases", apply)

    async def post_show(self, request: Request) -> Response:
        def apply(owner: KeyOwner) -> WriteResult:
            record, doc = show_from_json(request.body)
            provenance = self._provenance(owner, "json", "POST /v1/ingest/shows", doc.updated_at)
            return self._runtime.catalog.upsert_show(record, provenance)

        return await self._write(request, "ingest:shows", apply)
