"""Notification gateways: where a 督办 notice goes besides the workspace (a city's SMS platform).

A gateway raises on failure; the sender retries later and the notice stays pending meanwhile.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Protocol

import aiohttp

log = logging.getLogger("supervision.gateway")


@dataclass(frozen=True)
class Outgoing:
    notice_id: int
    audience: str  # department / center / lead
    department: str | None  # department code
    ticket: str
    topic: str  # yellow / red / remind / escalate
    text: str


class GatewayDown(Exception):
    """The gateway did not take the notice (unreachable, timeout, non-2xx)."""


class Gateway(Protocol):
    async def send(self, message: Outgoing) -> None: ...

    async def close(self) -> None: ...


class LogGateway:
    """Default: the notice is written to the log (and kept, for tests and the demo)."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    async def send(self, message: Outgoing) -> None:
        self.sent.append(message)
        log.info("supervision.notice audience=%s department=%s ticket=%s topic=%s text=%s", message.audience,
                 message.department, message.ticket, message.topic, message.text)

    async def close(self) -> None:
        return None


class WebhookGateway:
    """POSTs each notice as JSON to the city's SMS platform; any non-2xx answer is a failure."""

    def __init__(self, url: str, *, timeout: float = 3.0, token: str = "") -> None:
        self.url, self.timeout, self.token = url, timeout, token
        self._session: aiohttp.ClientSession | None = None

    async def send(self, message: Outgoing) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            async with self._session.post(self.url, data=json.dumps(asdict(message), ensure_ascii=False),
                                          headers=headers) as response:
                if response.status >= 300:
                    raise GatewayDown(f"HTTP {response.status}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise GatewayDown(type(exc).__name__) from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
