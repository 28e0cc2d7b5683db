"""What Asterisk did, counted straight from its queue_log file, independently of queuelog/.

The format (Asterisk 22, app_queue.c via ast_queue_log): `time|callid|queue|agent|event|data…`,
callid = the Uniqueid of the channel that ran Queue(). The events a call of ours writes:

    ENTERQUEUE       url|callerid|position
    CONNECT          holdtime|member channel uniqueid|ringtime
    COMPLETECALLER / COMPLETEAGENT   holdtime|talktime|origposition
    ABANDON / EXITWITHTIMEOUT / EXITEMPTY   position|origposition|waittime
    RINGNOANSWER / RINGCANCELED      ms     (not an outcome)

Per visit (one ENTERQUEUE … leave): answered if CONNECTed, else abandoned (ABANDON), timed out
(EXITWITHTIMEOUT) or no agent (EXITEMPTY); a visit left unanswered and followed by another
visit of the same call overflowed. The call's outcome is answered if any visit was, otherwise
its last visit's; its wait is the sum of its visits' waits (docs/metrics.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

LEAVES = {"ABANDON": "abandoned", "EXITWITHTIMEOUT": "timeout", "EXITEMPTY": "no_agent"}


@dataclass
class Visit:
    queue: str
    outcome: str = "waiting"
    wait: int = 0
    agent: str = ""


@dataclass
class AsteriskCall:
    callid: str
    caller: str
    visits: list[Visit] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if any(v.outcome == "answered" for v in self.visits):
            return "answered"
        return self.visits[-1].outcome

    @property
    def wait(self) -> int:
        total = 0
        for visit in self.visits:
            total += visit.wait
            if visit.outcome == "answered":
                break
        return total

    @property
    def agent(self) -> str:
        return next((v.agent for v in self.visits if v.outcome == "answered"), "")

    @property
    def first_queue(self) -> str:
        return self.visits[0].queue

    @property
    def final_queue(self) -> str:
        return self.visits[-1].queue


def read_queue_log(*paths: Path) -> dict[str, AsteriskCall]:
    """Calls by callid, from the files in the order Asterisk wrote them (rotated first)."""
    calls: dict[str, AsteriskCall] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("|")
            if len(parts) < 5:
                continue
            _time, callid, queue, agent, event, *data = parts
            if event == "ENTERQUEUE":
                call = calls.setdefault(callid, AsteriskCall(callid, data[1] if len(data) > 1 else ""))
                call.visits.append(Visit(queue))
                continue
            call = calls.get(callid)
            if call is None:
                continue
            visit = next((v for v in reversed(call.visits) if v.queue == queue), None)
            if visit is None:
                continue
            if event == "CONNECT":
                visit.outcome, visit.wait, visit.agent = "answered", int(data[0]), agent
            elif event in LEAVES:
                visit.outcome, visit.wait = LEAVES[event], int(data[2])
    return calls


def finished(calls: dict[str, AsteriskCall]) -> dict[str, AsteriskCall]:
    """Calls whose visits all ended (none still waiting)."""
    return {k: c for k, c in calls.items() if all(v.outcome != "waiting" for v in c.visits)}


def waits(calls: dict[str, AsteriskCall]) -> dict[str, dict[str, float | int | None]]:
    """Over whole calls, as docs/metrics.md defines the stored figures (a call's wait is its visits'
    waits summed): per final queue answered within 15 s and the average wait of the answered; per
    queue the call was offered in, the longest wait of any such call."""
    out: dict[str, dict] = {}
    for call in calls.values():
        for queue in {v.queue for v in call.visits}:
            out.setdefault(queue, {"answered": [], "all": []})["all"].append(call.wait)
        if call.outcome == "answered":
            out[call.final_queue]["answered"].append(call.wait)
    return {name: {"answered_15s": sum(1 for w in q["answered"] if w <= 15),
                   "average_wait": round(sum(q["answered"]) / len(q["answered"]), 1) if q["answered"] else None,
                   "longest_wait": max(q["all"]) if q["all"] else None} for name, q in out.items()}


def figures(calls: dict[str, AsteriskCall]) -> dict[str, dict[str, int]]:
    """Per queue: offered (visits), answered, abandoned, timeout, overflowed, no_agent."""
    out: dict[str, dict[str, int]] = {}
    for call in calls.values():
        for i, visit in enumerate(call.visits):
            q = out.setdefault(visit.queue, dict.fromkeys(
                ("offered", "answered", "abandoned", "timeout", "overflowed", "no_agent"), 0))
            q["offered"] += 1
            later = i < len(call.visits) - 1
            outcome = "overflowed" if later and visit.outcome != "answered" else visit.outcome
            if outcome in q:
                q[outcome] += 1
    return out
