"""Content hashes: a write whose content hash is unchanged is a no-op."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson


def content_hash(value: Any) -> str:
    """SHA-256 over canonical JSON (sorted keys); datetimes as ISO 8601."""
    data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.sha256(data).hexdigest()
