"""Chinese labels of the transfer capability's ids (targets, modes, states, results), one table each.

The same tables label the ledger page and, through a data attribute, the desk's transfer panel, so a
state reads the same everywhere.
"""
from __future__ import annotations

from types import MappingProxyType

EMERGENCY_TARGETS = MappingProxyType({"110": "公安 110", "119": "消防 119", "120": "急救 120", "122": "交警 122"})

MODES = MappingProxyType({"blind": "一键转接", "threeway": "三方通话", "attended": "咨询转接"})
SUBCENTER_MODES = MappingProxyType({"blind": "直接转接", "attended": "咨询转接"})

IVR_MODE = "语音导航转接"   # the IVR sent the caller (menu key or emergency words), no agent involved
IVR_ACTOR = "语音导航"

KINDS = MappingProxyType({"emergency": "应急联动", "subcenter": "分中心转接"})

STATES = MappingProxyType({
    "requested": "正在发起",
    "dialing": "正在呼叫对方",
    "answered": "对方已接听",
    "conference": "三方通话中",
    "handed_over": "已移交，坐席已退出",
    "ended": "已结束",
    "busy": "对方忙线",
    "no_answer": "对方无人接听",
    "failed": "转接失败",
})

# after a failure, keyed "kind:mode": a blind emergency transfer's citizen went back to the pool first in
# line ([emergency-failed]), a blind sub-center one back to the pool; three-way/attended never left the agent
FAILED_HINTS = MappingProxyType({"emergency:blind": "来电已回到队列首位，将优先接回",
                                 "subcenter:blind": "分中心未接通，来电已回到队列",
                                 "emergency:threeway": "通话仍由您接听", "subcenter:attended": "通话仍由您接听"})

RESULTS = MappingProxyType({"answered": "已接通", "busy": "忙线", "no_answer": "无人接听", "failed": "失败"})

FAILED_STATES = frozenset({"busy", "no_answer", "failed"})
FINAL_STATES = FAILED_STATES | {"ended", "handed_over"}


def label(table, key: str | None, empty: str = "—") -> str:
    return table.get(key, key) if key else empty


def mode_label(kind: str, mode: str) -> str:
    return label(SUBCENTER_MODES if kind == "subcenter" else MODES, mode)


def panel_labels() -> dict:
    """What the desk's script needs to show a transfer's progress (rendered as JSON in a data attribute)."""
    return {"states": dict(STATES), "targets": dict(EMERGENCY_TARGETS), "modes": dict(MODES), "subcenter_modes": dict(SUBCENTER_MODES),
            "hints": dict(FAILED_HINTS),
            "failed": sorted(FAILED_STATES), "final": sorted(FINAL_STATES)}
