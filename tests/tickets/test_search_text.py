"""Text search over tickets, on SQLite and PostgreSQL: a two-character Chinese word finds its tickets,
any substring still matches (the meaning of the old LIKE), newest first, with the other filters; on
PostgreSQL the search goes through the bigram index (tickets/search.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from agent_console.ticketpages.listing import build_query, parse_filters
from hotline.migrate import upgrade
from tickets import search

CENTER = frozenset({"supervisor"})


async def _ticket(service, content: str, *, reply: str | None = None, dept: str | None = None) -> str:
    draft = await service.create_draft(actor="agent01", caller="13800138000", content=content)
    await service.register(draft.number, "agent01", request_type="complaint", content=content)
    if dept:
        await service.dispatch(draft.number, dept, [], "agent01")
        if reply:
            await service.accept(draft.number, dept, "dept01")
            await service.reply(draft.number, reply, "dept01", dept=dept, contact="电话联系")
    return draft.number


@pytest.fixture
async def seven(service, clock, engine):
    from hotline.db import Base
    from supervision.models import TABLES as SUPERVISION  # the list shows each ticket's 时限 mark

    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=SUPERVISION))
    numbers = {}
    for key, content in [("noise", "小区夜间施工噪音扰民"), ("stall", "小区门口占道经营，堵塞人行道"),
                         ("water", "小区停水三天"), ("noise2", "广场舞噪音太大"), ("latin", "WiFi 信号差"),
                         ("lamp", "路灯不亮")]:
        numbers[key] = await _ticket(service, content)
        clock.advance(minutes=1)
    numbers["replied"] = await _ticket(service, "井盖缺失", dept="cgj", reply="已补装井盖，并设置警示标志")
    yield numbers
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=SUPERVISION))


async def _listed(sessions, query: dict) -> list[str]:
    async with sessions() as session:
        rows = (await session.execute(build_query(parse_filters(query), roles=CENTER, username="lead01",
                                                  department_id=None, filter_department_id=None))).all()
    return [row[0].number for row in rows]


async def test_given_chinese_tickets_when_searching_a_two_character_word_then_exactly_its_tickets_newest_first(
        service, sessions, seven):
    assert await _listed(sessions, {"q": "噪音"}) == [seven["noise2"], seven["noise"]]
    assert [t.number for t in await service.search(text="噪音")] == [seven["noise2"], seven["noise"]]
    assert await _listed(sessions, {"q": "停水"}) == [seven["water"]]
    assert await _listed(sessions, {"q": "警示"}) == [seven["replied"]]  # the department's reply
    assert await _listed(sessions, {"q": "垃圾"}) == []


async def test_given_chinese_tickets_when_searching_any_substring_then_it_matches_as_before(service, sessions, seven):
    assert await _listed(sessions, {"q": "音扰"}) == [seven["noise"]]  # across words: still a substring match
    assert await _listed(sessions, {"q": "占道经营，堵塞"}) == [seven["stall"]]
    assert await _listed(sessions, {"q": "wifi"}) == [seven["latin"]]  # any case
    assert await _listed(sessions, {"q": "灯"}) == [seven["lamp"]]  # one character: no bigram, still found
    assert [t.number for t in await service.search(text="小区")] == [seven["water"], seven["stall"], seven["noise"]]


async def test_given_a_search_with_filters_then_only_tickets_matching_both(service, sessions, seven):
    assert await _listed(sessions, {"q": "井盖", "status": "replied"}) == [seven["replied"]]
    assert await _listed(sessions, {"q": "噪音", "status": "replied"}) == []
    assert [t.number for t in await service.search(text="小区", limit=1)] == [seven["water"]]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_given_postgresql_when_searching_a_rare_word_then_the_bigram_index_answers(service, sessions, seven):
    async with sessions() as session:
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        stmt = build_query(parse_filters({"q": "井盖"}), roles=CENTER, username="lead01", department_id=None,
                           filter_department_id=None)
        sql = str(stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        plan = "\n".join(r[0] for r in await session.execute(text("EXPLAIN " + sql)))
    assert search.INDEX in plan


@pytest.mark.postgres
@pytest.mark.parametrize("fresh_database_url", ["postgres"], indirect=True)
async def test_given_the_migrations_then_postgresql_has_the_text_index_and_finds_a_word(fresh_database_url):
    import asyncio

    await asyncio.to_thread(upgrade, fresh_database_url)
    from hotline.db import make_engine

    engine = make_engine(fresh_database_url)
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM pg_indexes WHERE indexname = :n"),
                                     {"n": search.INDEX}) == 1
            assert await conn.scalar(text("SELECT hotline_ticket_bigrams('噪音扰民', NULL, 'OK', NULL) "
                                          "@> hotline_bigrams('音扰')"))
    finally:
        await engine.dispose()


async def test_given_tickets_of_two_agents_then_an_agent_lists_exactly_those_it_handled_newest_first(
        service, sessions, seven, clock):
    """The agent's own list reads its ticket ids first (tickets/id_among.py: ANY(ARRAY) on PostgreSQL)."""
    clock.advance(minutes=1)
    other = await service.create_draft(actor="agent02", caller="13800138001", content="小区停电")
    await service.register(other.number, "agent02", request_type="complaint", content="小区停电")
    async with sessions() as session:
        mine = (await session.execute(build_query(parse_filters({}), roles=frozenset({"agent"}), username="agent01",
                                                  department_id=None, filter_department_id=None))).all()
        theirs = (await session.execute(build_query(parse_filters({"q": "停电"}), roles=frozenset({"agent"}),
                                                    username="agent02", department_id=None,
                                                    filter_department_id=None))).all()
    everyone = await _listed(sessions, {})  # the center's list, newest first
    assert everyone[0] == other.number and [row[0].number for row in mine] == everyone[1:]
    assert [row[0].number for row in theirs] == [other.number]
