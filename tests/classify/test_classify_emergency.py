"""Emergency words route to 119/110/120/122 and report the word that triggered."""
from __future__ import annotations

import json

import pytest

from ivr.classify import (
    EmergencyDetector,
    RuleError,
    default_emergency_rules,
    emergency_rules_from_dicts,
    load_emergency_rules,
)


@pytest.fixture(scope="module")
def detector():
    return EmergencyDetector(default_emergency_rules())


@pytest.mark.parametrize(("text", "target", "word"), [
    ("快来人，我家厨房着火了", "119", "着火"),
    ("楼道里冒烟了", "119", "冒烟"),
    ("有人在街上抢劫", "110", "抢劫"),
    ("他们在打人", "110", "打人"),
    ("有人杀人了", "110", "杀人"),
    ("老人晕倒在路边", "120", "晕倒"),
    ("我爸昏迷不醒", "120", "昏迷"),
    ("路口发生车祸了", "122", "车祸"),
    ("两辆车撞车了", "122", "撞车"),
])
def test_given_emergency_word_then_trigger_names_target_and_word(detector, text, target, word):
    trigger = detector.detect(text)
    assert (trigger.target, trigger.word) == (target, word)
    assert text.replace(" ", "")[trigger.position:].startswith(word)


def test_given_asr_spaces_between_characters_then_still_detected(detector):
    assert detector.detect("这 里 着 火 了").target == "119"


def test_given_several_emergencies_then_life_first_and_all_reported_for_the_log(detector):
    triggers = detector.detect_all("路口车祸，有人流血了")
    assert [t.target for t in triggers] == ["120", "122"]
    assert detector.detect("路口车祸，有人流血了").target == "120"
    assert json.loads(json.dumps([t.as_dict() for t in triggers], ensure_ascii=False))[1]["word"] == "车祸"


def test_given_no_emergency_word_then_none(detector):
    assert detector.detect("我家停水了") is None and detector.detect_all("") == []


def test_given_negated_word_then_it_still_triggers_by_design(detector):
    """Negation is out of scope: a needless transfer is cheaper than a missed fire."""
    assert detector.detect("不是着火，是停电").target == "119"


def test_given_custom_rules_from_file_then_used_instead_of_defaults(tmp_path):
    path = tmp_path / "emergency.toml"
    path.write_text('[[emergency]]\ntarget = "119"\nservice = "fire"\nname = "消防"\nwords = ["火 警"]\n',
                    encoding="utf-8")
    rules = load_emergency_rules(path)
    assert rules[0].words == ("火警",) and rules[0].as_dict()["priority"] == 100
    detector = EmergencyDetector(rules)
    assert detector.detect("火警").target == "119" and detector.detect("着火了") is None


@pytest.mark.parametrize("item", [
    {"target": "11a", "service": "police", "name": "公安", "words": ["打人"]},
    {"target": 110, "service": "police", "name": "公安", "words": ["打人"]},
    {"target": "110", "service": "", "name": "公安", "words": ["打人"]},
    {"target": "110", "service": "police", "name": "公安", "words": []},
    {"target": "110", "service": "police", "name": "公安", "words": [" "]},
    {"target": "110", "service": "police", "name": "公安", "words": ["打人"], "priority": "1"},
    {"target": "110", "service": "police", "name": "公安", "words": ["打人"], "color": "red"},
    ["110"],
])
def test_given_malformed_emergency_rule_then_rule_error(item):
    with pytest.raises(RuleError) as info:
        emergency_rules_from_dicts([item])
    assert info.value.error_id == "classify.rule_invalid"


def test_given_emergency_rules_not_a_list_then_rule_error():
    with pytest.raises(RuleError):
        emergency_rules_from_dicts({"target": "110"})


def test_given_default_rules_then_all_four_targets_are_there():
    assert {r.target for r in default_emergency_rules()} == {"110", "119", "120", "122"}
