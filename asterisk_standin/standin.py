"""One object to run the stand-in: Pbx + AMI server on 127.0.0.1 (used by tests, demo, load tests)."""
from __future__ import annotations

from pathlib import Path

from .ami_server import AmiServer
from .clock import Clock
from .pbx import Pbx


class Standin:
    def __init__(self, config_dir: Path, *, time_scale: float = 1.0, ami_port: int = 0, host: str = "127.0.0.1",
                 auth_fail_delay: float = 1.0, sounds_dir: Path | None = None, spool_dir: Path | None = None,
                 agi_map: dict[tuple[str, int], tuple[str, int]] | None = None, unknown_prompt_seconds: float | None = 1.0) -> None:
        self.clock = Clock(time_scale)
        self.pbx = Pbx(config_dir, self.clock, sounds_dir=sounds_dir, spool_dir=spool_dir, agi_map=agi_map,
                       unknown_prompt_seconds=unknown_prompt_seconds)
        self.ami = AmiServer(self.pbx, host=host, port=ami_port, auth_fail_delay=auth_fail_delay)

    async def start(self) -> int:
        """Start listening; returns the AMI port (useful with ami_port=0)."""
        return await self.ami.start()

    async def restart(self) -> None:
        """`core restart now`: every call ends, AMI sessions drop, dynamic queue members are
        forgotten (queues.conf `persistentmembers = no`), and the AMI port answers again with a
        new start-up time (CoreStatus) and a new FullyBooted."""
        await self.ami.stop()
        for chan in list(self.pbx.channels.values()):
            chan.mark_hangup()
        for queue in self.pbx.queues.queues.values():
            for interface in [i for i, m in queue.members.items() if m.dynamic]:
                del queue.members[interface]
        self.pbx.start_time = self.pbx.reload_time = max(self.clock.now(), self.pbx.start_time + 1.0)
        await self.ami.start()

    async def stop(self) -> None:
        await self.ami.stop()
        await self.pbx.shutdown()

    async def __aenter__(self) -> Standin:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
