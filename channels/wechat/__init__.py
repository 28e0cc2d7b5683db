"""WeChat official-account intake (issue 16.2): the platform's message push → one ticket draft per
conversation (channel wechat), answered with the ticket number; plaintext, compatible and safe mode
(安全模式, AES, crypto.py). Images are fetched by MediaId into the draft's attachments (media.py).
"""
from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from channels.ratelimit import WindowLimiter

from . import views
from .context import WECHAT, Wechat
from .crypto import WechatCrypto
from .intake import WechatIntake
from .media import HttpMedia

__all__ = ["WECHAT", "setup_wechat"]


def setup_wechat(app: web.Application, engine) -> Wechat:
    cfg = engine.config.wechat
    clock = lambda: engine.clock()  # noqa: E731 - tests move the engine's clock
    token = cfg.secret()
    cap = Wechat(token=lambda: token, limiter=WindowLimiter(clock, cfg.messages_per_openid,
                                                            cfg.rate_window_seconds), clock=clock,
                 max_age_seconds=cfg.max_age_seconds)
    key = cfg.aes_key()
    if key:
        cap.crypto = WechatCrypto(key, cfg.appid)  # ValueError names the key at start-up
    app[WECHAT] = cap
    views.add_routes(app.router)

    async def context(app: web.Application) -> AsyncIterator[None]:
        from channels.web.attachments import AttachmentStore

        secret = cfg.app_secret_value()
        media = HttpMedia(cfg.api_base, cfg.appid, secret, cfg.media_timeout_seconds) if secret and cfg.appid \
            else None
        store = AttachmentStore(engine.config.engine.data_dir / "citizen", engine.sessions, clock)
        cap.intake = WechatIntake(engine.services["tickets"], engine.sessions, clock, cfg.conversation_seconds,
                                  media=media, attachments=store)
        try:
            yield
        finally:
            await cap.intake.drain()
            if media is not None:
                await media.close()

    app.cleanup_ctx.append(context)
    return cap
