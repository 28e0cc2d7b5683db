"""Rules as data: shipped defaults, files an admin edits, and every way they can be wrong."""
from __future__ import annotations

import json

import pytest

from ivr.classify import REQUEST_TYPES, RuleError, default_rules, load_rules, rules_from_dicts, rules_to_dicts

EXPECTED_CATEGORIES = {"供水", "供电", "燃气", "供暖", "交通", "市场监管/消费", "税务", "社保", "城市管理", "环境",
                       "住房", "教育", "医疗卫生", "劳动纠纷"}


def test_given_shipped_rules_then_all_types_and_categories_are_covered():
    rules = default_rules()
    assert {r.label for r in rules if r.kind == "type"} == set(REQUEST_TYPES.values())
    assert {r.label for r in rules if r.kind == "category"} >= EXPECTED_CATEGORIES
    assert all(r.keywords and r.weight > 0 for r in rules)


def test_given_rules_when_round_tripped_through_plain_dicts_then_nothing_changes():
    rules = default_rules()
    dicts = rules_to_dicts(rules)
    assert json.loads(json.dumps(dicts, ensure_ascii=False)) == dicts
    assert rules_from_dicts(dicts) == rules


def test_given_toml_and_json_files_then_both_load_the_same_rules(tmp_path):
    toml = tmp_path / "rules.toml"
    toml.write_text('[[rules]]\ncategory = "供水"\nkeywords = ["停水", "水压"]\nweight = 2\n\n'
                    '[[rules]]\ntype = "complaint"\nkeywords = ["投诉"]\n', encoding="utf-8")
    as_list = tmp_path / "list.json"
    as_list.write_text(json.dumps([{"category": "供水", "keywords": ["停水", "水压"], "weight": 2},
                                   {"type": "投诉", "keywords": ["投诉"]}]), encoding="utf-8")
    as_table = tmp_path / "table.json"
    as_table.write_text(json.dumps({"rules": json.loads(as_list.read_text())}), encoding="utf-8")
    loaded = load_rules(toml)
    assert loaded == load_rules(as_list) == load_rules(as_table)
    assert rules_to_dicts(loaded) == [{"category": "供水", "keywords": ["停水", "水压"], "weight": 2.0},
                                      {"type": "投诉", "keywords": ["投诉"], "weight": 1.0}]


@pytest.mark.parametrize(("item", "complaint"), [
    ({"type": "投诉", "category": "供水", "keywords": ["x"]}, "只能有"),
    ({"keywords": ["x"]}, "只能有"),
    ({"type": "抱怨", "keywords": ["x"]}, "未知诉求类型"),
    ({"category": " ", "keywords": ["x"]}, "不能为空"),
    ({"category": "供水"}, "keywords"),
    ({"category": "供水", "keywords": []}, "keywords"),
    ({"category": "供水", "keywords": "停水"}, "keywords"),
    ({"category": "供水", "keywords": ["停 水"]}, "关键词"),
    ({"category": "供水", "keywords": [""]}, "关键词"),
    ({"category": "供水", "keywords": [3]}, "关键词"),
    ({"category": "供水", "keywords": ["停水"], "weight": 0}, "weight"),
    ({"category": "供水", "keywords": ["停水"], "weight": -1}, "weight"),
    ({"category": "供水", "keywords": ["停水"], "weight": True}, "weight"),
    ({"category": "供水", "keywords": ["停水"], "weight": "2"}, "weight"),
    ({"category": "供水", "keywords": ["停水"], "wieght": 2}, "未知字段"),
    ("供水", "字典"),
])
def test_given_malformed_rule_then_rule_error_in_chinese(item, complaint):
    with pytest.raises(RuleError) as info:
        rules_from_dicts([{"category": "供电", "keywords": ["停电"]}, item])
    assert info.value.error_id == "classify.rule_invalid"
    assert "第2条规则" in str(info.value) and complaint in str(info.value)


def test_given_rules_not_a_list_then_rule_error():
    with pytest.raises(RuleError):
        rules_from_dicts({"category": "供水", "keywords": ["停水"]})


@pytest.mark.parametrize(("name", "content"), [
    ("rules.yaml", "rules: []"),
    ("broken.toml", "[[rules]\ncategory ="),
    ("broken.json", "{not json"),
    ("norules.json", '{"other": []}'),
    ("norules.toml", 'title = "x"'),
])
def test_given_bad_rule_file_then_rule_error(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RuleError):
        load_rules(path)


def test_given_missing_rule_file_then_rule_error(tmp_path):
    with pytest.raises(RuleError) as info:
        load_rules(tmp_path / "gone.toml")
    assert "无法读取" in str(info.value)
