"""SMS adapters. An adapter only delivers; recording what was sent is the outbox's job.

`LogOnlySms` (default, demo/development) writes the message to the engine log and keeps the last
ones in memory (tests read verification codes from there). `HttpSms` posts JSON to a city's SMS
platform: {"to": "138…", "text": "…", "sender": "12345"} with "Authorization: Bearer <token>";
any 2xx answer is delivery accepted.
"""
from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import aiohttp

log = logging.getLogger(__name__)


class SmsError(Exception):
    error_id = "sms.send_failed"


@dataclass(frozen=True)
class Sent:
    to: str
    text: str


class SmsGateway(Protocol):
    name: str

    async def send(self, to: str, text: str) -> None:
        """Deliver one message or raise SmsError."""

    async def close(self) -> None: ...


class LogOnlySms:
    name = "log"

    def __init__(self, keep: int = 200) -> None:
        self.sent: deque[Sent] = deque(maxlen=keep)

    async def send(self, to: str, text: str) -> None:
        log.warning("短信（仅写日志，未真正发送） to=%s text=%s", to, text)
        self.sent.append(Sent(to, text))

    async def close(self) -> None:
        return None


class HttpSms:
    name = "http"

    def __init__(self, url: str, token: str, sender: str = "12345", timeout_seconds: float = 5.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("sms.url: an http(s) URL is required for the http adapter")
        self._url, self._token, self._sender = url, token, sender
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def send(self, to: str, text: str) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(self._url, json={"to": to, "text": text, "sender": self._sender},
                                          headers={"Authorization": f"Bearer {self._token}"}) as resp:
                if not 200 <= resp.status < 300:
                    raise SmsError(f"SMS platform answered HTTP {resp.status}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SmsError(f"SMS platform unreachable: {type(exc).__name__}") from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def make_gateway(sms_config) -> SmsGateway:
    """The adapter the [sms] section asks for."""
    if sms_config.adapter == "http":
        return HttpSms(sms_config.url, sms_config.secret(), sms_config.sender, sms_config.timeout_seconds)
    return LogOnlySms()
