"""The OpenAPI 3.1 document of the API as served, and a browsable page of it.

Object schemas follow the Spotify Web API's (TrackObject, AlbumObject, ArtistObject,
ShowObject, EpisodeObject, their simplified forms, PagingObject, ErrorObject), so that
a client generated for that API reads this one.
"""

from __future__ import annotations

import html
from typing import Any

import orjson

from liner import __version__
from liner.api.http import Request, Response
from liner.api.openapi_accounts import account_paths
from liner.catalog.markets import MARKETS
from liner.runtime import Runtime


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
STRINGS = {"type": "array", "items": STRING}
URLS = {"type": "object", "additionalProperties": STRING}


def _linked(kind: str) -> dict[str, Any]:
    return {
        "external_urls": URLS,
        "href": STRING,
        "id": STRING,
        "type": {"type": "string", "enum": [kind]},
        "uri": STRING,
    }


def _paging(item: str) -> dict[str, Any]:
    return _obj(
        ["href", "items", "limit", "next", "offset", "previous", "total"],
        {
            "href": STRING,
            "items": {"type": "array", "items": _ref(item)},
            "limit": INTEGER,
            "next": NULLABLE_STRING,
            "offset": INTEGER,
            "previous": NULLABLE_STRING,
            "total": INTEGER,
        },
    )


def _nullable_list(item: str) -> dict[str, Any]:
    return {"type": "array", "items": {"anyOf": [_ref(item), {"type": "null"}]}}


RESTRICTIONS = _obj(
    ["reason"], {"reason": {"type": "string", "enum": ["market", "product", "explicit"]}}
)
IMAGES = {
    "type": "array",
    "items": _obj(
        ["url", "height", "width"],
        {
            "url": STRING,
            "height": {"type": ["integer", "null"]},
            "width": {"type": ["integer", "null"]},
        },
    ),
}

SIMPLE_TRACK_PROPS = {
    "artists": {"type": "array", "items": _ref("SimplifiedArtistObject")},
    "available_markets": STRINGS,
    "disc_number": INTEGER,
    "duration_ms": INTEGER,
    "explicit": BOOLEAN,
    "is_playable": BOOLEAN,
    "linked_from": _obj(["id"], _linked("track")),
    "restrictions": RESTRICTIONS,
    "name": STRING,
    "preview_url": NULLABLE_STRING,
    "track_number": INTEGER,
    "is_local": BOOLEAN,
    **_linked("track"),
}
SIMPLE_TRACK_REQUIRED = [
    "artists", "disc_number", "duration_ms", "explicit", "external_urls", "href", "id",
    "name", "track_number", "type", "uri", "is_local",
]  # fmt: skip

ALBUM_BASE_REQUIRED = [
    "album_type", "total_tracks", "available_markets", "external_urls", "href", "id",
    "images", "name", "release_date", "release_date_precision", "type", "uri", "artists",
]  # fmt: skip
ALBUM_BASE_PROPS = {
    "album_type": {"type": "string", "enum": ["album", "single", "compilation"]},
    "total_tracks": INTEGER,
    "available_markets": STRINGS,
    "images": IMAGES,
    "name": STRING,
    "release_date": STRING,
    "release_date_precision": {"type": "string", "enum": ["year", "month", "day"]},
    "restrictions": RESTRICTIONS,
    "artists": {"type": "array", "items": _ref("SimplifiedArtistObject")},
    **_linked("album"),
}

SHOW_REQUIRED = [
    "available_markets", "copyrights", "description", "explicit", "external_urls", "href",
    "html_description", "id", "images", "is_externally_hosted", "languages", "media_type",
    "name", "publisher", "total_episodes", "type", "uri",
]  # fmt: skip
SHOW_PROPS = {
    "available_markets": STRINGS,
    "copyrights": {"type": "array", "items": _ref("CopyrightObject")},
    "description": STRING,
    "html_description": STRING,
    "explicit": BOOLEAN,
    "images": IMAGES,
    "is_externally_hosted": BOOLEAN,
    "languages": STRINGS,
    "media_type": STRING,
    "name": STRING,
    "publisher": STRING,
    "total_episodes": INTEGER,
    **_linked("show"),
}

