"""Search ranking, validity dates and transcript suggestions on the in-memory index (real jieba)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kb_support import NOW, TODAY, entry
from knowledge.index import SearchIndex
from knowledge.parse import parse_file
from knowledge.store import Entry

DEMO = Path(__file__).parents[2] / "knowledge" / "data" / "demo_kb.csv"


@pytest.fixture(scope="module")
def demo(segmenter) -> SearchIndex:
    drafts = parse_file(DEMO.read_bytes(), "csv")
    entries = [Entry(i, d.key, d.question, d.answer, d.department, d.valid_from, d.valid_to, d.keywords,
                     NOW, d.active) for i, d in enumerate(drafts, start=1)]
    segmenter.add_words({k for d in drafts for k in d.keywords})
    return SearchIndex(entries, segmenter.tokens)


def keys(hits) -> list[str]:
    return [h.entry.key for h in hits]


@pytest.mark.parametrize("query, first", [
    ("怎么提取住房公积金", "demo-003"),
    ("社保卡补办", "demo-001"),
    ("办理居住证需要什么材料", "demo-006"),
    ("家里停水了", "demo-008"),
    ("停电了找谁", "demo-009"),
    ("消费投诉流程", "demo-012"),
    ("ＧＢＫ 95598 报修", "demo-009"),
])
def test_given_the_demo_knowledge_when_searching_then_the_matching_entry_ranks_first(demo, query, first):
    assert keys(demo.search(query, TODAY, limit=3))[0] == first


def test_given_a_word_in_one_question_and_another_answer_then_the_question_match_ranks_higher(segmenter):
    in_answer = entry("居住证怎么办理？", "需要带身份证，也可以咨询公积金中心。")
    in_question = entry("公积金怎么查询余额？", "登录网上服务大厅查询。")
    index = SearchIndex([in_answer, in_question], segmenter.tokens)
    assert [h.entry for h in index.search("公积金", TODAY)] == [in_question, in_answer]


def test_given_equal_texts_then_the_entry_with_the_keyword_ranks_higher(segmenter):
    plain = entry("办理业务需要什么材料？", "带身份证和户口簿。")
    tagged = entry("办理业务需要什么材料？", "带身份证和户口簿。", keywords=["户口簿"])
    index = SearchIndex([plain, tagged], segmenter.tokens)
    assert [h.entry for h in index.search("户口簿", TODAY)] == [tagged, plain]


def test_given_expired_future_and_inactive_entries_then_only_valid_ones_are_found(segmenter):
    live = entry("公积金提取", valid_from=date(2025, 1, 1), valid_to=TODAY)
    expired = entry("公积金提取（旧政策）", valid_to=date(2025, 5, 31))
    future = entry("公积金提取（新政策）", valid_from=date(2025, 6, 2))
    off = entry("公积金提取（停用）", active=False)
    index = SearchIndex([live, expired, future, off], segmenter.tokens)
    assert [h.entry for h in index.search("公积金提取", TODAY)] == [live]
    assert {h.entry.key for h in index.search("公积金提取", date(2025, 6, 2))} == {future.key}
    assert index.visible_entries(date(2025, 5, 31)) == [live, expired]


def test_given_the_demo_when_searching_an_expired_topic_then_it_is_hidden(demo):
    assert "demo-018" not in keys(demo.search("2023年度居民医保缴费截止时间", TODAY))
    assert "demo-018" in keys(demo.search("2023年度居民医保缴费截止时间", date(2023, 12, 1)))


@pytest.mark.parametrize("query", ["", "   ", "的了吗", "？？！", "量子纠缠"])
def test_given_an_empty_or_unknown_query_then_nothing_is_found(demo, query):
    assert demo.search(query, TODAY) == []


def test_given_a_limit_then_at_most_that_many_hits_best_first(demo):
    hits = demo.search("怎么投诉", TODAY, limit=2)
    assert len(hits) == 2 and hits[0].score >= hits[1].score
    assert demo.search("怎么投诉", TODAY, limit=0) == []


def test_given_a_transcript_when_suggesting_then_the_callers_topic_comes_first(demo):
    transcript = ("坐席：您好，12345 政务服务热线。市民：喂，你好，我想问一下，我今年换了工作，"
                  "现在在外面租房子住，那个住房公积金能不能取出来付房租啊？每个月能取多少？")
    hits = demo.suggest(transcript, TODAY, limit=3)
    assert keys(hits)[0] == "demo-004"
    assert "租房" in hits[0].matched


def test_given_a_caller_who_moves_on_to_a_new_problem_then_the_latest_one_is_suggested_first(demo):
    first = "市民：我上个月社保卡丢了，想问社保卡怎么补办。坐席：可以到社保卡服务网点补办，带上身份证。市民：好的，明白了。"
    then = "市民：还有个事，我家里从早上就停水了，到现在还没来水，停水找谁报修？"
    assert keys(demo.suggest(first + then, TODAY, limit=2)) == ["demo-008", "demo-001"]
    assert keys(demo.suggest(then + first, TODAY, limit=2)) == ["demo-001", "demo-008"]


def test_given_small_talk_with_one_stray_word_then_nothing_is_suggested(demo):
    assert demo.suggest("喂，你好，听得到吗？好的好的，谢谢，投诉。", TODAY) == []


def test_given_a_hit_then_its_dict_has_the_fields_the_screen_pop_shows(demo):
    hit = demo.search("公积金提取", TODAY, limit=1)[0].as_dict()
    assert {"id", "question", "answer", "department", "valid_to", "keywords", "score", "matched"} <= hit.keys()


def test_given_a_big_knowledge_base_then_very_common_words_neither_slow_nor_sway_the_ranking(segmenter):
    filler = [entry(f"政务服务事项{i}号怎么办理？", "到政务服务大厅办理，携带身份证。") for i in range(600)]
    target = entry("犬只登记怎么办理？", "到政务服务大厅办理犬只登记。", keywords=["犬只登记"])
    index = SearchIndex([*filler, target], segmenter.tokens)
    assert [h.entry for h in index.search("政务服务大厅办理犬只登记", TODAY, limit=3)] == [target]
    assert len(index.search("政务服务大厅", TODAY, limit=5)) == 5  # only common words: still answered
