"""WeChat safe mode (安全模式, encrypt_type=aes): the test encrypts each push the way the platform
documents it (AES-256-CBC, key = Base64(EncodingAESKey + "="), IV = key[:16], random(16) + length +
message + AppID, PKCS#7 padded to 32 bytes, written here by hand rather than with the engine's code)
and signs it with msg_signature; the engine decrypts it into a draft and answers encrypted, which the
test decrypts back. Another AppID, a wrong msg_signature, garbage or a missing key: refused, nothing stored.
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import struct
import time
import xml.etree.ElementTree as ET

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from console_support import MovableClock, make_config, running_console
from hotline.engine import ENGINE
from test_channels_wechat import ACCOUNT, OPENID, TOKEN, image_xml, stored, text_xml
from tickets.codes import Channel, Status

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as the platform generates
APPID = "wx5823bf96d3bd56c7"


def safe_config(tmp_path, **wechat):
    config = make_config(tmp_path)
    return config.model_copy(update={"wechat": config.wechat.model_copy(update={
        "token": TOKEN, "appid": APPID, "encoding_aes_key": AES_KEY, **wechat})})


def _key() -> bytes:
    return base64.b64decode(AES_KEY + "=")


def platform_encrypt(xml: str, appid: str = APPID) -> str:
    msg = xml.encode()
    plain = os.urandom(16) + struct.pack(">I", len(msg)) + msg + appid.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    enc = Cipher(algorithms.AES(_key()), modes.CBC(_key()[:16])).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


def platform_decrypt(encrypt: str) -> tuple[str, str]:
    dec = Cipher(algorithms.AES(_key()), modes.CBC(_key()[:16])).decryptor()
    plain = dec.update(base64.b64decode(encrypt)) + dec.finalize()
    plain = plain[:-plain[-1]]
    (size,) = struct.unpack(">I", plain[16:20])
    return plain[20:20 + size].decode(), plain[20 + size:].decode()


def sha1(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


async def push_safe(client, xml: str, *, appid: str = APPID, forge: bool = False, raw: str | None = None):
    encrypt = raw if raw is not None else platform_encrypt(xml, appid)
    timestamp, nonce = str(int(time.time())), "1320562132"
    body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    params = {"signature": sha1(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
              "openid": OPENID, "encrypt_type": "aes",
              "msg_signature": sha1(TOKEN, timestamp, nonce, "forged" if forge else encrypt)}
    return await client.post("/wechat", params=params, data=body.encode(), headers={"Content-Type": "text/xml"})


async def open_reply(response) -> dict[str, str]:
    assert response.status == 200, await response.text()
    envelope = {c.tag: c.text for c in ET.fromstring(await response.read())}
    assert envelope["MsgSignature"] == sha1(TOKEN, envelope["TimeStamp"], envelope["Nonce"], envelope["Encrypt"])
    assert envelope["Nonce"] == "1320562132"
    xml, appid = platform_decrypt(envelope["Encrypt"])
    assert appid == APPID
    return {c.tag: c.text for c in ET.fromstring(xml)}


async def test_given_safe_mode_when_the_platform_pushes_encrypted_then_a_draft_and_an_encrypted_reply(tmp_path):
    async with running_console(safe_config(tmp_path), MovableClock()) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        reply = await open_reply(await push_safe(client, text_xml("加密模式：人民路 3 号垃圾没人清运", "7100000000000001")))
        assert (reply["ToUserName"], reply["FromUserName"], reply["MsgType"]) == (OPENID, ACCOUNT, "text")
        number = re.search(r"(\d{14})", reply["Content"]).group(1)
        ticket = await tickets.get(number)
        assert ticket.channel is Channel.WECHAT and ticket.status is Status.DRAFT
        assert ticket.content == "加密模式：人民路 3 号垃圾没人清运"
        more = await open_reply(await push_safe(client, image_xml("7100000000000002")))
        assert number in more["Content"] and await stored(app) == 2


async def test_given_safe_mode_when_the_push_is_foreign_forged_or_garbage_then_refused_nothing_stored(tmp_path):
    async with running_console(safe_config(tmp_path), MovableClock()) as (app, client):
        xml = text_xml("不该进来", "7200000000000001")
        assert (await push_safe(client, xml, appid="wx_another_account")).status == 403
        assert (await push_safe(client, xml, forge=True)).status == 403
        assert (await push_safe(client, xml, raw="bm90IGNpcGhlcnRleHQ=")).status == 400
        assert (await push_safe(client, xml, raw="!!!")).status == 400
        assert (await push_safe(client, xml, raw=base64.b64encode(os.urandom(64)).decode())).status == 400
        assert await stored(app) == 0 and await app[ENGINE].services["tickets"].search(status="draft") == []


async def test_given_no_aes_key_when_an_encrypted_push_comes_then_400(tmp_path):
    config = make_config(tmp_path)
    config = config.model_copy(update={"wechat": config.wechat.model_copy(update={"token": TOKEN})})
    async with running_console(config, MovableClock()) as (app, client):
        assert (await push_safe(client, text_xml("x", "7300000000000001"))).status == 400
        assert await stored(app) == 0


def test_given_a_malformed_aes_key_when_the_config_is_loaded_then_refused_naming_the_key(tmp_path):
    import pytest

    from hotline.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="encoding_aes_key"):
        load_config(None, {}, {"wechat": {"token": TOKEN, "appid": APPID, "encoding_aes_key": "too-short"}})
