"""Cleaning of everything a citizen, an agent or the IVR writes into a ticket.

Control characters are *stripped*, never rejected: IVR transcripts and pasted web text carry
stray ones and refusing a citizen's request for them would be worse than removing them.
Stripped: C0/C1 controls except \\n and \\t (\\r\\n and lone \\r become \\n), DEL, and the
Unicode bidi overrides/isolates (U+202A-202E, U+2066-2069) that can disguise text on screen.
Over-long values are *rejected* with FieldTooLong naming the field and the limit (measured in
characters after stripping) - never silently truncated.
"""
from __future__ import annotations

import re

from tickets.errors import FieldTooLong, InvalidField

LIMITS = {
    "content": 20_000,
    "transcript": 100_000,
    "reply": 20_000,
    "reason": 2_000,
    "note": 2_000,
    "comment": 2_000,
    "contact": 2_000,
    "category": 64,
    "address": 256,
    "caller_name": 64,
    "actor": 64,
    "audio_ref": 512,
    "call_id": 64,
    "line_dialed": 32,
    "department_code": 32,
    "department_name": 128,
    "text": 200,
    "target": 16,
    "trigger": 64,
    "trigger_kind": 16,
    "result": 32,            # a linkage's outcome word (answered, busy ...)
    "handling_result": 20_000,  # a department's 办理结果: it becomes the ticket's reply
}
CALLER_MAX = 32

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CALLER_SEPARATORS = re.compile(r"[\s\-().]")
_CALLER = re.compile(r"\+?[0-9]+")


def clean_text(field: str, value: str | None, *, required: bool = False) -> str | None:
    """Strip control characters, reject over-long text; None/'' stays None unless required."""
    if value is None:
        if required:
            raise InvalidField(field, "必填 (required)")
        return None
    if not isinstance(value, str):
        raise InvalidField(field, "必须是文本 (must be text)")
    text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    limit = LIMITS[field]
    if len(text) > limit:
        raise FieldTooLong(field, limit, len(text))
    if not text.strip():
        if required:
            raise InvalidField(field, "必填 (required)")
        return None
    return text


def clean_actor(actor: str) -> str:
    text = clean_text("actor", actor, required=True)
    return text.strip()


def normalize_caller(value: str | None) -> str | None:
    """Keep the whole number: digits and a leading +, separators dropped, at most 32 chars.

    None or blank (withheld / anonymous caller) gives None.
    """
    if value is None or not str(value).strip():
        return None
    text = _CALLER_SEPARATORS.sub("", str(value))
    if not _CALLER.fullmatch(text):
        raise InvalidField("caller", "只能包含数字和开头的 + (digits and a leading + only)")
    if len(text) > CALLER_MAX:
        raise FieldTooLong("caller", CALLER_MAX, len(text))
    return text


def mask_number(number: str | None) -> str:
    """'13800138000' -> '138****8000': hide the four digits before the last four.

    For roles that must not see full caller numbers; short numbers keep only the last four.
    """
    if not number:
        return ""
    if len(number) <= 4:
        return "*" * len(number)
    hidden = min(4, len(number) - 4)
    keep = len(number) - 4 - hidden
    return number[:keep] + "*" * hidden + number[-4:]
