"""The prompt catalogue: every announcement has Chinese text, placeholders are checked at load."""
from __future__ import annotations

import pytest

from ivr.prompts import (
    REQUIRED_PROMPTS,
    CatalogueError,
    MissingValueError,
    ToolMissingError,
    UnknownPromptError,
    load_catalogue,
)
from ivr.prompts.catalogue import parse_catalogue
from ivr.prompts.speakable import speakable

MINIMAL = "".join(f'["{name}"]\nzh = "文本{name}"\n\n' for name in REQUIRED_PROMPTS)


def test_given_shipped_catalogue_then_every_required_prompt_has_chinese_text():
    catalogue = load_catalogue()
    assert set(REQUIRED_PROMPTS) <= set(catalogue.names)
    for name in catalogue.names:
        assert catalogue.get(name).texts["zh"].strip()


def test_given_greeting_and_intake_then_texts_are_the_hotline_wording():
    catalogue = load_catalogue()
    assert catalogue.text("hotline/welcome") == "您好，这里是12345政务服务便民热线。人工服务请按0。"
    assert catalogue.text("hotline/intake-invite") == "坐席正忙。请在提示音后说出您的诉求，说完请按井号键，按任意键可跳过。"
    assert "按2" in catalogue.text("hotline/after-hours-menu") and "119" not in catalogue.text("hotline/welcome")


def test_given_placeholders_when_filled_then_text_reads_naturally_in_each_language():
    catalogue = load_catalogue()
    assert catalogue.text("hotline/ticket-number-text", ticket_number="2026001") == "您的工单编号是2026001，请记录。"
    assert "2026001" in catalogue.text("hotline/ticket-number-text", "yue", ticket_number="2026001")
    assert "2026001" in catalogue.text("hotline/ticket-number-text", "en", ticket_number="2026001")


def test_given_missing_language_variant_then_chinese_is_used(tmp_path):
    catalogue = parse_catalogue(MINIMAL)
    assert catalogue.text("hotline/goodbye", "en") == "文本hotline/goodbye"


def test_given_placeholder_value_missing_then_missing_value_error():
    with pytest.raises(MissingValueError) as info:
        load_catalogue().text("hotline/ticket-number-text")
    assert info.value.error_id == "prompts.missing_value" and "ticket_number" in str(info.value)


def test_given_unknown_prompt_then_unknown_prompt_error():
    with pytest.raises(UnknownPromptError) as info:
        load_catalogue().get("welcome_back")
    assert info.value.error_id == "prompts.unknown" and "welcome_back" in str(info.value)


@pytest.mark.parametrize(("extra", "complaint"), [
    ('[extra]\nen = "English only"\n', "缺少中文"),
    ('[extra]\nzh = "  "\n', "缺少中文"),
    ('[extra]\nzh = "好"\nen = ""\n', "非空"),
    ('[extra]\nzh = "好"\nfr = "bon"\n', "未知字段"),
    ('[extra]\nzh = "转接{target}"\nen = "to {tgt}"\nexample = { target = "119" }\n', "不一致"),
    ('[extra]\nzh = "转接{target}"\n', "example"),
    ('[extra]\nzh = "转接{0}"\nexample = {}\n', "占位符"),
    ('[extra]\nzh = "转接{target:>5}"\nexample = { target = "1" }\n', "占位符"),
    ('[extra]\nzh = "转接{target"\n', "花括号"),
    ('extra = "not a table"\n', "应为表"),
])
def test_given_malformed_prompt_then_catalogue_error(extra, complaint):
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(extra + MINIMAL)
    assert info.value.error_id == "prompts.catalogue_invalid" and complaint in str(info.value)


def test_given_catalogue_without_a_required_prompt_then_catalogue_error():
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(MINIMAL.replace('["hotline/goodbye"]', "[farewell]"))
    assert "hotline/goodbye" in str(info.value)


def test_given_unreadable_or_broken_file_then_catalogue_error(tmp_path):
    with pytest.raises(CatalogueError):
        load_catalogue(tmp_path / "none.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[greeting\nzh=", encoding="utf-8")
    with pytest.raises(CatalogueError):
        load_catalogue(broken)


def test_given_operator_catalogue_file_then_it_replaces_the_shipped_one(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(MINIMAL.replace("文本hotline/welcome", "您好，这里是某市12345热线。"), encoding="utf-8")
    assert load_catalogue(path).text("hotline/welcome") == "您好，这里是某市12345热线。"


@pytest.mark.parametrize(("text", "lang", "said"), [
    ("您好，这里是12345热线。", "zh", "nin2 hao3 , zhe4 li3 shi4 yi1 er4 san1 si4 wu3 re4 xian4 ."),
    ("按0转人工", "zh", "an4 ling2 zhuan3 ren2 gong1"),
    ("按0轉人工", "yue", "按零轉人工"),
    ("Ticket 2026001, press 0.", "en", "Ticket 2 0 2 6 0 0 1, press 0."),
])
def test_given_prompt_text_then_speakable_form_suits_the_espeak_voice(text, lang, said):
    assert speakable(text, lang) == said


def test_given_pypinyin_missing_then_mandarin_placeholders_fail_with_tool_missing(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "pypinyin", None)
    with pytest.raises(ToolMissingError) as info:
        speakable("您好", "zh")
    assert "pypinyin" in str(info.value)
    assert speakable("您好", "yue") == "您好"
