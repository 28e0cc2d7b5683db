"""Front-end settings: one frozen value built by the lead from the `[ivr]` config section."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ivr.frontend.errors import SettingsError
from ivr.frontend.menus import AGENT, EMERGENCY_TARGETS, Menu, MenuAction
from queues.models import GENERAL_QUEUE

_LANG = re.compile(r"[a-z]{2,3}(_[A-Za-z]{2,4})?")
_PROMPT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/]*")


@dataclass(frozen=True)
class Prompts:
    """Prompt catalogue names (sound files, looked up by Asterisk in the channel's language).

    An empty name skips that prompt.
    """

    greeting: str = "hotline/welcome"                     # 您好，这里是12345热线，按0转人工
    merged_number: str = "hotline/merged-number"          # 本号码已整体并入12345
    choose_language: str = "hotline/choose-language"      # 普通话请按1，粤语请按2，English press 3
    invalid: str = "hotline/invalid"
    intake_invite: str = "hotline/intake-invite"          # 坐席忙，请在提示音后说出您的诉求，按任意键跳过
    intake_thanks: str = "hotline/intake-thanks"          # 已记录，正在为您转接，您的排队位置已保留
    emergency_transfer: str = "hotline/emergency-transfer"  # 正在为您转接紧急救援
    goodbye: str = "hotline/goodbye"
    ticket_number: str = "hotline/ticket-number"            # 您的工单编号是 (then SAY DIGITS), after intake
    ticket_number_after: str = "hotline/ticket-number-after"  # 请记录，查询办理进度时需要用到


@dataclass(frozen=True)
class FrontEndSettings:
    """`languages[0]` is the default; more than one offers the language menu (key n = languages[n-1])."""

    languages: tuple[str, ...] = ("zh",)
    language_timeout_ms: int = 4000
    language_retries: int = 1
    set_channel_language: bool = True
    intake: bool = True
    max_record_seconds: int = 60
    silence_seconds: int = 3
    beep: bool = True
    record_format: str = "wav"
    transcribe_wait_seconds: float = 10.0
    general_queue: str = GENERAL_QUEUE
    emergency_targets: tuple[str, ...] = EMERGENCY_TARGETS
    timezone: str = "Asia/Shanghai"
    max_menu_steps: int = 12
    # 工单查询 status line (issue 13.3), off by default on 12345 itself (GB/T 33358: a thin front end):
    # on `status_key_lines` the greeting also takes `status_key`; `status_lines` are numbers of their own
    # that go straight to it. A line is its number as dialed (HOTLINE_LINE).
    status_key: str = "9"
    status_key_lines: tuple[str, ...] = ()
    status_lines: tuple[str, ...] = ()
    prompts: Prompts = field(default_factory=Prompts)

    def __post_init__(self) -> None:
        problems = []
        if not self.languages or len(self.languages) > 9:
            problems.append("languages: 1 to 9 language codes")
        problems += [f"languages: {c!r} is not like zh, yue, en" for c in self.languages if not _LANG.fullmatch(c)]
        if len(set(self.languages)) != len(self.languages):
            problems.append("languages: duplicates")
        if not 1 <= self.max_record_seconds <= 600:
            problems.append("max_record_seconds: 1..600")
        if not 0 <= self.silence_seconds <= 60:
            problems.append("silence_seconds: 0..60 (0 = no silence end)")
        if not 0 < self.transcribe_wait_seconds <= 120:
            problems.append("transcribe_wait_seconds: above 0, at most 120")
        if not 500 <= self.language_timeout_ms <= 60000 or not 0 <= self.language_retries <= 9:
            problems.append("language_timeout_ms 500..60000, language_retries 0..9")
        problems += [f"emergency_targets: {t!r} is not one of {'/'.join(EMERGENCY_TARGETS)}"
                     for t in self.emergency_targets if t not in EMERGENCY_TARGETS]
        if self.record_format not in ("wav", "gsm", "ulaw", "alaw", "sln"):
            problems.append("record_format: wav (8 kHz 16-bit, what the transcriber reads) or gsm/ulaw/alaw/sln")
        problems += [f"prompts.{f.name}: {getattr(self.prompts, f.name)!r} is not a prompt name"
                     for f in fields(self.prompts)
                     if getattr(self.prompts, f.name) and not _PROMPT.fullmatch(getattr(self.prompts, f.name))]
        if self.status_key not in tuple("123456789*#") or len(self.status_key) != 1:
            problems.append("status_key: one key 1-9, * or # (0 is always the agent)")
        try:
            ZoneInfo(self.timezone)
        except (ValueError, ZoneInfoNotFoundError):
            problems.append(f"timezone: unknown {self.timezone!r} (e.g. Asia/Shanghai)")
        if problems:
            raise SettingsError("[ivr] " + "; ".join(problems))

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def language_menu(self) -> Menu | None:
        """The 普通话/粤语/English choice as an ordinary menu; no choice made = the default language."""
        if len(self.languages) < 2:
            return None
        options: dict[str, MenuAction] = {str(i): MenuAction("lang", code) for i, code in enumerate(self.languages, 1)}
        options["0"] = AGENT
        return Menu("language", self.prompts.choose_language or "hotline/choose-language", options,
                    self.language_timeout_ms, self.language_retries, self.prompts.invalid or "hotline/invalid",
                    MenuAction("lang", self.default_language))

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> FrontEndSettings:
        """From the `[ivr]` table (and its `[ivr.prompts]` sub-table); unknown keys are refused."""
        section = dict(section)
        prompts = section.pop("prompts", {}) or {}
        known = {f.name for f in fields(cls)} - {"prompts"}
        unknown = (set(section) - known) | {f"prompts.{k}" for k in set(prompts) - {f.name for f in fields(Prompts)}}
        if unknown:
            raise SettingsError(f"[ivr] unknown keys: {', '.join(sorted(unknown))}")
        for key in ("languages", "emergency_targets", "status_key_lines", "status_lines"):
            if key in section:
                section[key] = tuple(str(v) for v in section[key])
        return cls(**section, prompts=Prompts(**prompts))
