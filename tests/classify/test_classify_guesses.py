"""Type and category guesses from transcripts, with the words that matched."""
from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from ivr.classify import Classifier, NotReadyError, RuleError, Segmenter, rules_from_dicts


@pytest.mark.parametrize(("text", "rtype", "category", "word"), [
    ("我家停水三天了，物业一直没有解决，我要投诉", "投诉", "供水", "停水"),
    ("老板拖欠工资两个月了，想问一下怎么办理劳动仲裁", "咨询", "劳动纠纷", "拖欠工资"),
    ("请问社保卡丢了怎么补办", "咨询", "社保", "社保卡"),
    ("我要举报有人往河里偷排污水", "举报", "环境", "偷排"),
    ("建议在小区门口增设公交站台", "建议", "交通", "公交"),
    ("感谢供电公司师傅半夜抢修，停电很快就恢复了，要表扬他们", "表扬", "供电", "停电"),
    ("小区暖气一点都不热，供暖公司不作为", "投诉", "供暖", "暖气"),
    ("在超市买到过期食品，商家不给退款", None, "市场监管/消费", "退款"),
])
def test_given_typical_transcript_then_best_guesses_and_matched_words(classifier, text, rtype, category, word):
    result = classifier.classify(text)
    if rtype is not None:
        assert result.best_type.label == rtype
    assert result.best_category.label == category
    assert word in result.best_category.matched


def test_given_type_guess_then_it_carries_english_code_and_categories_do_not(classifier):
    result = classifier.classify("我要投诉燃气公司乱收费")
    assert (result.best_type.label, result.best_type.code) == ("投诉", "complaint")
    assert result.best_category.label == "燃气" and result.best_category.code is None


def test_given_several_matches_then_ranked_by_score_with_shares_summing_to_one(classifier):
    result = classifier.classify("停水停电，水管漏水，电费也不对")
    scores = [g.score for g in result.categories]
    assert scores == sorted(scores, reverse=True) and len(scores) >= 2
    assert sum(g.share for g in result.categories) == pytest.approx(1.0, abs=1e-3)
    assert result.best_category.label == "供水"
    json.dumps(result.as_dict(), ensure_ascii=False)


def test_given_unrelated_text_then_no_guesses(classifier):
    result = classifier.classify("今天天气不错")
    assert result.types == () and result.categories == ()
    assert result.best_type is None and result.best_category is None


def test_given_empty_text_then_no_guesses(classifier):
    assert classifier.classify("").categories == ()


async def test_given_new_multichar_keyword_then_jieba_segments_it_as_one_word():
    plain = Segmenter()
    await plain.start()
    assert "水压不足" not in plain.tokens("我家水压不足")
    classifier = Classifier(rules_from_dicts([{"category": "供水", "keywords": ["水压不足"]}]))
    await classifier.start()
    result = classifier.classify("我家水压不足")
    assert "水压不足" in result.tokens
    assert result.best_category.matched == ("水压不足",)


async def test_given_admin_edits_rules_then_new_words_match_and_removed_ones_do_not():
    classifier = Classifier(rules_from_dicts([{"category": "供水", "keywords": ["水压不足"]}]))
    await classifier.start()
    classifier.set_rules([{"category": "燃气", "keywords": ["燃气灶打不着"]}])
    assert classifier.classify("燃气灶打不着火").best_category.label == "燃气"
    assert classifier.classify("我家水压不足").categories == ()
    assert classifier.rules_as_dicts() == [{"category": "燃气", "keywords": ["燃气灶打不着"], "weight": 1.0}]


async def test_given_bad_rule_edit_then_rule_error_and_old_rules_keep_working(classifier):
    before = classifier.rules
    with pytest.raises(RuleError):
        classifier.set_rules([{"category": "供水", "keywords": ["停水"]}, {"type": "抱怨", "keywords": ["x"]}])
    with pytest.raises(RuleError):
        classifier.set_rules({"category": "供水", "keywords": ["停水"]})
    assert classifier.rules == before
    assert classifier.classify("停水了").best_category.label == "供水"


def test_given_classifier_not_started_then_not_ready_error():
    with pytest.raises(NotReadyError) as info:
        Classifier(rules_from_dicts([{"category": "供水", "keywords": ["停水"]}])).classify("停水")
    assert info.value.error_id == "classify.not_ready"


async def test_given_concurrent_starts_then_jieba_is_built_once_in_the_given_executor():
    calls = []

    class CountingExecutor(ThreadPoolExecutor):
        def submit(self, fn, *args, **kwargs):
            calls.append(fn)
            return super().submit(fn, *args, **kwargs)

    segmenter = Segmenter()
    with CountingExecutor(max_workers=1) as executor:
        await asyncio.gather(segmenter.start(executor), segmenter.start(executor), segmenter.start(executor))
    assert len(calls) == 1 and segmenter.ready
    assert threading.current_thread() is threading.main_thread()
