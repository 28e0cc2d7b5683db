"""The 派单目录 on its own: CSV rows checked one by one (each bad row named, nothing applied), the rule the
form would suggest (own path, then parents; the district's rule first; the classifier's label as fallback),
and `hotline catalogue` / `hotline deadlines` on the command line (audited, refusals exit 1)."""
from __future__ import annotations

import asyncio

import pytest

from hotline.cli import main
from hotline.db import make_engine, make_sessionmaker
from tickets.catalogue import RuleView, best_rule, normalize_category, parse_csv, tree, Directory, DeptInfo

DIRECTORY = Directory([DeptInfo(1, "cgj", "城市管理局", "city", True, None),
                        DeptInfo(2, "scjgj", "市场监督管理局", "city", True, None),
                        DeptInfo(3, "cdq", "城东区人民政府", "district", True, None),
                        DeptInfo(4, "old", "已撤销办公室", "city", False, None)])


@pytest.mark.parametrize("text, path", [("城市管理 › 市容环境 › 占道经营", "城市管理/市容环境/占道经营"),
                                        ("城市管理/市容环境", "城市管理/市容环境"), (" 供水 > 停水 ", "供水/停水")])
def test_given_a_category_in_any_separator_then_one_path(text, path):
    assert normalize_category(text) == path


def test_given_chinese_headers_a_bom_names_or_codes_then_rows_resolve_to_codes():
    text = "\ufeff分类,区县,主办部门,协办部门,分类器类别\n城市管理/占道,城东区人民政府,城东区人民政府,城市管理局、scjgj,城市管理\n"
    rows, errors = parse_csv(text, DIRECTORY)
    assert errors == []
    assert [(r.line, r.category, r.district, r.lead, r.co, r.classifier_label) for r in rows] == [
        (2, "城市管理/占道", "cdq", "cdq", ["cgj", "scjgj"], "城市管理")]


@pytest.mark.parametrize("text, errors", [
    ("lead,name\ncgj,x\n", [(1, "表头应包含 category（分类）和 lead（主办部门），可选 district（区县）、co（协办部门）、"
                                "classifier（分类器类别）")]),
    ("category,lead\n", [(1, "文件中没有规则")]),
    ("category,lead\n城市管理,old\n", [(2, "主办部门“已撤销办公室”已停用")]),
    ("category,lead,district\n城市管理,cgj,cgj\n", [(2, "“城市管理局”不是区县")]),
    ("category,lead\n城市管理,cgj,多余\n", [(2, "列数 3 多于表头的 2 列")]),
    ("category,lead\n\"城市\n管理\",cgj\n城市管理,\n", [(3, "分类过长（最多 64 个字符）或含控制字符"),
                                                   (4, "主办部门不能为空")]),
    ("category,lead\n" + "/".join(["一"] * 5) + ",cgj\n", [(2, "分类最多 4 级")]),
])
def test_given_bad_rows_then_each_is_named_with_its_line(text, errors):
    rows, found = parse_csv(text, DIRECTORY)
    assert found == errors


RULES = [RuleView(1, "城市管理/市容环境", "", "cgj", ("scjgj",), "城市管理"),
         RuleView(2, "城市管理/市容环境/占道经营", "cdq", "cdq", ("cgj",), None),
         RuleView(3, "市场监管", "", "scjgj", (), "市场监管/消费")]


@pytest.mark.parametrize("category, district, label, expected", [
    ("城市管理/市容环境/占道经营", "", None, (1, "catalogue")),      # parent rule, city-wide
    ("城市管理/市容环境/占道经营", "cdq", None, (2, "catalogue")),   # the district's own rule
    ("城市管理/市容环境", "cdq", None, (1, "catalogue")),           # no district rule at this level
    ("城市管理", "", None, None),                                   # above every rule
    (None, "cdq", "城市管理", (1, "classifier")),
    (None, "", "医疗卫生", None),
])
def test_given_a_form_state_then_the_most_specific_rule_is_suggested(category, district, label, expected):
    found = best_rule(RULES, category, district, label)
    assert (None if found is None else (found[0].id, found[1])) == expected


def test_given_rules_then_the_tree_has_every_level_once():
    assert tree(RULES) == [
        {"name": "城市管理", "path": "城市管理", "children": [
            {"name": "市容环境", "path": "城市管理/市容环境", "children": [
                {"name": "占道经营", "path": "城市管理/市容环境/占道经营", "children": []}]}]},
        {"name": "市场监管", "path": "市场监管", "children": []}]


