"""Fakes for the front-end tests: a scripted channel and in-memory collaborators (no production code)."""
from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ivr.fastagi import (
    Command,
    GetFullVariable,
    PlaybackResult,
    RecordFile,
    RecordOutcome,
    RecordResult,
    SayDigits,
    SetVariable,
    StreamFile,
    WaitForDigit,
)
from ivr.frontend import FrontEndSettings, IvrDeps, MenuBook, call_info
from ivr.fastagi import parse_environment
from queues.models import MergeMode
from queues.routing import LineInfo

LINKEDID = "1795352725.1"
CALL_START = datetime.fromtimestamp(1795352725, UTC)
NOW = datetime.fromtimestamp(1795352725 + 30, UTC)  # 2026-11-22 21:05:55 Asia/Shanghai


class FakeChannel:
    """Answers each AGI command: first a scripted reply for its line prefix, else a default.

    `on(prefix, *replies)` queues replies (values or exceptions) for commands whose line starts
    with `prefix`; defaults: prompts play to the end, waits time out, recordings end on silence.
    """

    def __init__(self, linkedid: str | None = LINKEDID) -> None:
        self.sent: list[bytes] = []
        self._scripts: dict[bytes, deque[Any]] = defaultdict(deque)
        self._linkedid = linkedid

    def on(self, prefix: str, *replies: Any) -> FakeChannel:
        self._scripts[prefix.encode()].extend(replies)
        return self

    async def run(self, command: Command[Any]) -> Any:
        self.sent.append(command.line)
        for prefix, replies in self._scripts.items():
            if command.line.startswith(prefix) and replies:
                reply = replies.popleft()
                if isinstance(reply, BaseException):
                    raise reply
                return reply
        if isinstance(command, GetFullVariable):
            return self._linkedid
        if isinstance(command, StreamFile):
            return PlaybackResult(None, 16000)
        if isinstance(command, SayDigits):
            return PlaybackResult(None, 0)
        if isinstance(command, WaitForDigit):
            return None
        if isinstance(command, RecordFile):
            return RecordResult(RecordOutcome.SILENCE, 24000)
        if isinstance(command, SetVariable):
            return None
        raise AssertionError(f"unexpected command {command!r}")

    def lines(self, prefix: str) -> list[str]:
        return [line.decode() for line in self.sent if line.startswith(prefix.encode())]


def key(digit: str) -> PlaybackResult:
    """A prompt interrupted by `digit`."""
    return PlaybackResult(digit, 4000)


class FakeLines:
    def __init__(self, *lines: LineInfo) -> None:
        self.rows = {line.number: line for line in lines}
        self.asked: list[str] = []

    async def get(self, number: str) -> LineInfo | None:
        self.asked.append(number)
        return self.rows.get(number)


class FakeLive:
    def __init__(self, free: int = 0, ahead: int = 0) -> None:
        self.free, self.ahead = free, ahead
        self.asked: list[tuple[str, Any]] = []

    async def available_agents(self, queue: str) -> int:
        self.asked.append(("free", queue))
        return self.free

    async def callers_ahead(self, queue: str, since: datetime) -> int:
        self.asked.append(("ahead", queue, since))
        return self.ahead


@dataclass
class FakeTranscript:
    text: str
    status: str


class FakeTranscriber:
    def __init__(self, text: str = "", status: str | None = None, error: Exception | None = None) -> None:
        self.result = FakeTranscript(text, status or ("done" if text else "empty"))
        self.error = error
        self.paths: list[str] = []
        self.saturated = False

    async def transcribe(self, audio: str, sample_rate: int = 8000) -> FakeTranscript:
        self.paths.append(audio)
        if self.error is not None:
            raise self.error
        return self.result


@dataclass(frozen=True)
class _Guess:
    code: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class _Classification:
    best_type: _Guess | None
    best_category: _Guess | None


class FakeClassifier:
    """'投诉' in the text -> complaint; '噪音' -> category 噪声扰民."""

    def classify(self, text: str) -> _Classification:
        rtype = _Guess(code="complaint", label="投诉") if "投诉" in text else None
        category = _Guess(label="噪声扰民") if "噪音" in text else None
        return _Classification(rtype, category)


