"""Ingesting creators' JSON files from disk (``liner ingest json``, ``liner demo``).

A file holds one release (it has ``tracks``) or one show (it has ``episodes`` or a
``feed_url``), or a list of them. Each document is applied on its own: one bad document
is reported and skipped, the others still land.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from liner.ingest.json.convert import JsonValidationError, release_from_json, show_from_json
from liner.ingest.records import Provenance
from liner.kit.errors import LinerError
from liner.models.base import utcnow
from liner.runtime import Runtime

MAX_FILE_BYTES = 64 * 1024 * 1024


def _documents(data: bytes) -> list[bytes]:
    value = orjson.loads(data)
    if isinstance(value, list):
        return [orjson.dumps(v) for v in value]
    return [data]


def _is_show(document: bytes) -> bool:
    value = orjson.loads(document)
    return isinstance(value, dict) and ("episodes" in value or "feed_url" in value)


def ingest_json_files(
    runtime: Runtime, files: Sequence[Path], owner: str
) -> Iterator[dict[str, Any]]:
    for path in files:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise LinerError(f"file is larger than {MAX_FILE_BYTES} bytes")
            documents = _documents(path.read_bytes())
        except (OSError, orjson.JSONDecodeError, LinerError) as exc:
            yield {"file": str(path), "status": "rejected", "problems": [{"message": str(exc)}]}
            continue
        for index, document in enumerate(documents):
            where = f"{path}" if len(documents) == 1 else f"{path}[{index}]"
            yield _ingest_one(runtime, where, document, owner)


def _ingest_one(runtime: Runtime, where: str, document: bytes, owner: str) -> dict[str, Any]:
    try:
        if _is_show(document):
            show, show_doc = show_from_json(document)
            provenance = Provenance("json", owner, where, show_doc.updated_at or utcnow())
            result = runtime.catalog.upsert_show(show, provenance)
        else:
            release, release_doc = release_from_json(document)
            provenance = Provenance("json", owner, where, release_doc.updated_at or utcnow())
            result = runtime.catalog.upsert_release(release, provenance)
    except JsonValidationError as exc:
        return {
            "file": where,
            "status": "rejected",
            "problems": [
                {"path": p.location, "code": p.code, "message": p.message} for p in exc.problems
            ],
        }
    except LinerError as exc:
        return {
            "file": where,
            "status": "rejected",
            "problems": [{"path": exc.location, "code": exc.code, "message": exc.message}],
        }
    return {
        "file": where,
        "status": result.status,
        "type": result.entity_type,
        "id": result.public_id,
        "changes": len(result.changed),
    }
