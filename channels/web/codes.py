"""Random codes: the SMS verification code (6 digits, short-lived, in memory) and the query code
(10 characters, shown once, only its salted hash stored). Pure, apart from the clock passed in."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

QUERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read from a phone screen
QUERY_LENGTH = 10  # 31**10 ~ 2**49.5
MAX_TRIES = 5


def new_query_code() -> str:
    """Ten letters from one 64-bit draw (one system call; 2**64 is ~22,000 times 31**10: bias below 1e-4)."""
    value = secrets.randbits(64) % (len(QUERY_ALPHABET) ** QUERY_LENGTH)
    letters = []
    for _ in range(QUERY_LENGTH):
        value, digit = divmod(value, len(QUERY_ALPHABET))
        letters.append(QUERY_ALPHABET[digit])
    return "".join(letters)


def normalize_query_code(text: str) -> str:
    return "".join(ch for ch in str(text).upper() if ch.isalnum())[:32]


def hash_code(code: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{normalize_query_code(code)}".encode()).hexdigest()


def new_salt() -> str:
    return secrets.token_hex(16)


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass
class _Pending:
    code: str
    expires: float
    tries: int = 0


class VerifyCodes:
    """One live code per phone; a new one replaces the old. Five wrong tries burn it."""

    def __init__(self, clock: Callable[[], datetime], ttl_seconds: float, max_keys: int = 50_000) -> None:
        self._clock, self._ttl, self._max = clock, ttl_seconds, max_keys
        self._codes: dict[str, _Pending] = {}

    @property
    def ttl_seconds(self) -> float:
        return self._ttl

    def issue(self, phone: str) -> str:
        code = f"{secrets.randbelow(1_000_000):06d}"
        self._codes.pop(phone, None)
        while len(self._codes) >= self._max:
            self._codes.pop(next(iter(self._codes)))
        self._codes[phone] = _Pending(code, self._clock().timestamp() + self._ttl)
        return code

    def consume(self, phone: str, code: str) -> bool:
        """True once for the right code within its lifetime; the code is then gone."""
        return self.take(phone, code) is not None

    def take(self, phone: str, code: str) -> _Pending | None:
        """`consume`, keeping what was taken so a submission that could not be stored can give it back."""
        pending = self._codes.get(phone)
        if pending is None:
            return None
        if self._clock().timestamp() > pending.expires:
            del self._codes[phone]
            return None
        if hmac.compare_digest(pending.code.encode(), str(code).strip().encode()):
            del self._codes[phone]
            return pending
        pending.tries += 1
        if pending.tries >= MAX_TRIES:
            del self._codes[phone]
        return None

    def give_back(self, phone: str, pending: _Pending) -> None:
        """The code of a submission the store refused is usable again (unless a newer one was sent)."""
        if phone not in self._codes and self._clock().timestamp() <= pending.expires:
            self._codes[phone] = pending