EPISODE_REQUIRED = [
    "audio_preview_url", "description", "html_description", "duration_ms", "explicit",
    "external_urls", "href", "id", "images", "is_externally_hosted", "is_playable",
    "languages", "name", "release_date", "release_date_precision", "type", "uri",
]  # fmt: skip
EPISODE_PROPS = {
    "audio_preview_url": NULLABLE_STRING,
    "description": STRING,
    "html_description": STRING,
    "duration_ms": INTEGER,
    "explicit": BOOLEAN,
    "images": IMAGES,
    "is_externally_hosted": BOOLEAN,
    "is_playable": BOOLEAN,
    "language": STRING,
    "languages": STRINGS,
    "name": STRING,
    "release_date": STRING,
    "release_date_precision": {"type": "string", "enum": ["year", "month", "day"]},
    **_linked("episode"),
}

SCHEMAS: dict[str, Any] = {
    "ErrorObject": _obj(
        ["error"],
        {"error": _obj(["status", "message"], {"status": INTEGER, "message": STRING})},
    ),
    "CopyrightObject": _obj(["text", "type"], {"text": STRING, "type": STRING}),
    "SimplifiedArtistObject": _obj(
        ["external_urls", "href", "id", "name", "type", "uri"],
        {"name": STRING, **_linked("artist")},
    ),
    "ArtistObject": _obj(
        [
            "external_urls",
            "href",
            "id",
            "name",
            "type",
            "uri",
            "followers",
            "genres",
            "images",
            "popularity",
        ],
        {
            "name": STRING,
            "followers": _obj(["total"], {"href": {"type": "null"}, "total": INTEGER}),
            "genres": STRINGS,
            "images": IMAGES,
            "popularity": INTEGER,
            **_linked("artist"),
        },
    ),
    "SimplifiedTrackObject": _obj(SIMPLE_TRACK_REQUIRED, SIMPLE_TRACK_PROPS),
    "TrackObject": _obj(
        [*SIMPLE_TRACK_REQUIRED, "album", "external_ids", "popularity"],
        {
            **SIMPLE_TRACK_PROPS,
            "album": _ref("SimplifiedAlbumObject"),
            "external_ids": _obj([], {"isrc": STRING, "ean": STRING, "upc": STRING}),
            "popularity": INTEGER,
        },
    ),
    "SimplifiedAlbumObject": _obj(ALBUM_BASE_REQUIRED, ALBUM_BASE_PROPS),
    "ArtistDiscographyAlbumObject": _obj(
        [*ALBUM_BASE_REQUIRED, "album_group"],
        {
            **ALBUM_BASE_PROPS,
            "album_group": {
                "type": "string",
                "enum": ["album", "single", "compilation", "appears_on"],
            },
        },
    ),
    "AlbumObject": _obj(
        [
            *ALBUM_BASE_REQUIRED,
            "tracks",
            "copyrights",
            "external_ids",
            "genres",
            "label",
            "popularity",
        ],
        {
            **ALBUM_BASE_PROPS,
            "tracks": _ref("PagingSimplifiedTrackObject"),
            "copyrights": {"type": "array", "items": _ref("CopyrightObject")},
            "external_ids": _obj([], {"isrc": STRING, "ean": STRING, "upc": STRING}),
            "genres": STRINGS,
            "label": STRING,
            "popularity": INTEGER,
        },
    ),
    "SimplifiedShowObject": _obj(SHOW_REQUIRED, SHOW_PROPS),
    "ShowObject": _obj(
        [*SHOW_REQUIRED, "episodes"],
        {**SHOW_PROPS, "episodes": _ref("PagingSimplifiedEpisodeObject")},
    ),
    "SimplifiedEpisodeObject": _obj(EPISODE_REQUIRED, EPISODE_PROPS),
    "EpisodeObject": _obj(
        [*EPISODE_REQUIRED, "show"], {**EPISODE_PROPS, "show": _ref("SimplifiedShowObject")}
    ),
    "PagingSimplifiedTrackObject": _paging("SimplifiedTrackObject"),
    "PagingSimplifiedEpisodeObject": _paging("SimplifiedEpisodeObject"),
    "PagingArtistDiscographyAlbumObject": _paging("ArtistDiscographyAlbumObject"),
    "ChangeObject": _obj(
        ["cursor", "type", "id", "revision", "operation"],
        {
            "cursor": STRING,
            "type": {"type": "string", "enum": ["track", "album", "artist", "show", "episode"]},
            "id": STRING,
            "revision": INTEGER,
            "operation": {"type": "string", "enum": ["upsert", "delete", "redirect"]},
        },
    ),
    "WriteResult": _obj(
        ["status", "type", "id", "changes"],
        {
            "status": STRING,
            "type": STRING,
            "id": NULLABLE_STRING,
            "changes": {"type": "array", "items": {"type": "object"}},
        },
    ),
}

