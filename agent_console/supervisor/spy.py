"""ChanSpy over AMI, as traced on Asterisk 22.10.1 (trace 11): the supervisor's own phone is dialled
by an Originate whose Application is ChanSpy on the agent's channel; q listens, qw whispers to the
agent, qB barges in (both hear the supervisor). `E` ends the spy when the spied call ends, `S`
ends it at once when no such channel exists, so a finished call never leaves the phone listening
to silence."""
from __future__ import annotations

from dataclasses import dataclass

MODES = {"listen": ("q", "监听"), "whisper": ("qw", "耳语"), "barge": ("qB", "强插")}
RING_SECONDS = 30


class SpyRefused(ValueError):
    def __init__(self, error_id: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.error_id, self.message, self.status = error_id, message, status


def _one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class SpyOn:
    supervisor_phone: str   # rings first: the supervisor answers, then hears the call
    agent_channel: str      # the agent's leg of the call (AgentConnect's DestChannel)
    mode: str
    caller_id: str

    name = "Originate"

    def fields(self) -> dict[str, str]:
        options = MODES[self.mode][0] + "ES"
        return {"Channel": self.supervisor_phone, "Application": "ChanSpy",
                "Data": f"{self.agent_channel},{options}", "CallerID": _one_line(self.caller_id),
                "Timeout": str(RING_SECONDS * 1000), "Async": "true"}


def spy_request(mode: str, supervisor_phone: str | None, agent_channel: str | None, agent_name: str) -> SpyOn:
    """Checks in the order a supervisor can fix them; messages in Chinese."""
    if mode not in MODES:
        raise SpyRefused("console.spy.bad_mode", "请选择监听、耳语或强插", 400)
    if not supervisor_phone:
        raise SpyRefused("console.spy.no_phone", "您的账号未绑定话机，无法监听，请联系管理员")
    if not agent_channel:
        raise SpyRefused("console.spy.not_on_a_call", f"{agent_name}当前没有通话")
    return SpyOn(supervisor_phone, agent_channel, mode, f"{MODES[mode][1]} {agent_name} <spy>")
