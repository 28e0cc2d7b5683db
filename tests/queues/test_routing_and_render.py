"""Merged hotlines: where a dialed number goes, and the Asterisk files rendered from the table."""
from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from hotline.db import Base, make_sessionmaker
from queues.lines import LineService
from queues.models import GENERAL_QUEUE, MergeMode
from queues.render import LINES_FILE, QUEUES_FILE, RenderError, diff, render, write_atomically
from queues.routing import LineInfo, route_call

NOON = time(12, 0)
PARALLEL = LineInfo("12315", "市场监管投诉举报热线", MergeMode.PARALLEL, queue="line-12315", overflow_after=45,
                    hours="08:30-17:30")


def test_12345_and_unknown_numbers_go_to_the_general_pool():
    assert route_call(LineInfo("12345", "政务服务便民热线", MergeMode.HUB), NOON).queue == GENERAL_QUEUE
    assert route_call(None, NOON).queue == GENERAL_QUEUE


def test_dual_number_line_goes_to_its_dedicated_queue_with_overflow_to_the_pool():
    route = route_call(PARALLEL, NOON)
    assert (route.action, route.queue, route.overflow_queue, route.overflow_after) == (
        "queue", "line-12315", GENERAL_QUEUE, 45)
    assert route.channel_variables()["HOTLINE_OVERFLOW_AFTER"] == "45"


def test_dual_number_line_outside_its_hours_goes_straight_to_the_pool():
    assert route_call(PARALLEL, time(20, 0)).queue == GENERAL_QUEUE


def test_retired_number_plays_the_merge_announcement_then_the_12345_flow():
    route = route_call(LineInfo("12369", "生态环境举报热线", MergeMode.ABSORBED), NOON)
    assert route.queue == GENERAL_QUEUE and route.announcement == "merged-number"


def test_subcenter_is_transferred_with_fallback_to_the_pool():
    line = LineInfo("95598", "电力服务热线", MergeMode.SUBCENTER, queue="subcenter-95598", overflow_after=30)
    route = route_call(line, NOON)
    assert (route.action, route.queue, route.overflow_queue) == ("subcenter", "subcenter-95598", GENERAL_QUEUE)


def test_hours_spanning_midnight():
    night = LineInfo("12366", "纳税", MergeMode.PARALLEL, queue="line-12366", hours="22:00-06:00")
    assert route_call(night, time(23, 30)).queue == "line-12366"
    assert route_call(night, time(12, 0)).queue == GENERAL_QUEUE


def test_render_gives_a_queue_per_dedicated_line_and_an_extension_per_number():
    files = render([LineInfo("12345", "政务服务便民热线", MergeMode.HUB), PARALLEL])
    assert "[hotline-general]" in files[QUEUES_FILE] and "[line-12315]" in files[QUEUES_FILE]
    assert "joinempty = paused,unavailable,invalid" in files[QUEUES_FILE]
    assert "exten => 12315,1,Set(__HOTLINE_LINE=12315)" in files[LINES_FILE]


def test_hostile_names_cannot_inject_configuration():
    evil = LineInfo("12319", "城管\n[evil]\nexten => 1,1,System(rm -rf /)", MergeMode.ABSORBED)
    text = render([evil])[LINES_FILE]
    assert "\n[evil]" not in text and "\nexten => 1,1" not in text
    with pytest.raises(RenderError, match="queue"):
        render([LineInfo("12315", "x", MergeMode.PARALLEL, queue="bad]\n[queue")])
    with pytest.raises(RenderError, match="digits"):
        render([LineInfo("12315;x", "x", MergeMode.ABSORBED)])
    with pytest.raises(RenderError, match="专席"):
        render([LineInfo("12315", "x", MergeMode.PARALLEL)])


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", "\r", "\x00"])
async def test_given_a_name_with_a_line_separator_then_not_saved_and_never_a_line_of_its_own(tmp_path, separator):
    """Issue 11.7: a name like "x<U+2028>exten => 9999,..." once gave the stand-in a working extension."""
    from asterisk_standin.config_files import parse_config_text
    from asterisk_standin.dialplan import find_extension, parse_dialplan

    evil = LineInfo("12388", f"惠民热线{separator}exten => 9999,1,Dial(PJSIP/attacker)", MergeMode.ABSORBED)
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'lines.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    service = LineService(make_sessionmaker(engine))
    with pytest.raises(RenderError, match="line separators"):
        await service.save(evil)
    assert await service.get("12388") is None
    await engine.dispose()
    text = render([evil])[LINES_FILE]  # a name stored before the check is rendered harmless
    assert separator not in text and text.splitlines() == text.rstrip("\n").split("\n")
    assert find_extension(parse_dialplan(parse_config_text(text)), "hotline-lines", "9999") is None


