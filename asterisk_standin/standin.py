"""One object to run the stand-in: Pbx + AMI server on 127.0.0.1 (used by tests, demo, load tests)."""
from __future__ import annotations

import asyncio
from pathlib import Path

from .ami_server import AmiServer
from .clock import Clock
from .pbx import Pbx


class Standin:
    def __init__(self, config_dir: Path, *, time_scale: float = 1.0, ami_port: int = 0, host: str = "127.0.0.1",
                 auth_fail_delay: float = 1.0, sounds_dir: Path | None = None, spool_dir: Path | None = None,
                 agi_map: dict[tuple[str, int], tuple[str, int]] | None = None, unknown_prompt_seconds: float | None = 1.0,
                 queue_log_path: Path | None = None) -> None:
        """`queue_log_path`: where queue_log lines are written (logger.conf `queue_log = yes`)."""
        self.clock = Clock(time_scale)
        self.pbx = Pbx(config_dir, self.clock, sounds_dir=sounds_dir, spool_dir=spool_dir, agi_map=agi_map,
                       unknown_prompt_seconds=unknown_prompt_seconds, queue_log_path=queue_log_path)
        self._queue_started = False
        self.ami = AmiServer(self.pbx, host=host, port=ami_port, auth_fail_delay=auth_fail_delay)

    async def start(self) -> int:
        """Start listening; returns the AMI port (useful with ami_port=0)."""
        if not self._queue_started:
            self._queue_started = True
            self.pbx.queue_start()
        return await self.ami.start()

    async def restart(self, boot_time: float = 0.0) -> None:
        """`core restart now`: every call ends, AMI sessions drop, dynamic queue members are
        forgotten (queues.conf `persistentmembers = no`), and the AMI port answers again with a
        new start-up time (CoreStatus) and a new FullyBooted. With `boot_time` (seconds) AMI answers
        at once but the modules load that long: no FullyBooted and no queue actions until then."""
        await self.ami.stop()
        for chan in list(self.pbx.channels.values()):
            chan.mark_hangup()
        for queue in self.pbx.queues.queues.values():
            for interface in [i for i, m in queue.members.items() if m.dynamic]:
                del queue.members[interface]
        self.pbx.start_time = self.pbx.reload_time = max(self.clock.now(), self.pbx.start_time + 1.0)
        self.ami.booting = boot_time > 0
        self.pbx.queue_start()
        await self.ami.start()
        if boot_time > 0:
            asyncio.get_running_loop().call_later(boot_time, self.ami.finish_boot)

    async def stop(self) -> None:
        await self.ami.stop()
        await self.pbx.shutdown()

    async def __aenter__(self) -> Standin:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
