"""Password hashing with argon2id (argon2-cffi); parameters upgrade transparently on login."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10


class WeakPassword(ValueError):
    error_id = "account.weak_password"


def make_hasher() -> PasswordHasher:
    return PasswordHasher()


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"密码至少需要 {MIN_LENGTH} 个字符 (password needs at least {MIN_LENGTH} characters)")


def verify(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
