"""The IVR path of a call as the agent reads it, from the HOTLINE_* variables the call tracker keeps.

Pure: variables in, short Chinese steps out (e.g. 拨打 12315 → 语音留言 → 专席队列 line-12315).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

ACTIONS = {"queue": "排队", "subcenter": "转分中心", "emergency": "应急联动", "hangup": "挂机"}
LANGUAGES = {"yue": "粤语", "en": "English", "zh": "普通话"}


def ivr_path(variables: Mapping[str, str], queues_visited: Sequence[str] = (), line_name: str = "") -> list[str]:
    steps: list[str] = []
    line = variables.get("HOTLINE_LINE", "")
    if line:
        steps.append(f"拨打 {line}" + (f"（{line_name}）" if line_name else ""))
    language = variables.get("HOTLINE_LANG", "")
    if language and language in LANGUAGES and language != "zh":
        steps.append(f"语言：{LANGUAGES[language]}")
    if variables.get("HOTLINE_TICKET"):
        steps.append("语音留言")
    if variables.get("HOTLINE_EMERGENCY"):
        steps.append(f"应急联动 {variables['HOTLINE_EMERGENCY']}")
    action = variables.get("HOTLINE_ACTION", "")
    if action and action != "queue":
        steps.append(ACTIONS.get(action, action))
    seen: list[str] = []
    for queue in queues_visited or [q for q in (variables.get("HOTLINE_QUEUE", ""),) if q]:
        if not seen or seen[-1] != queue:
            seen.append(queue)
    steps.extend(f"队列 {q}" for q in seen)
    return steps
