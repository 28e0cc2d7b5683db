"""The WeChat public platform's message push, plaintext mode (明文模式): pure, bytes in, objects out.

Signature: sha1 of the sorted [token, timestamp, nonce] joined, hex; on the GET verification the
platform expects `echostr` back, on every POST the same query parameters sign the request.

XML: the stdlib ElementTree, not defusedxml (not a dependency of the project). A push never carries a
DTD, so any `<!DOCTYPE`/`<!ENTITY` is refused before parsing: without a DTD no entity can be declared,
so neither entity expansion (billion laughs) nor external entities can happen. The body must be UTF-8.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

MAX_BODY = 64 * 1024          # a text message is at most 2048 bytes of content; this is far above
MAX_CONTENT = 2048
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class MalformedMessage(ValueError):
    """The body is not a push this module understands (400, nothing stored)."""


def signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode("utf-8")).hexdigest()


def signed(token: str, timestamp: str | None, nonce: str | None, given: str | None) -> bool:
    """True when `given` is the request's signature under `token` (an empty token never verifies)."""
    if not token or not timestamp or not nonce or not given or len(given) != 40:
        return False
    return hmac.compare_digest(signature(token, timestamp, nonce), given.lower())


def fresh(timestamp: str | None, now: float, max_age: float) -> bool:
    """The platform's timestamp (Unix seconds) is within `max_age` of our clock."""
    return bool(timestamp) and timestamp.isdigit() and len(timestamp) <= 12 and abs(int(timestamp) - now) <= max_age


@dataclass(frozen=True)
class Message:
    to_user: str          # the official account (its original ID, gh_...)
    from_user: str        # the citizen's OpenID
    create_time: int
    msg_type: str         # text / image / others (voice, event, ...) are not taken in
    msg_id: str | None
    content: str | None = None
    pic_url: str | None = None
    media_id: str | None = None
    event: str | None = None  # MsgType event: subscribe / unsubscribe / CLICK ...


def _root(body: bytes) -> ET.Element:
    if len(body) > MAX_BODY:
        raise MalformedMessage("body too large")
    if _DTD.search(body):
        raise MalformedMessage("a DTD is not allowed")
    try:
        text = body.decode("utf-8")
        root = ET.fromstring(text)
    except (UnicodeDecodeError, ET.ParseError) as exc:
        raise MalformedMessage(f"not XML: {exc}") from None
    if root.tag != "xml":
        raise MalformedMessage("the root element must be <xml>")
    return root


def encrypted(body: bytes) -> str:
    """The <Encrypt> of a safe-mode push (encrypt_type=aes)."""
    value = (_root(body).findtext("Encrypt") or "").strip()
    if not value or len(value) > MAX_BODY:
        raise MalformedMessage("Encrypt missing")
    return value


def encrypted_reply(encrypt: str, signature: str, timestamp: int, nonce: str) -> bytes:
    """The safe-mode envelope of a passive reply, as the platform documents it."""
    return ("<xml>"
            f"<Encrypt>{_cdata(encrypt)}</Encrypt>"
            f"<MsgSignature>{_cdata(signature)}</MsgSignature>"
            f"<TimeStamp>{int(timestamp)}</TimeStamp>"
            f"<Nonce>{_cdata(nonce)}</Nonce>"
            "</xml>").encode()


def parse(body: bytes) -> Message:
    root = _root(body)
    fields = {child.tag: (child.text or "").strip() for child in root if len(child) == 0}

    def need(name: str) -> str:
        value = fields.get(name)
        if not value:
            raise MalformedMessage(f"{name} missing")
        return value

    to_user, from_user, msg_type = need("ToUserName"), need("FromUserName"), need("MsgType")
    if not _OPENID.fullmatch(from_user) or not _OPENID.fullmatch(to_user):
        raise MalformedMessage("bad user name")
    try:
        created = int(need("CreateTime"))
    except ValueError:
        raise MalformedMessage("CreateTime is not a number") from None
    msg_id = fields.get("MsgId") or None
    if msg_id is not None and not msg_id.isdigit():
        raise MalformedMessage("MsgId is not a number")
    if msg_type == "text":
        content = (root.findtext("Content") or "").strip()
        if not content or len(content) > MAX_CONTENT:
            raise MalformedMessage("Content missing or too long")
        return Message(to_user, from_user, created, msg_type, need("MsgId"), content=content)
    if msg_type == "image":
        return Message(to_user, from_user, created, msg_type, need("MsgId"),
                       pic_url=need("PicUrl")[:512], media_id=need("MediaId")[:128])
    return Message(to_user, from_user, created, msg_type[:16], msg_id, event=(fields.get("Event") or "")[:32] or None)


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to_user: str, from_user: str, content: str, create_time: int) -> bytes:
    """The passive reply (被动回复) of a text message, as the platform documents it."""
    return ("<xml>"
            f"<ToUserName>{_cdata(to_user)}</ToUserName>"
            f"<FromUserName>{_cdata(from_user)}</FromUserName>"
            f"<CreateTime>{int(create_time)}</CreateTime>"
            f"<MsgType>{_cdata('text')}</MsgType>"
            f"<Content>{_cdata(content)}</Content>"
            "</xml>").encode()
