"""An Asterisk restart forgets every dynamic queue member; the engine puts its agents back (issue 9.3 / 10.5)."""
from __future__ import annotations

import asyncio

from asterisk_standin.people import Citizen
from hotline.testing import running_hotline


async def _until(predicate, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


def _members(pbx, queue: str) -> dict[str, tuple[str, bool, str]]:
    return {i: (m.name, m.paused, m.paused_reason) for i, m in pbx.queues.queues[queue].members.items()}


async def test_asterisk_restart_puts_every_signed_in_agent_back_with_its_pause_state(tmp_path):
    async with running_hotline(tmp_path) as hotline:
        floor, membership = hotline.engine.services["floor"], hotline.engine.services["membership"]
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=1.0)
        hotline.add_agent("PJSIP/8002", "坐席02", queue="hotline-general", talk_time=1.0)
        hotline.pbx.queues.pause_member(None, "PJSIP/8002", True, "培训")
        await _until(lambda: len(membership.members("standin")) == 2
                     and any(m.paused for m in membership.members("standin")))
        before = _members(hotline.pbx, "hotline-general")

        await hotline.standin.restart()
        assert _members(hotline.pbx, "hotline-general") == {}   # what Asterisk itself keeps

        await _until(lambda: _members(hotline.pbx, "hotline-general") == before)
        assert before["PJSIP/8002"] == ("坐席02", True, "培训")
        await _until(lambda: floor.available_agents("hotline-general") == 1)
        assert membership.restarts_seen == 1

        out = await hotline.finished(hotline.call(Citizen("13800138041", "市民", dialed="12345",
                                                          context="from-trunk")))
        assert out.answered_by == "PJSIP/8001"


async def test_ami_reconnect_without_restart_adopts_asterisks_members_and_adds_nothing(tmp_path):
    async with running_hotline(tmp_path) as hotline:
        membership = hotline.engine.services["membership"]
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=1.0)
        await _until(lambda: len(membership.members("standin")) == 1)
        hotline.pbx.queues.remove_member("hotline-general", "PJSIP/8001")   # signed out while we were away
        for session in list(hotline.standin.ami.sessions):
            session.writer.close()
        await _until(lambda: hotline.standin.ami.sessions and membership.members("standin") == [], timeout=15)
        assert _members(hotline.pbx, "hotline-general") == {} and membership.readded == 0


async def test_engine_that_logs_in_while_asterisk_still_boots_adds_its_agents_back_once_fully_booted(tmp_path):
    """Trace 16: AMI answers before app_queue is loaded; a QueueAdd then is an unknown command."""
    async with running_hotline(tmp_path) as hotline:
        membership = hotline.engine.services["membership"]
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=1.0)
        await _until(lambda: len(membership.members("standin")) == 1)

        await hotline.standin.restart(boot_time=1.5)
        await _until(lambda: hotline.standin.ami.sessions and any(s.authenticated for s in hotline.standin.ami.sessions))
        assert _members(hotline.pbx, "hotline-general") == {}       # still booting: nothing added yet
        await _until(lambda: membership.readded == 1, timeout=15)   # counted once Asterisk answered the QueueAdd
        assert "PJSIP/8001" in _members(hotline.pbx, "hotline-general") and membership.restarts_seen == 1
        await _until(lambda: hotline.engine.services["floor"].available_agents("hotline-general") == 1)


async def test_a_disabled_agent_whose_queueremove_did_not_reach_asterisk_is_not_added_back_after_a_restart(tmp_path):
    from agent_console.auth.revocation import Revoked, Revoker
    from hotline.ami.errors import AmiNotConnected

    class Unreachable:
        async def send(self, name, fields=None):
            raise AmiNotConnected(f"standin: not ready for {name}")

    async with running_hotline(tmp_path) as hotline:
        membership = hotline.engine.services["membership"]
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=1.0)
        hotline.add_agent("PJSIP/8002", "坐席02", queue="hotline-general", talk_time=1.0)
        await _until(lambda: len(membership.members("standin")) == 2)
        done = Revoked()
        await Revoker(None, None, {"standin": Unreachable()}, hotline.engine.services).remove_from_queues(
            "PJSIP/8001", done)
        assert (done.removed, done.failed) == ([], ["hotline-general"])  # said, and logged, not hidden
        assert [m.interface for m in membership.members("standin")] == ["PJSIP/8002"]

        await hotline.standin.restart()
        await _until(lambda: set(hotline.pbx.queues.queues["hotline-general"].members) == {"PJSIP/8002"})
        await asyncio.sleep(0.3)
        assert set(hotline.pbx.queues.queues["hotline-general"].members) == {"PJSIP/8002"}
