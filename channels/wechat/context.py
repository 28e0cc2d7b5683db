"""What the WeChat intake keeps on the aiohttp app."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from channels.ratelimit import WindowLimiter

from .crypto import WechatCrypto
from .intake import WechatIntake


@dataclass
class Wechat:
    token: Callable[[], str]           # read once at start-up (token or token_file)
    limiter: WindowLimiter             # messages per OpenID
    clock: Callable[[], datetime]
    max_age_seconds: int = 300         # a signed timestamp older (or newer) than this is refused
    intake: WechatIntake | None = None  # built once the ticket store is up
    crypto: WechatCrypto | None = None  # safe mode, when [wechat] appid and encoding_aes_key are set


WECHAT = web.AppKey("wechat", Wechat)
