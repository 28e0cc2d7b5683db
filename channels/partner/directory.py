"""Partners and their API keys: added, listed and revoked by an admin (CLI), checked on every API call."""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from .keys import PREFIX_CHARS, digest, matches, new_key, parse_scopes, prefix_of
from .models import Partner, PartnerKey

CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
PREFIX = re.compile(rf"[0-9a-f]{{{PREFIX_CHARS}}}")


class PartnerError(ValueError):
    pass


@dataclass(frozen=True)
class Caller:
    """Who is calling the API: the partner and the scopes of the key it used."""

    partner_id: int
    code: str
    key_prefix: str
    scopes: frozenset[str]

    @property
    def actor(self) -> str:
        return f"partner:{self.code}"


@dataclass(frozen=True)
class KeyRow:
    partner: str
    name: str
    prefix: str
    scopes: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    webhook_url: str | None


class PartnerDirectory:
    def __init__(self, sessions: async_sessionmaker, clock: Callable[[], datetime]) -> None:
        self._sessions, self._clock = sessions, clock

    async def add_key(self, code: str, name: str, scopes: str) -> str:
        """A new key for partner `code` (created when new); returns the key, shown once."""
        code = str(code).strip().lower()
        if not CODE.fullmatch(code):
            raise PartnerError("partner code: lowercase letters, digits, - and _, at most 32")
        try:
            wanted = parse_scopes(scopes)
        except ValueError as exc:
            raise PartnerError(str(exc)) from None
        if not wanted:
            raise PartnerError("a key needs at least one scope")
        key, prefix, hashed = new_key()
        now = self._clock()
        async with self._sessions() as session, session.begin():
            partner = await session.scalar(select(Partner).where(Partner.code == code))
            if partner is None:
                partner = Partner(code=code, name=(name or code)[:128], active=True, created_at=now)
                session.add(partner)
                await session.flush()
            elif name:
                partner.name = name[:128]
            session.add(PartnerKey(partner_id=partner.id, prefix=prefix, key_hash=hashed,
                                   scopes=" ".join(sorted(wanted)), created_at=now))
        return key

    async def revoke(self, prefix: str) -> bool:
        if not PREFIX.fullmatch(str(prefix)):
            return False  # NUL and other bytes PostgreSQL refuses never reach the query
        async with self._sessions() as session, session.begin():
            row = await session.scalar(select(PartnerKey).where(PartnerKey.prefix == prefix))
            if row is None or row.revoked_at is not None:
                return False
            row.revoked_at = self._clock()
            return True

    async def keys(self) -> list[KeyRow]:
        async with self._sessions() as session:
            rows = await session.execute(select(PartnerKey, Partner).join(Partner, Partner.id == PartnerKey.partner_id)
                                         .order_by(Partner.code, PartnerKey.id))
            return [KeyRow(p.code, p.name, k.prefix, k.scopes, k.created_at, k.revoked_at, k.last_used_at,
                           p.webhook_url) for k, p in rows]

    async def authenticate(self, key: str) -> Caller | None:
        """The caller behind a bearer key, or None (unknown, wrong, revoked, inactive partner).
        An unknown prefix still costs one hash, so timing tells nothing about prefixes."""
        prefix = prefix_of(key)
        async with self._sessions() as session, session.begin():
            found = (await session.execute(select(PartnerKey, Partner).join(Partner, Partner.id == PartnerKey.partner_id)
                                           .where(PartnerKey.prefix == prefix))).first() if prefix else None
            if found is None:
                digest(key)
                return None
            row, partner = found
            if not matches(key, row.key_hash) or row.revoked_at is not None or not partner.active:
                return None
            now = self._clock()
            if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
                row.last_used_at = now  # at most a write a minute per key
            return Caller(partner.id, partner.code, row.prefix, frozenset(row.scopes.split()))

    async def webhook(self, partner_id: int) -> tuple[str | None, bool]:
        async with self._sessions() as session:
            p = await session.get(Partner, partner_id)
            return p.webhook_url, bool(p.webhook_secret)

    async def set_webhook(self, partner_id: int, url: str | None, rotate: bool = False) -> str | None:
        """Register (or clear, url None) the partner's webhook URL; returns a secret when one is
        created or rotated (shown once to the partner), else None."""
        async with self._sessions() as session, session.begin():
            p = await session.get(Partner, partner_id, with_for_update=True)
            p.webhook_url = url
            if url is None:
                return None
            if rotate or not p.webhook_secret:
                p.webhook_secret = "whsec_" + secrets.token_urlsafe(32)
                return p.webhook_secret
            return None
