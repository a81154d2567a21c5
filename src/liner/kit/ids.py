"""Public ids: 22 base62 characters (about 131 bits of randomness), and typed URIs."""

from __future__ import annotations

import secrets
import string

from liner.kit.errors import InputError

ALPHABET = string.digits + string.ascii_letters
ID_LENGTH = 22
_ALPHABET_SET = frozenset(ALPHABET)
_ID_SPACE = len(ALPHABET) ** ID_LENGTH
ENTITY_TYPES = frozenset({"track", "album", "artist", "show", "episode"})


def new_public_id() -> str:
    """A fresh random id, uniform over every 22-character base62 string (one draw from
    the system's random source, not one per character). Ids are never derived from
    content, so they are never recycled."""
    number = secrets.randbelow(_ID_SPACE)
    digits = []
    for _ in range(ID_LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "".join(digits)


def is_public_id(value: str) -> bool:
    return len(value) == ID_LENGTH and _ALPHABET_SET.issuperset(value)


def uri(entity_type: str, public_id: str) -> str:
    return f"liner:{entity_type}:{public_id}"


def parse_id(value: str, entity_type: str) -> str:
    """Accept a bare id or a ``liner:<type>:<id>`` URI; raise InputError otherwise."""
    candidate = value
    if value.startswith("liner:"):
        parts = value.split(":")
        if len(parts) != 3 or parts[1] != entity_type:
            raise InputError(f"invalid {entity_type} uri: {value!r}", code="invalid_id")
        candidate = parts[2]
    if not is_public_id(candidate):
        raise InputError(f"invalid {entity_type} id: {value!r}", code="invalid_id")
    return candidate
