"""API keys: ``lnr_<prefix>_<secret>``, stored as a SHA-256, scoped, owned by a sender."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from liner.kit.db import read_only
from liner.kit.errors import InputError
from liner.models import ApiKey
from liner.models.base import utcnow

SCOPES = frozenset(
    {"ingest:releases", "ingest:shows", "ingest:feeds", "ingest:ddex", "read:deliveries"}
)


@dataclass(frozen=True, slots=True)
class KeyOwner:
    key_id: int
    name: str
    owner: str
    scopes: frozenset[str]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(sessions: sessionmaker[Session], *, name: str, owner: str, scopes: list[str]) -> str:
    """Create a key and return it; it is never shown again."""
    unknown = set(scopes) - SCOPES
    if unknown or not scopes:
        raise InputError(
            f"unknown scopes {sorted(unknown)}; choose from {sorted(SCOPES)}", code="bad_scope"
        )
    if not owner.strip():
        raise InputError("a key needs an owner (the sender it writes as)", code="bad_owner")
    prefix = secrets.token_hex(4)
    token = f"lnr_{prefix}_{secrets.token_urlsafe(32)}"
    with sessions() as session, session.begin():
        session.add(
            ApiKey(
                prefix=prefix,
                key_hash=_digest(token),
                name=name,
                owner=owner.strip(),
                scopes=sorted(set(scopes)),
            )
        )
    return token


def authenticate(sessions: sessionmaker[Session], token: str) -> KeyOwner | None:
    if not token.startswith("lnr_") or len(token) > 200:
        return None
    digest = _digest(token)
    with sessions() as session:
        read_only(session)
        key = session.scalars(
            select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
        ).first()
        if key is None or not hmac.compare_digest(key.key_hash, digest):
            return None
        return KeyOwner(key.id, key.name, key.owner, frozenset(key.scopes))


def revoke_key(sessions: sessionmaker[Session], prefix: str) -> bool:
    with sessions() as session, session.begin():
        key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
        if key is None or key.revoked_at is not None:
            return False
        key.revoked_at = utcnow()
        return True
