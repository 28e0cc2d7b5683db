"""Synchronizer-token CSRF protection.

A logged-in page carries the session's token in ``<meta name="csrf-token">`` (sent back by
fetch() as ``X-CSRF-Token``) and in a hidden ``csrf_token`` field of every form. The login
form, before any session exists, uses a double-submit token: a random cookie echoed in
the form. Cookies are SameSite=Strict besides, so a cross-site page cannot ride a session.
"""
from __future__ import annotations

import hmac
import secrets

from aiohttp import web

HEADER = "X-CSRF-Token"
FIELD = "csrf_token"
LOGIN_COOKIE = "hotline_login"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRefused(Exception):
    error_id = "console.csrf.refused"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8", "replace"), given.encode("utf-8", "replace"))


async def submitted_token(request: web.Request) -> str | None:
    """The token from the header (fetch) or the form field (plain forms); the form is cached for the handler."""
    token = request.headers.get(HEADER)
    if token:
        return token
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        value = form.get(FIELD)
        return value if isinstance(value, str) else None
    return None


async def check(request: web.Request, expected: str) -> None:
    if request.method in SAFE_METHODS:
        return
    if not same(expected, await submitted_token(request)):
        raise CsrfRefused(f"{request.method} {request.path}: missing or wrong CSRF token")