async def _audit_rows(url: str) -> list[tuple[str, str, str]]:
    from sqlalchemy import select

    from agent_console.audit.models import AuditEntry

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            return [(r.action, r.target, r.result) for r in rows]
    finally:
        await engine.dispose()


def test_cli_imports_the_sample_refuses_a_bad_file_whole_and_sets_deadline_rules_audited(
        fresh_database_url, monkeypatch, capsys, tmp_path):
    from importlib import resources

    from tickets.catalogue import Catalogue
    from tickets.sample_catalogue import DEPARTMENTS_CSV

    monkeypatch.setenv("HOTLINE_DATABASE__URL", fresh_database_url)
    assert main(["db", "upgrade"]) == 0

    async def departments() -> None:
        import csv

        from tickets import DeadlineRules, TicketService, WorkCalendar

        engine = make_engine(fresh_database_url)
        try:
            service = TicketService(make_sessionmaker(engine), None, WorkCalendar.shipped(), DeadlineRules.defaults())
            text = (resources.files("tickets") / "data" / DEPARTMENTS_CSV).read_text(encoding="utf-8")
            for row in csv.DictReader(text.splitlines()):
                await service.add_department(row["code"], row["name"], kind=row["kind"], parent=row["parent"] or None)
        finally:
            await engine.dispose()

    async def rules() -> list:
        engine = make_engine(fresh_database_url)
        try:
            return await Catalogue(make_sessionmaker(engine), None).rules()
        finally:
            await engine.dispose()

    asyncio.run(departments())
    sample = resources.files("tickets") / "data" / "sample-catalogue.csv"
    capsys.readouterr()
    assert main(["catalogue", "import", str(sample)]) == 0
    assert capsys.readouterr().out.startswith("导入成功：新增 33 条")
    before = asyncio.run(rules())
    bad = tmp_path / "bad.csv"
    bad.write_text("category,lead\n城市管理/新类,cgj\n城市管理/另一类,园林局\n", encoding="utf-8")
    assert main(["catalogue", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "第 3 行：主办部门“园林局”不存在" in err and "未导入任何规则" in err
    assert asyncio.run(rules()) == before

    assert main(["deadlines", "set", "accept", "20", "minutes", "--urgency", "life_property"]) == 0
    assert "已保存 accept */life_property = 20 分钟（原 15 minutes" in capsys.readouterr().out
    assert main(["deadlines", "delete", "accept"]) == 1  # the fallback stays
    assert main(["deadlines", "list"]) == 0
    assert "accept\t*\tlife_property\t20 分钟" in capsys.readouterr().out
    audit = asyncio.run(_audit_rows(fresh_database_url))
    assert [(a, r) for a, _, r in audit] == [("admin.catalogue.import", "ok"), ("admin.catalogue.import", "failed"),
                                           ("admin.deadline.save", "ok"), ("admin.deadline.delete", "failed")]
    assert audit[2][1] == "accept */life_property 15 minutes -> 20 minutes"


async def test_given_two_imports_of_the_same_new_rules_at_once_then_each_applies_or_gets_a_clear_message(sessions):
    """Both read 'no such rule' and insert: one wins, the other is told to retry (never a 500), and the
    catalogue holds each rule once."""
    from datetime import UTC, datetime

    from tickets import DeadlineRules, TicketService, WorkCalendar
    from tickets.catalogue import Catalogue, CatalogueError

    service = TicketService(sessions, lambda: datetime.now(UTC), WorkCalendar.shipped(), DeadlineRules.defaults())
    await service.add_department("cgj", "城市管理局")
    catalogue = Catalogue(sessions, lambda: datetime.now(UTC))
    text = "category,lead\n" + "".join(f"城市管理/第{i}类,cgj\n" for i in range(200))
    outcomes = await asyncio.gather(catalogue.import_csv(text, "a"), catalogue.import_csv(text, "b"),
                                    return_exceptions=True)
    assert all(isinstance(o, dict) or (isinstance(o, CatalogueError) and "同时修改" in o.message)
               for o in outcomes), outcomes
    assert any(isinstance(o, dict) for o in outcomes)
    assert len(await catalogue.rules()) == 200
