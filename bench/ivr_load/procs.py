"""A measured child process driven over JSON lines; `stop()` always ends it (quit, then kill)."""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


class ChildFailed(RuntimeError):
    error_id = "bench.child_failed"


class Child:
    def __init__(self, name: str, module: str, args: list[str], log_path: Path) -> None:
        self.name = name
        self.argv = [sys.executable, "-m", module, *args]
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None
        self.pid = 0

    async def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log, cwd=ROOT,
                limit=256 * 1024 * 1024)
        self.pid = self.proc.pid

    async def read(self, timeout: float) -> dict:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            async with asyncio.timeout(timeout):
                line = await self.proc.stdout.readline()
        except TimeoutError:
            raise ChildFailed(f"{self.name}: no answer within {timeout} s (log: {self.log_path})") from None
        if not line:
            raise ChildFailed(f"{self.name} exited early ({self.tail()})")
        return json.loads(line)

    async def send(self, message: dict) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        await self.proc.stdin.drain()

    async def ask(self, message: dict, timeout: float = 30.0) -> dict:
        await self.send(message)
        return await self.read(timeout)

    async def stop(self, timeout: float = 20.0) -> dict:
        """Ask it to clean up and exit; returns its last message (e.g. tasks left after cleanup)."""
        if self.proc is None or self.proc.returncode is not None:
            return {}
        last: dict = {}
        try:
            await self.send({"op": "quit"})
            self.proc.stdin.close()
            async with asyncio.timeout(timeout):
                while line := await self.proc.stdout.readline():
                    last = json.loads(line)
                await self.proc.wait()
        except (TimeoutError, ConnectionError, json.JSONDecodeError):
            self.proc.kill()
            await self.proc.wait()
            last["killed"] = True
        last["returncode"] = self.proc.returncode
        return last

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
