"""Per-agent figures from queue_log, as Asterisk recorded them: what an engine restart cannot reset.

Pure: queue_log records in (the agent lines the follower stored, `AGENT_EVENTS`), figures out, by
the definitions in docs/metrics.md. The agent is queue_log's agent field, the member name
(queues.conf `log_membername_as_agent = yes`; the console adds a phone with the user's name).

Lines used (app_queue.c of Asterisk 22, checked against the real queue_log of trace 13):
`ADDMEMBER|[PAUSED]`, `REMOVEMEMBER|`, `PAUSE|reason` / `UNPAUSE|[reason]` per queue (a queue-less
QueuePause logs `PAUSEALL`/`UNPAUSEALL` on queue NONE first, then one line per queue),
`RINGNOANSWER|ms`, `CONNECT|holdtime|member uniqueid|ringtime`, `COMPLETECALLER` /
`COMPLETEAGENT|holdtime|talktime|position`, `BLINDTRANSFER|exten|context|holdtime|talktime|position`,
`ATTENDEDTRANSFER|...|holdtime|talktime|position`, and `QUEUESTART` (Asterisk started: it forgot
every dynamic member and pause).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from queuelog.records import QueueLogRecord

AGENT_EVENTS = frozenset({"ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL",
                          "RINGNOANSWER", "RINGCANCELED", "CONNECT", "COMPLETECALLER", "COMPLETEAGENT",
                          "BLINDTRANSFER", "ATTENDEDTRANSFER", "QUEUESTART"})
"""The queue_log lines kept for the agent figures (the follower stores these)."""

WRAP_UP_REASON = "话后处理"      # the desk's 话后处理 button pauses with this reason
RESTART_GRACE_SECONDS = 120     # the engine re-adds its agents after an Asterisk restart (issue 10.5)
_TALK_END = frozenset({"COMPLETECALLER", "COMPLETEAGENT", "BLINDTRANSFER", "ATTENDEDTRANSFER"})
_NOBODY = frozenset({"", "NONE"})


@dataclass
class Pause:
    started: int
    reason: str
    ended: int | None = None     # None: still paused
    queue: str = ""              # the queue of the call answered last before it (a wrap-up's call)

    def seconds(self, now: int) -> int:
        return max(0, (self.ended if self.ended is not None else now) - self.started)


@dataclass
class Session:
    """Signed in to at least one queue, from the first ADDMEMBER to the REMOVEMEMBER of the last queue."""

    login: int
    logout: int | None = None
    restarted_at: int | None = None   # ended by QUEUESTART; a re-add within the grace continues it


@dataclass
class _Agent:
    queues: set[str] = field(default_factory=set)
    paused_in: dict[str, str] = field(default_factory=dict)   # queue -> reason
    pause: Pause | None = None
    pauses: list[Pause] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)              # CONNECT times
    rings: list[int] = field(default_factory=list)                # RINGNOANSWER times
    talks: list[tuple[int, int]] = field(default_factory=list)    # (end time, talk seconds)
    queue_answers: list[tuple[int, str]] = field(default_factory=list)     # (CONNECT time, queue)
    queue_talks: list[tuple[int, int, str]] = field(default_factory=list)  # (end time, talk seconds, queue)
    last_queue: str = ""                                          # the queue of the last CONNECT
    left: dict[str, int] = field(default_factory=dict)            # queue -> when the agent last left it


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


class AgentTimeline:
    """Feed the agent lines in log order; `figures(since, now)` gives each agent's figures."""

    def __init__(self) -> None:
        self.agents: dict[str, _Agent] = {}
        self.latest = 0

    def feed(self, records: Iterable[QueueLogRecord]) -> AgentTimeline:
        for r in records:
            self.latest = max(self.latest, r.time)
            if r.event == "QUEUESTART":
                self._restart(r.time)
                continue
            if r.agent in _NOBODY or r.event not in AGENT_EVENTS:
                continue
            agent = self.agents.setdefault(r.agent, _Agent())
            if r.event == "ADDMEMBER":
                self._add(agent, r)
            elif r.event == "REMOVEMEMBER":
                self._remove(agent, r)
            elif r.event in ("PAUSE", "UNPAUSE") and r.queue not in _NOBODY:
                if r.event == "PAUSE":
                    agent.paused_in[r.queue] = r.field(1)
                else:
                    agent.paused_in.pop(r.queue, None)
                self._pause_changed(agent, r.time)
            elif r.event == "RINGNOANSWER":
                agent.rings.append(r.time)
            elif r.event == "CONNECT":
                agent.answers.append(r.time)
                agent.queue_answers.append((r.time, r.queue))
                agent.last_queue = r.queue
            elif r.event in _TALK_END:
                talk = r.data[-2] if r.event in ("BLINDTRANSFER", "ATTENDEDTRANSFER") and len(r.data) >= 3 \
                    else r.field(2)
                agent.talks.append((r.time, max(0, _int(talk))))
                agent.queue_talks.append((r.time, max(0, _int(talk)), r.queue))
        return self

    # --- membership and pauses ------------------------------------------------------------------
    def _add(self, agent: _Agent, r: QueueLogRecord) -> None:
        if not agent.queues:
            last = agent.sessions[-1] if agent.sessions else None
            if last is not None and last.restarted_at is not None and r.time - last.restarted_at <= RESTART_GRACE_SECONDS:
                last.logout = last.restarted_at = None      # re-added after an Asterisk restart: one session
            else:
                agent.sessions.append(Session(r.time))
        agent.queues.add(r.queue)
        if r.field(1) == "PAUSED":
            agent.paused_in[r.queue] = ""
        self._pause_changed(agent, r.time)

    def _remove(self, agent: _Agent, r: QueueLogRecord) -> None:
        agent.queues.discard(r.queue)
        agent.left[r.queue] = r.time
        agent.paused_in.pop(r.queue, None)
        if not agent.queues and agent.sessions and agent.sessions[-1].logout is None:
            agent.sessions[-1].logout = r.time
        self._pause_changed(agent, r.time)

    def _restart(self, at: int) -> None:
        """Asterisk started: no dynamic member and no pause survived it."""
        for agent in self.agents.values():
            if agent.queues and agent.sessions and agent.sessions[-1].logout is None:
                agent.sessions[-1].logout = agent.sessions[-1].restarted_at = at
            agent.left.update(dict.fromkeys(agent.queues, at))
            agent.queues.clear()
            agent.paused_in.clear()
            self._pause_changed(agent, at)

    def _pause_changed(self, agent: _Agent, at: int) -> None:
        """The agent is paused while paused in every queue it is in (the live floor's 示忙)."""
        paused = bool(agent.queues) and agent.queues <= agent.paused_in.keys()
        reason = next((agent.paused_in[q] for q in sorted(agent.queues) if agent.paused_in.get(q)), "")
        if agent.pause is not None and (not paused or reason != agent.pause.reason):
            agent.pause.ended = at
            agent.pause = None
        if paused and agent.pause is None:
            agent.pause = Pause(at, reason, queue=agent.last_queue)
            agent.pauses.append(agent.pause)

    def prune(self, before: int) -> None:
        """Forget what ended before `before` (a long-running reader keeps only its windows' lines)."""
        for agent in self.agents.values():
            agent.answers = [t for t in agent.answers if t >= before]
            agent.rings = [t for t in agent.rings if t >= before]
            agent.talks = [(t, s) for t, s in agent.talks if t >= before]
            agent.queue_answers = [a for a in agent.queue_answers if a[0] >= before]
            agent.queue_talks = [a for a in agent.queue_talks if a[0] >= before]
            agent.pauses = [p for p in agent.pauses if p.ended is None or p.ended >= before]
            agent.sessions = [s for s in agent.sessions if s.logout is None or s.logout >= before
                              or s is agent.sessions[-1]]

    # --- figures -----------------------------------------------------------------------------------
    def figures(self, since: int, now: int) -> dict[str, dict]:
        """{member name: figures} from `since` on; a pause or session crossing `since` is clipped, one still
        open lasts until `now`. A line stamped after `now` (the PBX's clock a little ahead) still counts."""
        now = max(now, self.latest)
        out: dict[str, dict] = {}
        for name, agent in self.agents.items():
            answered = sum(1 for t in agent.answers if since <= t <= now)
            rings = sum(1 for t in agent.rings if since <= t <= now)
            talk = sum(s for t, s in agent.talks if since <= t <= now)
            pauses = [p for p in agent.pauses if (p.ended is None or p.ended > since) and p.started <= now]
            log = [{"start": max(p.started, since), "end": p.ended, "reason": p.reason,
                    "seconds": max(0, (p.ended if p.ended is not None else now) - max(p.started, since))}
                   for p in pauses]
            wrap = sum(p["seconds"] for p in log if p["reason"] == WRAP_UP_REASON)
            sessions = [s for s in agent.sessions if (s.logout is None or s.logout >= since) and s.login <= now]
            if not (answered or rings or talk or log or sessions):
                continue
            out[name] = {
                "answered": answered, "ring_no_answer": rings, "talk_seconds": talk,
                "average_talk": round(talk / answered, 1) if answered else None,
                "wrap_up_seconds": wrap,
                "average_handling": round((talk + wrap) / answered, 1) if answered else None,
                "pause_count": len(log), "pause_seconds": sum(p["seconds"] for p in log),
                "pauses": log,
                "first_login": max(sessions[0].login, since) if sessions else None,
                "last_logout": sessions[-1].logout if sessions else None,
                "logged_in": bool(agent.queues),
                "sessions": [{"login": max(s.login, since), "logout": s.logout} for s in sessions],
                "signed_in_seconds": sum(max(0, (s.logout if s.logout is not None else now) - max(s.login, since))
                                         for s in sessions),
                "member_of": sorted(set(agent.queues) | {q for q, t in agent.left.items() if t >= since}),
                "by_queue": self._by_queue(agent, pauses, since, now),
            }
        return out

    @staticmethod
    def _by_queue(agent: _Agent, pauses: list[Pause], since: int, now: int) -> dict[str, dict]:
        """{queue: answered, talk_seconds, wrap_up_seconds} in W; a wrap-up belongs to the queue of the
        call answered last before it."""
        out: dict[str, dict] = {}

        def of(queue: str) -> dict:
            return out.setdefault(queue, {"answered": 0, "talk_seconds": 0, "wrap_up_seconds": 0})

        for t, queue in agent.queue_answers:
            if since <= t <= now:
                of(queue)["answered"] += 1
        for t, seconds, queue in agent.queue_talks:
            if since <= t <= now:
                of(queue)["talk_seconds"] += seconds
        for p in pauses:
            if p.reason == WRAP_UP_REASON and p.queue:
                of(p.queue)["wrap_up_seconds"] += max(0, (p.ended if p.ended is not None else now) - max(p.started, since))
        return out


def agent_figures(records: Iterable[QueueLogRecord], since: int, now: int) -> dict[str, dict]:
    """Every agent's figures over [since, now] from its queue_log lines (read from before `since`
    so a pause or sign-in already open at `since` is known)."""
    return AgentTimeline().feed(records).figures(since, now)