ID_PATH = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "A 22-character base62 id, or a liner:<type>:<id> URI.",
    "schema": STRING,
}
MARKET = {
    "name": "market",
    "in": "query",
    "required": False,
    "description": "An ISO 3166-1 alpha-2 country code: apply that market's availability.",
    "schema": {"type": "string", "enum": [*MARKETS, "from_token"]},
}
LIMIT = {
    "name": "limit",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 20},
}
OFFSET = {
    "name": "offset",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 0, "maximum": 100000000, "default": 0},
}


def _ids(maximum: int) -> dict[str, Any]:
    return {
        "name": "ids",
        "in": "query",
        "required": False,
        "description": f"Comma-separated ids, at most {maximum}.",
        "schema": STRING,
    }


def _query(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": STRING,
    }


ERRORS = {
    str(code): {
        "description": text,
        "content": {"application/json": {"schema": _ref("ErrorObject")}},
    }
    for code, text in (
        (400, "A malformed id or parameter."),
        (404, "No such id."),
        (413, "The request body is too large."),
        (414, "The request URI is too long."),
    )
}


def _get(
    summary: str, parameters: list[dict[str, Any]], schema: dict[str, Any], tag: str
) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "tags": [tag],
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": "OK",
                    "headers": {"ETag": {"schema": STRING}},
                    "content": {"application/json": {"schema": schema}},
                },
                "304": {"description": "Not modified (If-None-Match matched the ETag)."},
                **ERRORS,
            },
        }
    }


def _wrapped(key: str, item: str) -> dict[str, Any]:
    return _obj([key], {key: _nullable_list(item)})


def _post(summary: str, scope: str, tag: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "tags": [tag],
            "security": [{"apiKey": [scope]}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "responses": {
                "200": {
                    "description": "Updated or unchanged",
                    "content": {"application/json": {"schema": _ref("WriteResult")}},
                },
                "201": {
                    "description": "Created",
                    "content": {"application/json": {"schema": _ref("WriteResult")}},
                },
                "401": {
                    "description": "No or an invalid API key.",
                    "content": {"application/json": {"schema": _ref("ErrorObject")}},
                },
                "403": {
                    "description": "The key lacks the scope.",
                    "content": {"application/json": {"schema": _ref("ErrorObject")}},
                },
                "409": {
                    "description": "Another sender owns this release.",
                    "content": {"application/json": {"schema": _ref("ErrorObject")}},
                },
                "415": {
                    "description": "Not JSON.",
                    "content": {"application/json": {"schema": _ref("ErrorObject")}},
                },
                "422": {
                    "description": "Every problem, by field path.",
                    "content": {"application/json": {"schema": _ref("ErrorObject")}},
                },
                **ERRORS,
            },
        }
    }


