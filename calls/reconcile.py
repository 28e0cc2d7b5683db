"""Make the call log and the worklist equal what Asterisk's queue_log recorded.

A queue_log call is keyed by the queue caller's Uniqueid (`queue_uniqueid` on the call record;
for a call the engine never saw it also stands in for the Linkedid, which queue_log does not
carry). Per call:
- no row: the call is stored with Asterisk's outcome and waits, a miss goes on the worklist
  (`CallLog.record`, so the draft and the answered-caller rules are the same as for live calls);
- a row with another queue outcome (a call answered while the AMI link was down and stored as
  lost track, an abandon that was a timeout): Asterisk's outcome replaces it, and the worklist
  follows: an answered call leaves it, a miss joins it, a miss's reason is corrected;
- a row that agrees: only marked reconciled. Running it again changes nothing.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from calls import worklist
from calls.codes import MISSED_OUTCOMES, MissedStatus, Outcome
from calls.finished import FinishedCall
from calls.models import CallRecord, MissedCall

QUEUE_OUTCOMES = frozenset({Outcome.ANSWERED, Outcome.ABANDONED, Outcome.TIMEOUT, Outcome.NO_AGENT,
                            Outcome.LOST_TRACK, Outcome.IVR_HANGUP, Outcome.FAILED, Outcome.OTHER})
"""Outcomes the queue_log may overrule (emergency and sub-center calls are decided by the dialplan)."""

BATCH = 400


@dataclass
class ReconcileStats:
    seen: int = 0
    inserted: int = 0
    corrected: int = 0
    agreed: int = 0


async def existing_rows(session: AsyncSession, server: str, ids: list[str]) -> dict[str, CallRecord]:
    """Rows of these queue callids, by queue_uniqueid or (for rows stored from queue_log) linkedid."""
    found: dict[str, CallRecord] = {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        rows = (await session.execute(select(CallRecord).where(
            CallRecord.server == server,
            or_(CallRecord.queue_uniqueid.in_(chunk), CallRecord.linkedid.in_(chunk))))).scalars()
        for row in rows:
            for key in (row.queue_uniqueid, row.linkedid):
                if key in chunk and (key not in found or key == row.queue_uniqueid):
                    found[key] = row
    return found


def agrees(row: CallRecord, call: FinishedCall) -> bool:
    return row.outcome == call.outcome.value or Outcome(row.outcome) not in QUEUE_OUTCOMES


async def correct(session: AsyncSession, row: CallRecord, call: FinishedCall, now: datetime,
                  window, wants_draft) -> None:
    """Asterisk's outcome replaces the engine's on `row`; the worklist follows."""
    old = Outcome(row.outcome)
    row.outcome = call.outcome.value
    row.hold_seconds = call.hold_seconds
    row.talk_seconds = call.talk_seconds if call.talk_seconds is not None else row.talk_seconds
    row.answered_member = row.answered_member or worklist.cut(call.answered_member, 128)
    row.answered_at = row.answered_at or call.answered_at
    row.first_queue = row.first_queue or worklist.cut(call.first_queue, 64)
    row.final_queue = worklist.cut(call.final_queue, 64) or row.final_queue
    row.queue_uniqueid = row.queue_uniqueid or call.queue_uniqueid
    row.reconciled_at = now
    was_missed = old in MISSED_OUTCOMES or old is Outcome.IVR_HANGUP  # an IVR hang-up after intake is listed too
    now_missed = call.outcome in MISSED_OUTCOMES
    listed = False
    if was_missed:
        listed = await _withdraw_miss(session, row, now, replaced_by=call.outcome if now_missed else None)
    # an IVR hang-up without a draft was never listed (a call the engine adopted after a restart,
    # its queue visit unseen): Asterisk's miss joins the worklist like any other
    if now_missed and not listed and row.caller_number:
        from calls.service import callable_number  # the one rule for a callable number

        number = callable_number(row.caller_number)
        if number:
            merged = FinishedCall(**{**call.__dict__, "linkedid": row.linkedid, "line": row.line or call.line})
            reason = MISSED_OUTCOMES[call.outcome]
            await worklist.absorb_miss(session, merged, number, reason, now, window, wants_draft(reason))


async def _withdraw_miss(session: AsyncSession, row: CallRecord, now: datetime, replaced_by: Outcome | None) -> bool:
    """Take this call's miss off its pending worklist row (or fix its reason); False when it was not listed."""
    rows = (await session.execute(select(MissedCall).where(
        MissedCall.server == row.server, MissedCall.status == MissedStatus.PENDING.value,
        MissedCall.caller_number == row.caller_number))).scalars().all()
    listed = False
    for missed in rows:
        entries = list(missed.calls or [])
        mine = [e for e in entries if e.get("linkedid") == row.linkedid]
        if not mine and missed.linkedid != row.linkedid:
            continue
        listed = True
        if replaced_by is not None:
            reason = MISSED_OUTCOMES[replaced_by].value
            missed.calls = [{**e, "reason": reason} if e in mine else e for e in entries]
            if missed.linkedid == row.linkedid:
                missed.reason = reason
            missed.updated_at = now
            continue
        rest = [e for e in entries if e not in mine]
        if not rest:
            missed.status = MissedStatus.CLOSED.value
            missed.handled_by = "system"
            missed.note = f"Asterisk 记录为已接通（{row.linkedid}）"
        else:
            missed.calls = rest
            missed.miss_count = max(1, missed.miss_count - len(mine or [None]))
            missed.linkedid = rest[-1].get("linkedid") or missed.linkedid
        missed.updated_at = now
    return listed


def only_new(calls: Iterable[FinishedCall]) -> list[FinishedCall]:
    """One per queue callid (the latest wins), in order."""
    latest: dict[str, FinishedCall] = {}
    for call in calls:
        latest.pop(call.queue_uniqueid, None)
        latest[call.queue_uniqueid] = call
    return list(latest.values())
