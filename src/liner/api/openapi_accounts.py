"""The OpenAPI operations of the account-facing endpoints: partners' DDEX deliveries and
podcasters' feeds. Every one needs an API key; the objects are Liner's own."""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/ErrorObject"}
OBJECT: dict[str, Any] = {"type": "object"}
PAGE: dict[str, Any] = {
    "type": "object",
    "required": ["href", "items", "limit", "offset", "total", "next", "previous"],
    "properties": {
        "href": {"type": "string"},
        "items": {"type": "array", "items": OBJECT},
        "limit": {"type": "integer"},
        "offset": {"type": "integer"},
        "total": {"type": "integer"},
        "next": {"type": ["string", "null"]},
        "previous": {"type": ["string", "null"]},
    },
}


def _errors(*codes: tuple[int, str]) -> dict[str, Any]:
    common = (
        (400, "A malformed id or parameter."),
        (401, "No, an invalid or a revoked API key."),
        (403, "The key lacks the scope, or writes as another sender."),
        (413, "The request body is too large."),
        (414, "The request URI is too long."),
    )
    return {
        str(code): {"description": text, "content": {"application/json": {"schema": ERROR}}}
        for code, text in (*common, *codes)
    }


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


_PAGING = [
    _query("limit", "Items per page, 1 to 50 (default 20).", {"type": "string"}),
    _query("offset", "Where the page starts (default 0).", {"type": "string"}),
]
_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The id Liner gave it.",
    "schema": {"type": "string"},
}


def _listing(summary: str, scope: str, statuses: list[str]) -> dict[str, Any]:
    status = _query(
        "status", f"Only items with this status: {', '.join(statuses)}.", {"type": "string"}
    )
    return {
        "get": {
            "summary": summary,
            "tags": ["accounts"],
            "security": [{"apiKey": [scope]}],
            "parameters": [*_PAGING, status],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": PAGE}}},
                **_errors(),
            },
        }
    }


def _one(summary: str, scope: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "tags": ["accounts"],
            "security": [{"apiKey": [scope]}],
            "parameters": [_ID],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": OBJECT}}},
                **_errors((404, "No such id among this key owner's.")),
            },
        }
    }


def _post(summary: str, scope: str, media_type: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = {"content": {"application/json": {"schema": OBJECT}}}
    return {
        "post": {
            "summary": summary,
            "tags": ["ingest"],
            "security": [{"apiKey": [scope]}],
            "requestBody": {"required": True, "content": {media_type: {"schema": body}}},
            "responses": {
                "200": {"description": "Known already: its outcome.", **answer},
                "201": {"description": "Accepted: its outcome.", **answer},
                **_errors(
                    (409, "Another account owns it."),
                    (415, f"The body is not {media_type}."),
                    (422, "Refused: every problem, with where it was found."),
                ),
            },
        }
    }


def account_paths() -> dict[str, Any]:
    return {
        "/v1/ingest/ddex": _post(
            "Deliver one DDEX ERN message (the key's owner must be its sender DPID)",
            "ingest:ddex",
            "application/xml",
            {"type": "string"},
        ),
        "/v1/deliveries": _listing(
            "The key owner's DDEX deliveries, newest first",
            "read:deliveries",
            ["applied", "rejected", "skipped", "superseded", "unchanged"],
        ),
        "/v1/deliveries/{id}": _one(
            "One delivery: status, release ids, problems", "read:deliveries"
        ),
        "/v1/ingest/feeds": _post(
            "Register a podcast feed and sync it once",
            "ingest:feeds",
            "application/json",
            {"type": "object", "required": ["url"], "properties": {"url": {"type": "string"}}},
        ),
        "/v1/feeds": _listing(
            "The key owner's feeds with their health",
            "ingest:feeds",
            ["active", "erroring", "dead", "moved"],
        ),
        "/v1/feeds/{id}": _one(
            "One feed: health, last and next fetch, errors, problems, recent fetches",
            "ingest:feeds",
        ),
    }
