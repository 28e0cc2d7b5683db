"""Reading CSV/JSON import files: good files, and every bad row named by its line."""
from __future__ import annotations

import json
from datetime import date

import pytest

from knowledge.errors import ImportFormatError, ImportInvalidError
from knowledge.parse import parse_file, stable_key

HEADER = "编号,问题,答案,责任部门,生效日期,失效日期,关键词\n"


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + "".join(r + "\n" for r in rows)).encode(encoding)


def problems_of(data: bytes, fmt: str = "csv") -> list[tuple[int, str]]:
    with pytest.raises(ImportInvalidError) as caught:
        parse_file(data, fmt)
    return [(p.line, p.field) for p in caught.value.problems]


def test_given_a_chinese_header_csv_when_parsed_then_every_field_is_read():
    drafts = parse_file(csv_bytes("gjj-1,怎么提取住房公积金？,带身份证到网点办理。,市住房公积金管理中心,2024-01-01,"
                                  "2026/12/31,公积金提取、住房公积金 提取"), "csv")
    assert len(drafts) == 1
    d = drafts[0]
    assert (d.key, d.question, d.department, d.line) == ("gjj-1", "怎么提取住房公积金？", "市住房公积金管理中心", 2)
    assert (d.valid_from, d.valid_to) == (date(2024, 1, 1), date(2026, 12, 31))
    assert d.keywords == ("公积金提取", "住房公积金", "提取") and d.active


def test_given_english_headers_a_bom_and_no_key_when_parsed_then_the_key_is_stable():
    data = "\ufeffquestion,answer,department,keywords\n停水了找谁？,拨打供水热线。,自来水公司,停水\n".encode()
    first, again = parse_file(data, "csv"), parse_file(data, "csv")
    assert first[0].key == again[0].key == stable_key("自来水公司", "停水了找谁？")
    assert first[0].key != stable_key("供电局", "停水了找谁？")


def test_given_an_excel_gbk_csv_when_parsed_then_chinese_is_read():
    drafts = parse_file(csv_bytes("k1,居住证怎么办理？,到派出所申领。,市公安局,,,居住证", encoding="gbk"), "csv")
    assert drafts[0].question == "居住证怎么办理？"


def test_given_a_multiline_answer_when_a_later_row_is_bad_then_its_real_line_is_named():
    data = csv_bytes('k1,问题一,"第一行\n第二行\n第三行",部门,,,', "k2,,缺少问题的答案,部门,,,")
    assert problems_of(data) == [(5, "问题")]


def test_given_malformed_rows_when_parsed_then_each_is_named_by_line_and_nothing_is_returned():
    data = csv_bytes(
        "k1,好的问题,好的答案,部门,,,",
        "k2,,答案,部门,,,",                      # line 3: no question
        "k3,问题,,部门,,,",                      # line 4: no answer
        "k4,问题,答案,部门,2024-13-01,,",        # line 5: bad date
        "k5,问题,答案,部门,2025-01-01,2024-01-01,",  # line 6: ends before it starts
        "k1,重复的问题,答案,部门,,,",            # line 7: duplicate key of line 2
        "k 6,问题,答案,部门,,,",                 # line 8: bad key
        "k7,问题,答案,部门,,,,多余",             # line 9: too many columns
    )
    assert problems_of(data) == [(3, "问题"), (4, "答案"), (5, "生效日期"), (6, "失效日期"), (7, "编号"),
                                 (8, "编号"), (9, "行")]


def test_given_oversized_fields_when_parsed_then_refused_with_the_limit():
    data = csv_bytes(f"k1,{'问' * 201},答案,部门,,,", f"k2,问题,{'答' * 4001},部门,,,",
                     f"k3,问题,答案,{'部' * 65},,,", f"k4,问题,答案,部门,,,{'长' * 21}",
                     "k5,问题,答案,部门,,," + "、".join(f"词{i}" for i in range(21)))
    with pytest.raises(ImportInvalidError) as caught:
        parse_file(data, "csv")
    assert [(p.line, p.field) for p in caught.value.problems] == [(2, "问题"), (3, "答案"), (4, "责任部门"),
                                                                   (5, "关键词"), (6, "关键词")]
    assert "上限 200 字" in caught.value.problems[0].message and "第 2 行" in str(caught.value)


def test_given_a_csv_without_the_answer_column_then_a_format_error_names_line_1():
    with pytest.raises(ImportFormatError) as caught:
        parse_file("问题,部门\n停水,自来水公司\n".encode(), "csv")
    assert caught.value.line == 1 and "答案" in str(caught.value)


@pytest.mark.parametrize("data, fmt, needle", [
    (b"", "csv", "为空"),
    (b"\xff\xfe\x00\x01\x80", "csv", "编码"),
    (b"question,answer\n", "xlsx", "不支持"),
    (b"x" * 101, "csv", "过大"),
])
def test_given_an_unreadable_file_then_a_format_error_says_why(data, fmt, needle):
    with pytest.raises(ImportFormatError, match=needle):
        parse_file(data, fmt, max_bytes=100)


def test_given_an_active_column_when_parsed_then_yes_and_no_are_understood_and_nonsense_refused():
    data = csv_bytes("k1,问题一,答案,否", "k2,问题二,答案,是", header="编号,问题,答案,启用\n")
    assert [d.active for d in parse_file(data, "csv")] == [False, True]
    assert problems_of(csv_bytes("k1,问题,答案,也许", header="编号,问题,答案,启用\n")) == [(2, "启用")]


def test_given_a_json_array_when_parsed_then_entries_carry_their_lines():
    text = json.dumps([{"question": "社保卡丢了怎么补办？", "answer": "先挂失再补卡。", "department": "人社局",
                        "keywords": ["社保卡", "补办"], "valid_to": "2026-12-31"},
                       {"问题": "停电怎么报修？", "答案": "拨打 95598。", "关键词": "停电、报修"}],
                      ensure_ascii=False, indent=2)
    drafts = parse_file(text.encode(), "json")
    assert [d.line for d in drafts] == [2, 12]  # where each object opens
    assert drafts[0].keywords == ("社保卡", "补办") and drafts[1].keywords == ("停电", "报修")
    assert drafts[0].valid_to == date(2026, 12, 31)


def test_given_json_lines_with_a_bad_entry_then_its_line_is_named():
    text = ('{"question": "问题一", "answer": "答案"}\n\n{"question": "问题二", "answer": ""}\n'
            '["not", "an", "object"]\n{"question": "问题三", "answer": "答案", "keywords": 5}\n')
    assert problems_of(text.encode(), "json") == [(3, "答案"), (4, "行"), (5, "关键词")]


@pytest.mark.parametrize("text, line", [
    ('[\n{"question": "a", "answer": "b"},\n{"question": "c" "answer": "d"}\n]', 3),
    ('[\n{"question": "a", "answer": "b"}\n{"question": "c", "answer": "d"}\n]', 3),
    ('[\n{"question": "a", "answer": "b"}\n', 3),
    ('[{"question": "a", "answer": "b"}] trailing', 1),
    ('{"question": "a", "answer": "b"}\n{"question": \n', 2),
])
def test_given_broken_json_then_a_format_error_names_the_line(text, line):
    with pytest.raises(ImportFormatError) as caught:
        parse_file(text.encode(), "json")
    assert caught.value.line == line, str(caught.value)


def test_given_an_empty_json_array_then_refused():
    with pytest.raises(ImportFormatError, match="没有任何条目"):
        parse_file(b"[]", "json")
