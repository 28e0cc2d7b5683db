"""AGI media commands: STREAM FILE, GET DATA, WAIT FOR DIGIT, SAY *, RECORD FILE (fact 20 formats).

Timing follows the simulated citizen: digits queued on the channel interrupt playback, a
citizen's `speak()` audio is what RECORD FILE writes (8 kHz 16-bit mono WAV).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .channels import ChannelHungUp
from .recording import write_recording
from .sounds import prompt_duration

if TYPE_CHECKING:
    from .channels import Channel
    from .pbx import Pbx

RATE = 8000
FORMATS = {"wav", "gsm", "ulaw", "alaw", "sln", "wav49", "g722", "g729", "slin", "au"}


class Usage(Exception):
    """Wrong arguments: the caller answers with the multi-line 520 usage text."""


class AgiMedia:
    pbx: Pbx
    chan: Channel

    async def _play(self, name: str, escape: str, offset: int = 0) -> tuple[int, int]:
        """Play a prompt; returns (digit code or 0, endpos samples); (-1, 0) if missing."""
        seconds = prompt_duration(self.pbx.sounds_dir, name, self.chan.language, self.pbx.unknown_prompt_seconds)
        if seconds is None:
            self.pbx.set_var(self.chan, "PLAYBACKSTATUS", "FAILED")
            return -1, 0
        total = int(seconds * RATE)
        self.chan.media_started.set()
        start = self.pbx.clock.now() - offset / RATE
        end = start + seconds
        while True:
            left = end - self.pbx.clock.now()
            if left <= 0:
                break
            digit = await self.chan.wait_digit(left)
            if digit is None:
                break
            if digit in escape:
                pos = min(total, int((self.pbx.clock.now() - start) * RATE))
                self.pbx.set_var(self.chan, "PLAYBACKSTATUS", "SUCCESS")
                return ord(digit), pos
        self.pbx.set_var(self.chan, "PLAYBACKSTATUS", "SUCCESS")
        return 0, total

    async def cmd_stream_file(self, args: list[str], dead: bool) -> str:
        if len(args) < 2:
            raise Usage()
        offset = int(args[2]) if len(args) > 2 and args[2].lstrip("-").isdigit() else 0
        code, pos = await self._play(args[0], args[1], offset)
        return f"200 result={code} endpos={pos}\n"

    async def cmd_control_stream_file(self, args: list[str], dead: bool) -> str:
        if len(args) < 2:
            raise Usage()
        code, pos = await self._play(args[0], args[1])
        return f"200 result={code} endpos={-1 if code == 0 else pos}\n"

    async def cmd_get_data(self, args: list[str], dead: bool) -> str:
        if not args:
            raise Usage()
        timeout = int(args[1]) / 1000 if len(args) > 1 and args[1].isdigit() and int(args[1]) > 0 else 6.0
        maxdigits = int(args[2]) if len(args) > 2 and args[2].isdigit() else 1024
        code, _ = await self._play(args[0], "0123456789*#")
        digits = ""
        if code > 0:
            first = chr(code)
            if first == "#":
                return "200 result=\n"
            digits = first
        elif code < 0:
            return "200 result=-1\n"
        while len(digits) < maxdigits:
            digit = await self.chan.wait_digit(timeout)
            if digit is None:
                return f"200 result={digits} (timeout)\n"
            if digit == "#":
                break
            digits += digit
        return f"200 result={digits}\n"

    async def cmd_wait_for_digit(self, args: list[str], dead: bool) -> str:
        if not args or not args[0].lstrip("-").isdigit():
            raise Usage()
        ms = int(args[0])
        digit = await self.chan.wait_digit(None if ms < 0 else ms / 1000)
        return f"200 result={ord(digit) if digit else 0}\n"

    async def _say(self, files: list[str], escape: str) -> str:
        for name in files:
            code, _ = await self._play(name, escape)
            if code != 0:
                return f"200 result={code}\n"
        return "200 result=0\n"

    async def cmd_say_digits(self, args: list[str], dead: bool) -> str:
        if len(args) < 2 or not args[0].isdigit():
            raise Usage()
        return await self._say([f"digits/{d}" for d in args[0]], args[1])

    async def cmd_say_number(self, args: list[str], dead: bool) -> str:
        if len(args) < 2 or not args[0].lstrip("-").isdigit():
            raise Usage()
        n = int(args[0])
        files = [f"digits/{n}"] if 0 <= n <= 20 else [f"digits/{n // 10 * 10}"] + ([f"digits/{n % 10}"] if n % 10 else [])
        return await self._say(files, args[1])

    async def cmd_say_alpha(self, args: list[str], dead: bool) -> str:
        if len(args) < 2:
            raise Usage()
        return "200 result=0\n"

    async def cmd_say_date(self, args: list[str], dead: bool) -> str:
        return "200 result=0\n"

    async def cmd_say_time(self, args: list[str], dead: bool) -> str:
        return "200 result=0\n"

    async def cmd_get_option(self, args: list[str], dead: bool) -> str:
        if len(args) < 2:
            raise Usage()
        code, pos = await self._play(args[0], args[1])
        return f"200 result={code} endpos={pos}\n"

    async def cmd_record_file(self, args: list[str], dead: bool) -> str:
        """res_agi handle_recordfile: beep, then record until timeout / escape digit / silence / hangup.

        The file exists from the start (a bad path answers `(writefile)` at once); a hang-up keeps
        what was recorded so far and answers `result=-1 (hangup)` (the async `HANGUP` follows).
        """
        if len(args) < 4:
            raise Usage()
        path, fmt, escape, timeout_ms = args[0], args[1], args[2], int(args[3]) if args[3].lstrip("-").isdigit() else -1
        silence = next((float(a[2:]) for a in args[4:] if a.lower().startswith("s=") and _is_number(a[2:])), None)
        beep = (len(args) > 4 and not args[4].lstrip("-").isdigit() and not args[4].startswith("s=")) or (
            len(args) > 5 and not args[5].startswith("s="))
        if fmt.lower() not in FORMATS:
            return "200 result=-1 (writefile)\n"
        if beep:
            try:
                code, _ = await self._play("beep", escape)
            except ChannelHungUp:
                code = -1
            if code != 0:
                return f"200 result={code} (randomerror) endpos=0\n"
        target = self._spool_path(path + "." + ("wav" if fmt.lower() == "wav" else fmt))
        speech = getattr(self.chan.endpoint, "speech_for_recording", None)
        try:
            write_recording(target, 0, None)
        except OSError:
            return "200 result=-1 (writefile)\n"
        end_reason, code, samples = await self._record(escape, timeout_ms, silence, speech[1] if speech else 0.0)
        try:
            write_recording(target, samples, speech[0] if speech else None)
        except OSError:
            return "200 result=-1 (writefile)\n"
        return f"200 result={code} ({end_reason}) endpos={samples}\n"

    async def _record(self, escape: str, timeout_ms: int, silence: float | None, speech_len: float) -> tuple[str, int, int]:
        """(reason, result code, samples kept) of one recording."""
        start = self.pbx.clock.now()
        limit = None if timeout_ms < 0 else timeout_ms / 1000
        silence_cut = None if silence is None else speech_len + silence
        stop_at = min(x for x in (limit, silence_cut, 1e9) if x is not None)
        end_reason, code = "timeout", 0
        while True:
            left = start + stop_at - self.pbx.clock.now()
            if left <= 0:
                break
            try:
                digit = await self.chan.wait_digit(left)
            except ChannelHungUp:
                end_reason, code = "hangup", -1
                break
            if digit is None:
                break
            if digit in escape:
                end_reason, code = "dtmf", ord(digit)
                break
        elapsed = stop_at if end_reason == "timeout" else min(self.pbx.clock.now() - start, stop_at)
        samples = int(elapsed * RATE)
        if end_reason == "timeout" and silence_cut is not None and (limit is None or silence_cut < limit):
            code = int(((limit or elapsed) - elapsed) * 1000) if limit else 0
            samples = max(0, int((elapsed - silence + 1.0) * RATE))
        return end_reason, code, samples

    def _spool_path(self, path: str) -> Path:
        if self.pbx.spool_dir is not None and Path(path).is_absolute():
            return self.pbx.spool_dir / path.lstrip("/")
        if self.pbx.spool_dir is not None:
            return self.pbx.spool_dir / path
        return Path(path)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