def test_diff_previews_then_write_installs(tmp_path):
    files = render([PARALLEL])
    preview = diff(tmp_path, files)
    assert "+[line-12315]" in preview
    write_atomically(tmp_path, files)
    assert diff(tmp_path, files) == ""
    assert (tmp_path / QUEUES_FILE).read_text(encoding="utf-8") == files[QUEUES_FILE]


async def test_lines_table_seeded_from_the_demo_csv_on_both_databases(fresh_database_url):
    engine = create_async_engine(fresh_database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        service = LineService(make_sessionmaker(engine))
        assert await service.import_csv() == 14
        line = await service.get("12315")
        assert line.mode is MergeMode.PARALLEL and line.queue == "line-12315"
        assert (await service.get("12369")).mode is MergeMode.ABSORBED
        assert (await service.get("95598")).queue == "subcenter-95598"
        await service.save(LineInfo("12315", "市场监管投诉举报热线", MergeMode.PARALLEL, queue="line-12315",
                                    overflow_after=90))
        assert (await service.get("12315")).overflow_after == 90
        assert len(await service.list()) == 14
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
        await engine.dispose()


async def test_line_lookups_are_cached_and_a_save_is_seen_at_once(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'l.db'}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        now = [0.0]
        service = LineService(make_sessionmaker(engine), ttl=5.0, monotonic=lambda: now[0])
        other = LineService(make_sessionmaker(engine))  # another engine instance, same database
        await service.import_csv()
        assert (await service.get("12315")).overflow_after == 60
        await other.save(LineInfo("12315", "市场监管投诉举报热线", MergeMode.PARALLEL, queue="line-12315",
                                  overflow_after=30))
        assert (await service.get("12315")).overflow_after == 60  # cached within the ttl
        now[0] = 6.0
        assert (await service.get("12315")).overflow_after == 30  # reloaded after it
        await service.save(LineInfo("12315", "市场监管投诉举报热线", MergeMode.PARALLEL, queue="line-12315",
                                    overflow_after=90))
        assert (await service.get("12315")).overflow_after == 90  # own saves are seen at once
    finally:
        await engine.dispose()


async def test_a_stalled_database_holds_one_lookup_for_the_reload_timeout_and_no_later_one(tmp_path):
    """issue 10.7: a reload stuck on a stalled database (its cleanup stuck too, as asyncpg's is when
    the socket forwards nothing) costs one call `reload_timeout`, then the last known lines serve."""
    import asyncio
    import time as clock

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'l.db'}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        now = [0.0]
        healthy = make_sessionmaker(engine)
        stalled = asyncio.Event()

        class Stuck:  # a session whose query and whose cleanup both wait on the stalled socket
            async def __aenter__(self):
                return self

            async def scalars(self, *args):
                await stalled.wait()
                return []

            async def __aexit__(self, *exc):
                await asyncio.shield(stalled.wait())

        service = LineService(lambda: Stuck() if not stalled.is_set() and now[0] > 0 else healthy(),
                              ttl=5.0, reload_timeout=0.3, monotonic=lambda: now[0])
        await service.import_csv()
        assert (await service.get("12315")).queue == "line-12315"
        now[0] = 6.0                                      # the cache expires while the database stalls
        started = clock.perf_counter()
        async with asyncio.timeout(2):
            assert (await service.get("12315")).queue == "line-12315"
        assert clock.perf_counter() - started < 1.0       # about reload_timeout, not the cleanup's wait
        now[0] = 12.0                                     # the next expiry, the reload still stuck
        started = clock.perf_counter()
        assert (await service.get("12315")).queue == "line-12315"
        assert clock.perf_counter() - started < 0.05      # served at once: nobody queues behind it
        stalled.set()                                     # the database answers again
        await asyncio.sleep(0.05)
        now[0] = 18.0
        assert (await service.get("12345")) is not None   # reloads work again
    finally:
        await engine.dispose()
