"""Images a citizen sent the official account, fetched by MediaId (获取临时素材) into the draft's attachments.

`MediaSource` is the seam; `HttpMedia` speaks the platform's API: an access_token from
GET {api_base}/cgi-bin/token?grant_type=client_credential&appid=…&secret=… (cached until shortly before
`expires_in`), then GET {api_base}/cgi-bin/media/get?access_token=…&media_id=…, which answers the file's
bytes, or JSON {"errcode", "errmsg"} (an expired token is fetched again once). The body is read up to
the size limit and no further; what the bytes are is decided afterwards by their first bytes
(channels/web/attachments.sniff), never by the Content-Type the platform sends.
"""
from __future__ import annotations

import json
import time
from typing import Protocol

import aiohttp

TOKEN_ERRORS = {40001, 40014, 42001}  # invalid / expired access_token: fetch a new one and retry once
CHUNK = 64 * 1024


class MediaError(Exception):
    """The file could not be fetched (platform down, unknown MediaId); `too_large` when over the limit."""

    def __init__(self, reason: str, *, too_large: bool = False) -> None:
        super().__init__(reason)
        self.too_large = too_large


class MediaSource(Protocol):
    async def fetch(self, media_id: str, max_bytes: int) -> bytes: ...

    async def close(self) -> None: ...


class HttpMedia:
    def __init__(self, api_base: str, appid: str, app_secret: str, timeout: float = 10.0) -> None:
        if not api_base.startswith(("http://", "https://")):
            raise ValueError("wechat.api_base: an http(s) URL is required")
        self._base, self._appid, self._secret = api_base.rstrip("/"), appid, app_secret
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._token: tuple[str, float] | None = None  # (access_token, valid until, monotonic)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def _access_token(self, *, renew: bool = False) -> str:
        if self._token is not None and not renew and time.monotonic() < self._token[1]:
            return self._token[0]
        params = {"grant_type": "client_credential", "appid": self._appid, "secret": self._secret}
        try:
            async with self._http().get(f"{self._base}/cgi-bin/token", params=params) as resp:
                data = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise MediaError(f"access_token: {type(exc).__name__}") from None
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise MediaError(f"access_token refused: errcode={data.get('errcode') if isinstance(data, dict) else '?'}")
        expires = int(data.get("expires_in") or 7200)
        self._token = (token, time.monotonic() + max(60, expires - 300))
        return token

    async def fetch(self, media_id: str, max_bytes: int) -> bytes:
        for attempt in (1, 2):
            token = await self._access_token(renew=attempt == 2)
            try:
                async with self._http().get(f"{self._base}/cgi-bin/media/get",
                                            params={"access_token": token, "media_id": media_id}) as resp:
                    if resp.status != 200:
                        raise MediaError(f"HTTP {resp.status}")
                    kind = resp.headers.get("Content-Type", "")
                    if resp.content_length is not None and resp.content_length > max_bytes:
                        raise MediaError("too large", too_large=True)
                    data = bytearray()
                    async for chunk in resp.content.iter_chunked(CHUNK):
                        data += chunk
                        if len(data) > max_bytes:
                            raise MediaError("too large", too_large=True)
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise MediaError(type(exc).__name__) from None
            if "json" in kind or "text/plain" in kind or data[:1] == b"{":
                try:
                    code = json.loads(bytes(data)).get("errcode")
                except (ValueError, AttributeError):
                    code = None
                if code in TOKEN_ERRORS and attempt == 1:
                    continue
                raise MediaError(f"media/get errcode={code}")
            return bytes(data)
        raise MediaError("access_token refused twice")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