@dataclass(frozen=True)
class Hit:
    target: str
    word: str


class FakeEmergency:
    WORDS = {"着火": "119", "抢劫": "110", "晕倒": "120", "车祸": "122"}

    def detect(self, text: str) -> Hit | None:
        for word, target in self.WORDS.items():
            if word in text:
                return Hit(target, word)
        return None


@dataclass
class FakeLinkageLog:
    logged: list[tuple[str, Any]] = field(default_factory=list)

    async def record_linkage(self, ticket_number: str, linkage: Any) -> None:
        self.logged.append((ticket_number, linkage))


@dataclass
class FakeTickets:
    drafts: list[dict[str, Any]] = field(default_factory=list)
    fail: Exception | None = None

    async def create_draft(self, **fields: Any) -> Any:
        if self.fail is not None:
            raise self.fail
        self.drafts.append(fields)
        return _View(f"2026112200{len(self.drafts):04d}")


@dataclass(frozen=True)
class _View:
    number: str


HUB = LineInfo("12345", "12345热线", MergeMode.HUB)
DUAL = LineInfo("12319", "城建热线", MergeMode.PARALLEL, queue="line-12319", overflow_after=45)
RETIRED = LineInfo("12315", "消费者投诉热线", MergeMode.ABSORBED)
SUBCENTER = LineInfo("95598", "供电服务", MergeMode.SUBCENTER, queue="subcenter-95598",
                     dial_target="PJSIP/95598@trunk", overflow_after=30)


def make_deps(tmp_path: Path, *, tickets: Any = None, live: Any = None, transcriber: Any = None,
              settings: FrontEndSettings | None = None, menus: MenuBook | None = None,
              lines: FakeLines | None = None, linkage_log: Any = None, clock: Any = None) -> IvrDeps:
    return IvrDeps(
        settings=settings or FrontEndSettings(),
        menus=menus or MenuBook(),
        lines=lines or FakeLines(HUB, DUAL, RETIRED, SUBCENTER),
        tickets=tickets if tickets is not None else FakeTickets(),
        clock=clock or (lambda: NOW),
        recordings_dir=tmp_path / "rec",
        live=live,
        transcriber=transcriber,
        classifier=FakeClassifier(),
        emergency=FakeEmergency(),
        linkage_log=linkage_log if linkage_log is not None else FakeLinkageLog(),
    )


def env(line: str = "12345", callerid: str = "13800138000", language: str = "zh", **extra: str):
    values = {"agi_network": "yes", "agi_network_script": "ivr", "agi_channel": "PJSIP/trunk-00000001",
              "agi_language": language, "agi_uniqueid": "1795352725.3", "agi_callerid": callerid,
              "agi_calleridname": "Citizen Zhang", "agi_context": "hotline-in", "agi_extension": "s",
              "agi_arg_1": line, **extra}
    block = "".join(f"{k}: {v}\n" for k, v in values.items()) + "\n"
    return parse_environment(block.encode())


def call(line: str = "12345", **kwargs: str):
    return call_info(env(line, **kwargs))


TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"


def trace_env(trace: str = "02a-ami-call-ivr-queue-answered") -> bytes:
    """The exact agi_* block a real Asterisk sent for AGI(agi://127.0.0.1:4573/ivr,12345,zh_CN)."""
    stream = (TRACES / "raw" / f"{trace}.agi1.from_asterisk.bin").read_bytes()
    return stream[:stream.index(b"\n\n") + 2]


async def fake_asterisk(port: int, env_bytes: bytes, replies: list[bytes], *, limit_s: float = 5.0) -> list[bytes]:
    """Connect like Asterisk, send the environment, answer each command line with the next reply."""
    import asyncio

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    pending = iter(replies)
    received: list[bytes] = []
    try:
        async with asyncio.timeout(limit_s):
            writer.write(env_bytes)
            while line := await reader.readline():
                received.append(line)
                writer.write(next(pending, b"200 result=1\n"))
                await writer.drain()
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
    return received
