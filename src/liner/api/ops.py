"""Health, readiness and metrics endpoints."""

from __future__ import annotations

import asyncio

import orjson

from liner.api.http import NO_STORE, Request, Response
from liner.api.metrics import HttpMetrics
from liner.runtime import Runtime

PROMETHEUS = b"text/plain; version=0.0.4; charset=utf-8"


class OpsApi:
    def __init__(self, runtime: Runtime, metrics: HttpMetrics) -> None:
        self._runtime = runtime
        self._metrics = metrics

    async def healthz(self, request: Request) -> Response:
        return Response(200, b'{"status":"ok"}', cache=NO_STORE, etag=False)

    async def readyz(self, request: Request) -> Response:
        checks: dict[str, str] = {}
        ready = True
        try:
            await asyncio.wait_for(asyncio.to_thread(self._runtime.check_database), 2.0)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"failed: {type(exc).__name__}"
            ready = False
        if self._runtime.redis_store is not None:
            try:
                await asyncio.wait_for(asyncio.to_thread(self._runtime.check_redis), 2.0)
                checks["redis"] = "ok"
            except Exception as exc:
                # Reads fall back to SQL, so Redis being down degrades, not fails, readiness.
                checks["redis"] = f"degraded: {type(exc).__name__}"
        body = orjson.dumps({"status": "ready" if ready else "unavailable", "checks": checks})
        return Response(200 if ready else 503, body, cache=NO_STORE, etag=False)

    async def metrics(self, request: Request) -> Response:
        return Response(
            200, self._metrics.render(), content_type=PROMETHEUS, cache=NO_STORE, etag=False
        )
