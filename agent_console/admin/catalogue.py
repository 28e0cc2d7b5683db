"""/admin/catalogue: the 派单目录 (category -> lead department and co-handlers, optionally per district):
list, add or edit one rule, delete, and CSV import that names each bad row and applies nothing then."""
from __future__ import annotations

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import json_error
from agent_console.render import page
from tickets.catalogue import CatalogueError, CatalogueImportError, shown

from .common import AdminInputError, done, read_json, refused, text_field

MAX_UPLOAD = 2_000_000


def _catalogue(request: web.Request):
    from agent_console.ticketdesk.views import catalogue_of

    return catalogue_of(request)


async def _rows(request: web.Request) -> list[dict]:
    catalogue = _catalogue(request)
    names = {d.code: d.name for d in (await catalogue.departments()).all}
    return [{"id": r.id, "category": r.category, "category_shown": shown(r.category), "district": r.district,
             "district_name": names.get(r.district, "全市") if r.district else "全市",
             "lead": r.lead, "lead_name": names.get(r.lead, r.lead) + ("" if r.lead_active else "（已停用，不再建议）"),
             "co": ";".join(r.co),
             "co_names": "、".join(names.get(c, c) for c in r.co), "classifier": r.classifier_label or "",
             "updated_by": r.updated_by} for r in await catalogue.rules()]


@requires("admin")
async def catalogue_page(request: web.Request) -> web.Response:
    directory = await _catalogue(request).departments()
    active = sorted((d for d in directory.all if d.active), key=lambda d: d.code)
    return page(request, "admin_catalogue.html", {
        "rules": await _rows(request), "departments": active,
        "districts": [d for d in active if d.kind == "district"]})


@requires("admin")
async def save_rule(request: web.Request) -> web.Response:
    target = ""
    try:
        data = await read_json(request)
        category = text_field(data, "category", "分类", 200)
        target = category
        rule_id = data.get("id")
        if rule_id in ("", None):
            rule_id = None
        elif not (isinstance(rule_id, int) or (isinstance(rule_id, str) and rule_id.isdigit())):
            raise AdminInputError("id", "规则编号格式错误")
        rule = await _catalogue(request).save_rule(
            category=category, district=text_field(data, "district", "区县", 64, required=False),
            lead=text_field(data, "lead", "主办部门", 128), co=text_field(data, "co", "协办部门", 500,
                                                                            required=False).replace("、", ";").split(";"),
            classifier=text_field(data, "classifier", "分类器类别", 64, required=False) or None,
            actor=_username(request),
            rule_id=int(rule_id) if rule_id is not None else None)
    except CatalogueError as exc:
        return await refused(request, "admin.catalogue.save", target, AdminInputError("category", exc.message))
    except AdminInputError as exc:
        return await refused(request, "admin.catalogue.save", target, exc)
    return await done(request, "admin.catalogue.save",
                      f"#{rule.id} {rule.category} {rule.district or '*'} -> {rule.lead} {','.join(rule.co)}",
                      {"rules": await _rows(request), "message": f"已保存：{shown(rule.category)}"})


@requires("admin")
async def delete_rule(request: web.Request) -> web.Response:
    text = request.match_info["id"]
    if not text.isdigit() or len(text) > 18:
        return json_error("console.admin.invalid", "规则编号格式错误", 404)
    try:
        rule = await _catalogue(request).delete_rule(int(text))
    except CatalogueError as exc:
        return await refused(request, "admin.catalogue.delete", text, AdminInputError("id", exc.message), 404)
    return await done(request, "admin.catalogue.delete", f"#{rule.id} {rule.category} {rule.district or '*'}",
                      {"rules": await _rows(request), "message": f"已删除：{shown(rule.category)}"})


@requires("admin")
async def import_rules(request: web.Request) -> web.Response:
    """Body {"csv": text} (the page reads the chosen file); every bad row named, nothing applied then."""
    try:
        data = await read_json(request)
        text = data.get("csv")
        if not isinstance(text, str) or not text.strip():
            raise AdminInputError("csv", "请选择要导入的 CSV 文件")
        if len(text) > MAX_UPLOAD:
            raise AdminInputError("csv", "文件过大（最多 2 MB）")
        result = await _catalogue(request).import_csv(text, _username(request))
    except AdminInputError as exc:
        return await refused(request, "admin.catalogue.import", "", exc)
    except CatalogueImportError as exc:  # before CatalogueError's siblings: it carries the rows
        await refused(request, "admin.catalogue.import", f"{len(exc.errors)} bad rows",
                      AdminInputError("csv", "导入失败"))
        return json_error(exc.error_id, f"导入失败：{len(exc.errors)} 行有错误，未导入任何规则", 400,
                          rows=exc.lines())
    except CatalogueError as exc:  # a concurrent edit of the same rules
        return await refused(request, "admin.catalogue.import", "", AdminInputError("csv", exc.message), 409)
    return await done(request, "admin.catalogue.import", f"added {result['added']} changed {result['changed']}",
                      {"rules": await _rows(request),
                       "message": f"导入成功：新增 {result['added']} 条，更新 {result['changed']} 条"})


def _username(request: web.Request) -> str:
    from agent_console.context import actor

    return actor(request).username


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/catalogue", catalogue_page, name="admin-catalogue")
    router.add_post("/admin/catalogue", save_rule)
    router.add_post("/admin/catalogue/import", import_rules)
    router.add_post("/admin/catalogue/{id}/delete", delete_rule)
