"""Trace comparison helpers: per-channel event sequences and header shapes."""
from __future__ import annotations

import re

from .amiclient import get

IGNORED = {"VarSet", "DeviceStateChange", "FullyBooted", "SuccessfulAuth", "RequestBadFormat"}
_SUFFIX = re.compile(r"-[0-9a-f]{8}(;[12])?$")


def role(name: str) -> str:
    return _SUFFIX.sub(lambda m: "-N" + (m.group(1) or ""), name)


def events(msgs) -> list[list[tuple[str, str]]]:
    return [m for m in msgs if m[0][0] == "Event" and m[0][1] not in IGNORED]


def per_channel(msgs) -> dict[str, list[str]]:
    """Channel role → ordered event names (the order Asterisk guarantees is per channel)."""
    out: dict[str, list[str]] = {}
    for m in events(msgs):
        chan = get(m, "Channel")
        if m[0][1] == "OriginateResponse":
            chan = "OriginateResponse"  # emitted by the originate thread: its place among ;1 events varies (02a vs 05b)
        if chan:
            out.setdefault(role(chan), []).append(m[0][1])
    return out


def shapes(msgs) -> dict[str, list[str]]:
    """Event name → header names in order (first occurrence)."""
    out: dict[str, list[str]] = {}
    for m in events(msgs):
        out.setdefault(m[0][1], [k for k, _ in m])
    return out


def linkedid_ok(msgs) -> bool:
    first = None
    for m in events(msgs):
        if m[0][1] == "Newchannel" and first is None:
            first = get(m, "Uniqueid")
        lid = get(m, "Linkedid")
        if lid is not None and first is not None and lid != first:
            return False
    return first is not None


class ChannelMap:
    """Maps trace channel names to ours: the k-th trace channel of a role is our k-th channel of that role."""

    def __init__(self, trace_msgs, client) -> None:
        self.client = client
        self.trace_order = self._order(trace_msgs)
        self.trace_bridges = self._bridges(trace_msgs)

    @staticmethod
    def _bridges(msgs) -> list[str]:
        return [get(m, "BridgeUniqueid") for m in msgs if m[0] == ("Event", "BridgeCreate")]

    async def ours_bridge(self, trace_id: str) -> str:
        if trace_id not in self.trace_bridges:
            return trace_id
        k = self.trace_bridges.index(trace_id)
        await self.client.wait_for(lambda _m: len(self._bridges(self.client.messages)) > k)
        return self._bridges(self.client.messages)[k]

    @staticmethod
    def _order(msgs) -> list[str]:
        return [get(m, "Channel") for m in msgs if m[0] == ("Event", "Newchannel")]

    async def ours(self, trace_name: str) -> str:
        r = role(trace_name)
        same = [n for n in self.trace_order if role(n) == r]
        if trace_name not in same:
            return trace_name
        k = same.index(trace_name)

        def ready(_m) -> bool:
            return len([n for n in self._order(self.client.messages) if role(n) == r]) > k

        await self.client.wait_for(ready)
        return [n for n in self._order(self.client.messages) if role(n) == r][k]


MILESTONES = ("QueueCallerJoin", "AgentCalled", "AgentConnect", "AgentComplete", "QueueCallerLeave", "Hangup", "BridgeEnter",
              "OriginateResponse", "QueueMemberStatus", "Newexten", "DTMFEnd", "Hold", "Unhold", "MusicOnHoldStop",
              "ChanSpyStart", "ChanSpyStop", "ConfbridgeJoin", "ConfbridgeLeave")


def milestones_before(msgs, action_id: str) -> dict[str, int]:
    """How many of each milestone event the trace showed before the response to `action_id`."""
    counts = dict.fromkeys(MILESTONES, 0)
    for m in msgs:
        if m[0][0] == "Response" and get(m, "ActionID") == action_id:
            break
        if m[0][0] == "Event" and m[0][1] in counts:
            counts[m[0][1]] += 1
    return counts


async def replay(client, trace_name: str, *, skip_login: bool = True, limit: float = 15.0, rewrite=None) -> None:
    """Send the trace's requests in order, each once our stream reached the trace's milestones."""
    from asterisk_standin.ami_wire import RequestParser

    from .amiclient import TRACES, trace_messages

    theirs = trace_messages(trace_name)
    cmap = ChannelMap(theirs, client)
    data = (TRACES / "raw" / f"{trace_name}.ami1.to_asterisk.bin").read_bytes()
    requests = [r for r in RequestParser().feed(data) if hasattr(r, "headers")]
    for req in requests[1:] if skip_login else requests:
        headers = {k: v.decode("utf-8", "replace") for k, v in req.headers}
        action = headers.pop("Action")
        want = milestones_before(theirs, headers.get("ActionID", ""))

        def reached(_m, want=want) -> bool:
            have = dict.fromkeys(MILESTONES, 0)
            for m in client.messages:
                if m[0][0] == "Event" and m[0][1] in have:
                    have[m[0][1]] += 1
            return all(have[k] >= v for k, v in want.items())

        await client.wait_for(reached, limit=limit)
        for key in ("Channel", "ExtraChannel"):
            if key in headers and re.search(r"-[0-9a-f]{8};[12]$", headers[key]):
                headers[key] = await cmap.ours(headers[key])
        if "Data" in headers:
            for name in re.findall(r"[\w/@.-]+-[0-9a-f]{8};[12]", headers["Data"]):
                headers["Data"] = headers["Data"].replace(name, await cmap.ours(name))
        if "BridgeUniqueid" in headers:
            headers["BridgeUniqueid"] = await cmap.ours_bridge(headers["BridgeUniqueid"])
        if action.lower() == "logoff":
            continue
        if rewrite is not None:
            headers = rewrite(action, headers)
        await client.action(action, **headers)


def assert_same_per_channel(ours, theirs) -> None:
    """per_channel equality with a readable unified diff per channel role."""
    import difflib

    a, b = per_channel(ours), per_channel(theirs)
    problems = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            diff = "\n".join(difflib.unified_diff(b.get(key, []), a.get(key, []), "trace", "standin", lineterm="", n=2))
            problems.append(f"--- {key}\n{diff}")
    assert not problems, "\n".join(problems)


def without_tone_loop(msgs):
    """The lab's `caller,tone` half loops Playback(1 s)+Goto: how many loops depends on wall time, not on Asterisk."""
    return [m for m in msgs if not (m[0] == ("Event", "Newexten") and get(m, "Context") == "caller" and get(m, "Exten") == "tone")]
