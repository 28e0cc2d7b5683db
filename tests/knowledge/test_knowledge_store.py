"""Import into the database (SQLite and PostgreSQL): upsert by stable key, all-or-nothing, index reloaded."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kb_support import Clock, fresh_kb
from knowledge.errors import ImportFormatError, ImportInvalidError, NotReadyError
from knowledge.service import KnowledgeBase

DEMO = Path(__file__).parents[2] / "knowledge" / "data" / "demo_kb.csv"
HEADER = "编号,问题,答案,责任部门,生效日期,失效日期,关键词\n"


@pytest.fixture
async def kb(database_url, segmenter):
    kb, engine = await fresh_kb(database_url, segmenter)
    yield kb
    await engine.dispose()


async def test_given_the_demo_csv_when_imported_then_it_is_stored_and_searchable(kb):
    report = await kb.import_data(DEMO.read_bytes(), "csv")
    assert (report.created, report.updated, report.unchanged) == (41, 0, 0)
    assert kb.size == 41
    assert kb.search("怎么提取住房公积金")[0].entry.key == "demo-003"


async def test_given_an_imported_file_when_imported_again_with_one_change_then_only_that_entry_is_updated(
        database_url, segmenter):
    clock = Clock()
    kb, engine = await fresh_kb(database_url, segmenter, clock)
    data = (HEADER + "k1,停水找谁？,拨打 96111。,自来水公司,,,停水\n"
            "k2,停电找谁？,拨打 95598。,供电局,,,停电\n").encode()
    await kb.import_data(data, "csv")
    clock.now = datetime(2025, 6, 2, tzinfo=UTC)
    report = await kb.import_data(data.replace("拨打 95598。".encode(), "拨打 95598 或用网上国网 App。".encode()),
                                  "csv")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    entries = {e.key: e for e in await kb.store.all_entries()}
    assert entries["k2"].answer == "拨打 95598 或用网上国网 App。"
    assert entries["k2"].updated_at.date() > entries["k1"].updated_at.date()
    assert kb.search("停电")[0].entry.answer == "拨打 95598 或用网上国网 App。"
    await engine.dispose()


async def test_given_rows_without_keys_when_reimported_then_they_update_instead_of_duplicating(kb):
    first = "问题,答案,责任部门\n居住证怎么办？,到派出所。,公安局\n".encode()
    await kb.import_data(first, "csv")
    report = await kb.import_data("问题,答案,责任部门\n居住证怎么办？,到派出所或社区服务站。,公安局\n".encode(), "csv")
    assert (report.created, report.updated) == (0, 1) and kb.size == 1


async def test_given_a_file_with_one_bad_row_when_imported_then_nothing_changes(kb):
    await kb.import_data(DEMO.read_bytes(), "csv")
    bad = (HEADER + "k1,新问题,新答案,部门,,,\nk2,,没有问题,部门,,,\n").encode()
    with pytest.raises(ImportInvalidError) as caught:
        await kb.import_data(bad, "csv")
    assert [p.line for p in caught.value.problems] == [3]
    assert kb.size == 41 and len(await kb.store.all_entries()) == 41


async def test_given_a_json_import_then_stored_like_csv(kb):
    data = '[{"key": "j1", "question": "医保异地就医怎么备案？", "answer": "用国家医保服务平台 App。",' \
           ' "keywords": ["异地就医"], "valid_to": "2025-12-31"}]'
    await kb.import_data(data.encode(), "json")
    (entry,) = await kb.store.all_entries()
    assert entry.keywords == ("异地就医",) and entry.valid_to.isoformat() == "2025-12-31"
    assert (await kb.get(entry.id)).key == "j1"


async def test_given_a_too_large_file_then_refused_before_parsing(database_url, segmenter):
    kb, engine = await fresh_kb(database_url, segmenter, max_bytes=50)
    try:
        with pytest.raises(ImportFormatError, match="过大"):
            await kb.import_data((HEADER + "k1,问题,答案,,,,\n" * 5).encode(), "csv")
        assert kb.size == 0
    finally:
        await engine.dispose()


async def test_given_time_passing_then_entries_expire_and_appear_without_a_reload(database_url, segmenter):
    clock = Clock(datetime(2025, 6, 30, 15, 0, tzinfo=UTC))  # 23:00 in Beijing, still 30 June
    kb, engine = await fresh_kb(database_url, segmenter, clock)
    try:
        await kb.import_data((HEADER + "old,旧的公积金提取政策,旧答案,公积金中心,,2025-06-30,\n"
                              "new,新的公积金提取政策,新答案,公积金中心,2025-07-01,,\n").encode(), "csv")
        assert [h.entry.key for h in kb.search("公积金提取政策")] == ["old"]
        old_id = (await kb.store.all_entries())[0].id
        clock.now = datetime(2025, 6, 30, 16, 0, tzinfo=UTC)  # midnight in Beijing
        assert [h.entry.key for h in kb.search("公积金提取政策")] == ["new"]
        assert await kb.get(old_id) is None
    finally:
        await engine.dispose()


async def test_given_an_unstarted_knowledge_base_then_search_says_not_ready():
    kb = KnowledgeBase(None, Clock())
    with pytest.raises(NotReadyError):
        kb.search("公积金")
    with pytest.raises(NotReadyError):
        kb.suggest("公积金提取")
