"""The city SMS platform's uplink (上行短信): pure, headers and bytes in, an `InboundSms` out.

The engine needs the platform to sign what it pushes; `UplinkAdapter` is the seam for a city whose
platform speaks another format. The shipped adapter (`SignedJsonUplink`, `[sms] uplink_adapter =
"json"`) takes

    POST /sms/inbound   Content-Type: application/json
    X-Sms-Timestamp: <unix seconds>
    X-Sms-Signature: sha256=<hex HMAC-SHA256(uplink secret, "<timestamp>.<body>")>
    {"msg_id": "…", "from": "13800138000", "to": "12345", "text": "…", "received_at": "…"}

the same signing scheme as the partner API's webhooks. A timestamp further than `max_age` from our
clock is refused, so a captured request cannot be replayed later (a replay within the window is a
duplicate msg_id, stored once).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

MAX_BODY = 8 * 1024   # a concatenated long SMS is at most a few hundred characters
MAX_TEXT = 1000
_MSG_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_MOBILE = re.compile(r"1\d{10}")
_SERVICE = re.compile(r"\d{3,20}")


class UplinkRefused(ValueError):
    """The push is not taken (nothing stored); `status` is the HTTP answer, `reason` goes to the log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class InboundSms:
    msg_id: str
    sender: str     # the citizen's mobile number, 11 digits
    to: str         # the service number it was sent to (12345, 1065…)
    text: str


class UplinkAdapter(Protocol):
    name: str

    def parse(self, headers: Mapping[str, str], body: bytes, now: float) -> InboundSms:
        """An authenticated message, or UplinkRefused."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def mobile_of(value: object) -> str | None:
    """11-digit mainland mobile number; +86 / 0086 / 86 prefixes dropped."""
    if not isinstance(value, str):
        return None
    digits = value.strip().replace(" ", "").replace("-", "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    return digits if _MOBILE.fullmatch(digits) else None


class SignedJsonUplink:
    name = "json"

    def __init__(self, secret: str, max_age: float = 300.0) -> None:
        self._secret, self.max_age = secret, max_age

    def parse(self, headers: Mapping[str, str], body: bytes, now: float) -> InboundSms:
        if not self._secret:
            raise UplinkRefused(404, "uplink not configured")
        timestamp, given = headers.get("X-Sms-Timestamp", ""), headers.get("X-Sms-Signature", "")
        if not (timestamp.isdigit() and len(timestamp) <= 12) or not given:
            raise UplinkRefused(403, "unsigned")
        if not hmac.compare_digest(sign(self._secret, timestamp, body), given.strip().lower()):
            raise UplinkRefused(403, "bad signature")
        if abs(int(timestamp) - now) > self.max_age:
            raise UplinkRefused(403, "stale timestamp")
        if len(body) > MAX_BODY:
            raise UplinkRefused(413, "body too large")
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise UplinkRefused(400, "not JSON") from None
        if not isinstance(data, dict):
            raise UplinkRefused(400, "not an object")
        msg_id, to, text = data.get("msg_id"), data.get("to"), data.get("text")
        if not isinstance(msg_id, str) or not _MSG_ID.fullmatch(msg_id):
            raise UplinkRefused(400, "msg_id missing or malformed")
        sender = mobile_of(data.get("from"))
        if sender is None:
            raise UplinkRefused(400, "from is not a mobile number")
        if not isinstance(to, str) or not _SERVICE.fullmatch(to):
            raise UplinkRefused(400, "to is not a service number")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise UplinkRefused(400, "text missing or too long")
        if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
            raise UplinkRefused(400, "control characters in text")
        return InboundSms(msg_id, sender, to, text.strip())


def make_uplink(sms_config) -> UplinkAdapter:
    return SignedJsonUplink(sms_config.uplink_secret_value(), sms_config.uplink_max_age_seconds)
