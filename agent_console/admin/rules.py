"""/admin/rules: 关键词规则 (the classifier's rules and the emergency words) as one JSON or TOML document;
preview what a sample sentence would be classified as and which emergency route it would trigger;
apply = swap in memory + persist, so a restart keeps them."""
from __future__ import annotations

import json
from collections.abc import Mapping

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import actor
from agent_console.render import page
from hotline.engine import ENGINE
from ivr.classify.classifier import Classifier
from ivr.classify.emergency import EmergencyDetector, emergency_rules_from_dicts
from ivr.classify.errors import ClassifyError, RuleError
from ivr.classify.rules import parse_rules_text, rules_from_dicts, rules_to_dicts

from .common import AdminInputError, done, read_json, refused
from .runtime import STORE, use_rules
from .store import CLASSIFIER_RULES, EMERGENCY_RULES

MAX_DOCUMENT = 200_000
MAX_SAMPLE = 500


def current_document(services: dict) -> str:
    """One rule per line, so an admin sees the whole list at a glance."""
    classifier, detector = services.get("classifier"), services.get("emergency")
    sections = {"rules": classifier.rules_as_dicts() if classifier else [],
                "emergency": [r.as_dict() for r in detector.rules] if detector else []}
    parts = [f'  "{name}": [\n' + ",\n".join("    " + json.dumps(item, ensure_ascii=False) for item in items) + "\n  ]"
             for name, items in sections.items()]
    return "{\n" + ",\n".join(parts) + "\n}"


def parse_document(data: Mapping) -> tuple[list, list]:
    """-> (classifier rules, emergency rules), validated; errors name the rule, in Chinese."""
    text, fmt = data.get("text"), data.get("format", "json")
    if fmt not in ("json", "toml"):
        raise AdminInputError("format", "格式应为 json 或 toml")
    if not isinstance(text, str) or not text.strip():
        raise AdminInputError("text", "请填写规则")
    if len(text) > MAX_DOCUMENT:
        raise AdminInputError("text", f"规则文本过长（最多 {MAX_DOCUMENT} 个字符）")
    try:
        if fmt == "json":
            try:
                doc = json.loads(text)
            except json.JSONDecodeError as exc:
                raise RuleError(f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}") from exc
            if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list) \
                    or not isinstance(doc.get("emergency"), list):
                raise RuleError("文档应为 {\"rules\": [...], \"emergency\": [...]}")
            raw_rules, raw_emergency = doc["rules"], doc["emergency"]
        else:
            raw_rules = parse_rules_text(text, "toml", "rules")
            raw_emergency = parse_rules_text(text, "toml", "emergency")
        if not raw_rules or not raw_emergency:
            raise RuleError("分类规则和紧急规则都不能为空")
        rules, emergency = rules_from_dicts(raw_rules), emergency_rules_from_dicts(raw_emergency)
    except RuleError as exc:
        raise AdminInputError("text", str(exc), RuleError.error_id) from None
    return rules_to_dicts(rules), [r.as_dict() for r in emergency]


def preview(services: dict, rules: list, emergency: list, sample: str) -> dict:
    """Classify with the draft rules on the live segmenter: draft keywords are added for this one
    synchronous call and removed again, so live classification is unchanged."""
    live = services.get("classifier")
    segmenter = getattr(live, "_segmenter", None)
    if live is None or segmenter is None or not live.ready:
        raise AdminInputError("sample", "分类器尚未就绪，请稍后再试", "console.admin.classifier_not_ready")
    draft = Classifier(rules_from_dicts(rules), segmenter)
    extra = {w for r in draft.rules for w in r.keywords} - {w for r in live.rules for w in r.keywords}
    segmenter.add_words(extra)
    try:
        result = draft.classify(sample)
    except ClassifyError as exc:
        raise AdminInputError("sample", f"预览失败：{exc}") from None
    finally:
        segmenter.remove_words(extra)
    triggers = EmergencyDetector(emergency_rules_from_dicts(emergency)).detect_all(sample)
    return {"classification": result.as_dict(), "emergency": [t.as_dict() for t in triggers],
            "route": triggers[0].as_dict() if triggers else None}


def table_rows(services: dict) -> tuple[list[dict], list[dict]]:
    """The rules as rows of the page's two tables (one keyword list per cell, split by 、)."""
    classifier, detector = services.get("classifier"), services.get("emergency")
    rules = [{"kind": "type" if "type" in r else "category", "label": r.get("type") or r.get("category"),
              "keywords": "、".join(r["keywords"]), "weight": r.get("weight", 1)}
             for r in (classifier.rules_as_dicts() if classifier else [])]
    emergency = [{**r.as_dict(), "words": "、".join(r.words)} for r in (detector.rules if detector else [])]
    return rules, emergency


@requires("admin")
async def rules_page(request: web.Request) -> web.Response:
    services = request.app[ENGINE].services
    rules, emergency = table_rows(services)
    return page(request, "admin_rules.html", {"document": current_document(services), "rules": rules,
                                               "emergency": emergency})


@requires("admin")
async def preview_rules(request: web.Request) -> web.Response:
    services = request.app[ENGINE].services
    try:
        data = await read_json(request)
        sample = data.get("sample")
        if not isinstance(sample, str) or not sample.strip() or len(sample) > MAX_SAMPLE:
            raise AdminInputError("sample", f"请填写 1–{MAX_SAMPLE} 个字的试听句子")
        rules, emergency = parse_document(data)
        result = preview(services, rules, emergency, sample.strip())
    except AdminInputError as exc:
        from agent_console.context import json_error

        return json_error(exc.error_id, exc.message, 400, field=exc.field)
    return web.json_response({"ok": True, **result}, dumps=lambda o: json.dumps(o, ensure_ascii=False))


@requires("admin")
async def apply_rules(request: web.Request) -> web.Response:
    services = request.app[ENGINE].services
    try:
        rules, emergency = parse_document(await read_json(request))
        use_rules(services, rules, emergency)
    except AdminInputError as exc:
        return await refused(request, "admin.rules.apply", "", exc)
    except RuleError as exc:
        return await refused(request, "admin.rules.apply", "", AdminInputError("text", str(exc), RuleError.error_id))
    store, who = services[STORE], actor(request).username
    await store.put(CLASSIFIER_RULES, rules, who)
    await store.put(EMERGENCY_RULES, emergency, who)
    return await done(request, "admin.rules.apply", f"{len(rules)} rules, {len(emergency)} emergency",
                      {"document": current_document(services),
                       "message": f"已应用：分类规则 {len(rules)} 条，紧急规则 {len(emergency)} 条，重启后仍然有效"})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/rules", rules_page, name="admin-rules")
    router.add_post("/admin/rules/preview", preview_rules)
    router.add_post("/admin/rules/apply", apply_rules)
