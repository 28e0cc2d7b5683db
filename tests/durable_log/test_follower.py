"""The follower's promises: a failing sink loses nothing, a first start skips old history, a
partial line waits, and nothing is handed out twice."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from queuelog.follower import QueueLogFollower
from queuelog.sources import FileSource
from queuelog.tail import FileTail, TailPosition

TRACE = Path(__file__).parents[1] / "fixtures" / "traces" / "queue_log" / "13-hotline-dialplan.queue_log"


class Positions:
    def __init__(self) -> None:
        self.saved: dict[str, TailPosition] = {}

    async def load(self, source: str) -> TailPosition | None:
        return self.saved.get(source)

    async def save(self, source: str, position: TailPosition) -> None:
        self.saved[source] = position


def _append(path: Path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


def _clock() -> datetime:
    return datetime.fromtimestamp(1796194200, UTC)


def _follower(path: Path, positions: Positions, sink, **kw) -> QueueLogFollower:
    return QueueLogFollower("pbx1:q", FileSource(FileTail(path)), positions, sink, _clock, **kw)


async def test_given_the_database_fails_then_the_calls_come_again_on_the_next_run(tmp_path):
    path = tmp_path / "queue_log"
    path.write_bytes(TRACE.read_bytes())
    got: list[str] = []
    down = [True]

    async def sink(calls):
        if down[0]:
            raise ConnectionError("database down")
        got.extend(c.callid for c in calls)

    positions = Positions()
    follower = _follower(path, positions, sink, start_at_end=False)
    stats = await follower.catch_up("start")
    assert stats.handed == 0 and stats.deferred == 5 and positions.saved["pbx1:q"].offset < path.stat().st_size
    down[0] = False
    await follower.catch_up("periodic")
    assert len(got) == 5
    await follower.catch_up("periodic")
    assert len(got) == 5                                     # handed once
    restarted = _follower(path, positions, sink)             # a kill after the sink took them all
    await restarted.catch_up("start")
    assert len(got) == 5


async def test_given_a_first_start_then_the_history_already_logged_is_skipped(tmp_path):
    path = tmp_path / "queue_log"
    path.write_bytes(TRACE.read_bytes())
    got: list[str] = []

    async def sink(calls):
        got.extend(c.callid for c in calls)

    positions = Positions()
    await _follower(path, positions, sink).catch_up("start")
    assert got == [] and positions.saved["pbx1:q"].offset == path.stat().st_size
    _append(path, b"1796194200|1796194190.40|hotline-general|NONE|ENTERQUEUE||13900139000|1\n"
                  b"1796194205|1796194190.40|hotline-general|NONE|ABAN")      # Asterisk still writing
    follower = _follower(path, positions, sink)
    await follower.catch_up("periodic")
    assert got == []
    _append(path, b"DON|1|1|5\n")
    await follower.catch_up("periodic")
    assert got == ["1796194190.40"]
