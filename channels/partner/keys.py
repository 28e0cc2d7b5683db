"""Partner API keys: `hk_<prefix>_<secret>`, shown once, kept as SHA-256; scopes a key may carry.

Pure functions; the database side is in directory.py.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

SCOPES = ("tickets:create", "tickets:read", "webhooks")
PREFIX_CHARS = 10


def new_key() -> tuple[str, str, str]:
    """(key to give the partner, prefix to find its row, hash to store)."""
    prefix = secrets.token_hex(PREFIX_CHARS // 2)
    key = f"hk_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, digest(key)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def prefix_of(key: str) -> str | None:
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "hk" or len(parts[1]) != PREFIX_CHARS or len(key) > 128:
        return None
    if any(c not in "0123456789abcdef" for c in parts[1]):
        return None
    return parts[1]


def matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(digest(key), stored_hash)


def parse_scopes(text: str) -> frozenset[str]:
    scopes = frozenset(s for s in text.replace(",", " ").split() if s)
    unknown = scopes - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes {sorted(unknown)}; expected some of {list(SCOPES)}")
    return scopes


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The webhook signature header value: HMAC-SHA256 over `<timestamp>.<body>`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()
