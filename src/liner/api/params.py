"""Query parameters with Spotify's rules: each bad value is a 400 that says which."""

from __future__ import annotations

import re

from liner.api.http import ApiError, Request
from liner.catalog.markets import MARKET_SET
from liner.kit.errors import InputError
from liner.kit.ids import parse_id


def entity_id(value: str, entity_type: str) -> str:
    try:
        return parse_id(value, entity_type)
    except InputError:
        raise ApiError(400, f"invalid {entity_type} id") from None


def market(request: Request, name: str = "market") -> str | None:
    value = request.query.get(name)
    if value is None or value in {"", "from_token"}:
        return None
    upper = value.upper()
    if upper not in MARKET_SET:
        raise ApiError(400, f"invalid market: {value!r} is not an ISO 3166-1 alpha-2 code")
    return upper


_PLAIN_IDS = re.compile(r"[0-9A-Za-z]{22}(?:,[0-9A-Za-z]{22})*")


def ids(request: Request, entity_type: str, maximum: int) -> list[str]:
    raw = request.query.get("ids")
    if raw is None or raw.strip() == "":
        raise ApiError(400, "missing parameter: ids")
    if _PLAIN_IDS.fullmatch(raw):
        # The usual request: bare ids, checked in one pass.
        values = raw.split(",")
        if len(values) > maximum:
            raise ApiError(400, f"too many ids: at most {maximum}")
        return values
    values = [v.strip() for v in raw.split(",")]
    if len(values) > maximum:
        raise ApiError(400, f"too many ids: at most {maximum}")
    return [entity_id(v, entity_type) for v in values]


def integer(request: Request, name: str, default: int, *, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 9:
        raise ApiError(400, f"invalid {name}: must be an integer from {low} to {high}")
    value = int(raw)
    if value < low or value > high:
        raise ApiError(400, f"invalid {name}: must be an integer from {low} to {high}")
    return value


def limit(request: Request, default: int = 20) -> int:
    return integer(request, "limit", default, low=1, high=50)


def offset(request: Request) -> int:
    return integer(request, "offset", 0, low=0, high=100_000_000)
