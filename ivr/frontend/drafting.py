"""The ticket draft every call that reached intake leaves behind, and the emergency linkage on it.

Guesses (request type, category) are only suggestions the agent confirms; anything the ticket
store would refuse is dropped rather than losing the draft, and if the full draft still fails
a minimal one (call id, caller, audio) is tried before giving up.
"""
from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from ivr.frontend.callinfo import CallInfo
from ivr.frontend.draft_spool import DraftDeferred
from ivr.frontend.driver import Effect
from ivr.frontend.intake import Intake
from ivr.frontend.ports import IvrDeps, Linkage
from tickets.codes import RequestType

_TARGET_NAMES = {"110": "公安110", "119": "消防119", "120": "急救120", "122": "交警122"}


@dataclass(frozen=True)
class Understanding:
    request_type: str | None = None
    category: str | None = None
    emergency_target: str | None = None
    emergency_word: str | None = None


def understand(deps: IvrDeps, text: str | None, notes: list[str]) -> Generator[Any, Any, Understanding]:
    """Emergency words first (they decide the route), then the classification guesses."""
    if not text:
        return Understanding()
    target = word = None
    if deps.emergency is not None:
        try:
            hit = yield Effect(deps.emergency.detect, text)
        except Exception as exc:  # noqa: BLE001 - a broken detector must not drop the call
            notes.append(f"emergency detection failed: {type(exc).__name__}: {exc}")
            hit = None
        if hit is not None:
            target, word = str(hit.target), str(hit.word)
    request_type = category = None
    if deps.classifier is not None:
        try:
            guess = yield Effect(deps.classifier.classify, text)
        except Exception as exc:  # noqa: BLE001
            notes.append(f"classification failed: {type(exc).__name__}: {exc}")
            guess = None
        request_type = _request_type(getattr(getattr(guess, "best_type", None), "code", None))
        label = getattr(getattr(guess, "best_category", None), "label", None)
        category = str(label)[:64] if label else None
    return Understanding(request_type, category, target, word)


def _request_type(code: Any) -> str | None:
    try:
        return RequestType.parse(code).value if code else None
    except ValueError:
        return None


def linkage_note(linkage: Linkage) -> str:
    how = "关键词" if linkage.trigger_kind == "keyword" else "按键"
    result = "已转接" if linkage.result == "routed" else "未转接（来电人已挂机）"
    return (f"【紧急联动】{linkage.at:%Y-%m-%d %H:%M:%S} {_TARGET_NAMES.get(linkage.target, linkage.target)}"
            f"，触发{how}：{linkage.trigger}，{result}")


def file_draft(deps: IvrDeps, call: CallInfo, call_id: str | None, intake: Intake | None,
               understanding: Understanding, linkage: Linkage | None,
               notes: list[str]) -> Generator[Any, Any, str | None]:
    """Create the draft; returns its number, or None when the ticket store is unreachable."""
    intake = intake or Intake()
    fields: dict[str, Any] = dict(
        actor="ivr", caller=call.caller, channel="phone", call_id=call_id, line_dialed=call.line,
        audio_ref=intake.audio_ref, transcript=intake.transcript, transcript_status=intake.transcript_status,
    )
    full = dict(fields, request_type=understanding.request_type, category=understanding.category,
                content=linkage_note(linkage) if linkage else None,
                urgency="life_property" if linkage else "normal")
    for attempt in (full, fields):
        try:
            view = yield Effect(deps.tickets.create_draft, **attempt)
        except DraftDeferred as exc:  # on disk, filed once the database answers: no number to give now
            notes.append(f"ticket draft deferred: {exc}")
            return None
        except Exception as exc:  # noqa: BLE001 - try the minimal draft, then report
            notes.append(f"ticket draft failed: {type(exc).__name__}: {exc}")
            continue
        return view.number
    return None


def follow_linkage(deps: IvrDeps, channel: str | None, call_id: str | None, caller: str | None,
                   ticket: str | None, linkage: Linkage, notes: list[str]) -> Generator[Any, Any, None]:
    """Before the dialplan dials the emergency line, so the ledger sees that Dial() from its start."""
    if deps.linkage_follow is None or not channel:
        return
    try:
        yield Effect(deps.linkage_follow.follow, channel, call_id, caller, ticket, linkage)
    except Exception as exc:  # noqa: BLE001 - routing the caller matters more than the ledger
        notes.append(f"emergency linkage not followed: {type(exc).__name__}: {exc}")


def log_linkage(deps: IvrDeps, ticket: str | None, linkage: Linkage, notes: list[str]) -> Generator[Any, Any, None]:
    if ticket is None or deps.linkage_log is None:
        notes.append(f"emergency linkage not logged on a ticket: {linkage}")
        return
    try:
        yield Effect(deps.linkage_log.record_linkage, ticket, linkage)
    except Exception as exc:  # noqa: BLE001 - routing the caller matters more than the log
        notes.append(f"emergency linkage log failed: {type(exc).__name__}: {exc}")