def build_spec(public_url: str) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/v1/tracks/{id}": _get("Get a track", [ID_PATH, MARKET], _ref("TrackObject"), "tracks"),
        "/v1/tracks": _get(
            "Get several tracks, or look tracks up by ISRC",
            [MARKET, _ids(50), _query("isrc", "Look tracks up by ISRC (an extension).")],
            _wrapped("tracks", "TrackObject"),
            "tracks",
        ),
        "/v1/albums/{id}": _get("Get an album", [ID_PATH, MARKET], _ref("AlbumObject"), "albums"),
        "/v1/albums": _get(
            "Get several albums, or look albums up by UPC/EAN",
            [MARKET, _ids(20), _query("upc", "Look albums up by UPC or EAN (an extension).")],
            _wrapped("albums", "AlbumObject"),
            "albums",
        ),
        "/v1/albums/{id}/tracks": _get(
            "Get an album's tracks",
            [ID_PATH, MARKET, LIMIT, OFFSET],
            _ref("PagingSimplifiedTrackObject"),
            "albums",
        ),
        "/v1/artists/{id}": _get("Get an artist", [ID_PATH], _ref("ArtistObject"), "artists"),
        "/v1/artists": _get(
            "Get several artists", [_ids(50)], _wrapped("artists", "ArtistObject"), "artists"
        ),
        "/v1/artists/{id}/albums": _get(
            "Get an artist's albums",
            [
                ID_PATH,
                _query(
                    "include_groups", "Comma-separated: album, single, appears_on, compilation."
                ),
                MARKET,
                LIMIT,
                OFFSET,
            ],
            _ref("PagingArtistDiscographyAlbumObject"),
            "artists",
        ),
        "/v1/shows/{id}": _get("Get a show", [ID_PATH, MARKET], _ref("ShowObject"), "shows"),
        "/v1/shows": _get(
            "Get several shows, or look a show up by feed URL or podcast GUID",
            [
                MARKET,
                _ids(50),
                _query("feed_url", "Look a show up by its feed URL (an extension)."),
                _query("guid", "Look a show up by its podcast:guid (an extension)."),
            ],
            _wrapped("shows", "ShowObject"),
            "shows",
        ),
        "/v1/shows/{id}/episodes": _get(
            "Get a show's episodes",
            [ID_PATH, MARKET, LIMIT, OFFSET],
            _ref("PagingSimplifiedEpisodeObject"),
            "shows",
        ),
        "/v1/episodes/{id}": _get(
            "Get an episode", [ID_PATH, MARKET], _ref("EpisodeObject"), "episodes"
        ),
        "/v1/episodes": _get(
            "Get several episodes",
            [MARKET, _ids(50)],
            _wrapped("episodes", "EpisodeObject"),
            "episodes",
        ),
        "/v1/markets": _get(
            "Get available markets", [], _obj(["markets"], {"markets": STRINGS}), "markets"
        ),
        "/v1/changes": _get(
            "The change feed: what changed, in commit order",
            [
                _query("since", "A cursor from an earlier response; 0 for the beginning."),
                LIMIT,
            ],
            _obj(
                ["changes", "next_cursor", "next", "has_more"],
                {
                    "changes": {"type": "array", "items": _ref("ChangeObject")},
                    "next_cursor": STRING,
                    "next": STRING,
                    "has_more": BOOLEAN,
                },
            ),
            "changes",
        ),
        "/v1/ingest/releases": _post(
            "Deliver a release with its tracks (creators' JSON)", "ingest:releases", "ingest"
        ),
        "/v1/ingest/shows": _post(
            "Deliver a show with its episodes (creators' JSON)", "ingest:shows", "ingest"
        ),
        **account_paths(),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Liner catalog API",
            "version": __version__,
            "description": "A catalog API with the Spotify Web API's objects and semantics.",
        },
        "servers": [{"url": public_url}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
        },
    }


class OpenApiDocs:
    def __init__(self, runtime: Runtime) -> None:
        self._spec = build_spec(runtime.settings.public_url)
        self._json = orjson.dumps(self._spec)
        self._page = _render_page(self._spec).encode()

    async def spec(self, request: Request) -> Response:
        return Response(200, self._json)

    async def page(self, request: Request) -> Response:
        return Response(200, self._page, content_type=b"text/html; charset=utf-8")


def _render_page(spec: dict[str, Any]) -> str:
    rows = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            names = ", ".join(
                html.escape(p["name"])
                for p in operation.get("parameters", [])
                if p["in"] == "query"
            )
            link = path if method == "get" and "{" not in path else ""
            shown = (
                f'<a href="{html.escape(link)}">{html.escape(path)}</a>'
                if link
                else html.escape(path)
            )
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{shown}</code></td>"
                f"<td>{html.escape(operation['summary'])}</td><td>{names}</td></tr>"
            )
    title = html.escape(f"{spec['info']['title']} {spec['info']['version']}")
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{title}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
        "td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left}</style>"
        f"</head><body><h1>{title}</h1>"
        f"<p>{html.escape(spec['info']['description'])} The machine-readable document is at "
        '<a href="/openapi.json">/openapi.json</a>.</p>'
        "<table><tr><th>method</th><th>path</th><th>what</th><th>query parameters</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )
