"""HTTP for 共建共享: department staff propose, the center (supervisors, admins) publishes or
rejects and edits single entries; anyone signed in reads an entry and its history. JSON for
scripts (Accept: application/json), pages and plain forms for a browser (coedit_pages.py); every
change needs the CSRF token (the access middleware) and is audited."""
from __future__ import annotations

from aiohttp import web

from agent_console.auth.access import ANY_ROLE, requires
from agent_console.context import CONSOLE, actor, json_error, live_session, wants_json
from hotline.engine import ENGINE
from knowledge import coedit_pages
from knowledge.coediting import KnowledgeCoEditing, NotYourDomain, ProposalGone
from knowledge.errors import ImportInvalidError, KnowledgeError
from knowledge.web import PAGES

CENTER = ("supervisor", "admin")
DEPARTMENT = ("department", "department_lead")
FIELDS = ("question", "answer", "keywords", "valid_from", "valid_to", "department")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/kb/proposals", propose, name="kb-propose")
    router.add_get("/kb/proposals", proposals, name="kb-proposals")
    router.add_post("/kb/proposals/{id}/publish", publish, name="kb-proposal-publish")
    router.add_post("/kb/proposals/{id}/reject", reject, name="kb-proposal-reject")
    router.add_get("/kb/entries/{id}", entry_page, name="kb-entry")
    router.add_post("/kb/entries/{id}", edit, name="kb-entry-edit")
    router.add_get("/kb/entries/{id}/history", history, name="kb-entry-history")


def _coediting(request: web.Request) -> KnowledgeCoEditing:
    engine = request.app[ENGINE]
    kb = engine.services.get("knowledge")
    if kb is None:
        raise web.HTTPServiceUnavailable(text="知识库尚未就绪")
    return KnowledgeCoEditing(kb, engine.sessions, lambda: engine.clock())


async def _department_name(request: web.Request) -> str | None:
    code = live_session(request).user.department_code
    for dept in await request.app[ENGINE].services["tickets"].list_departments():
        if dept.code == code:
            return dept.name
    return None


async def _fields(request: web.Request) -> dict:
    data = await request.json() if request.content_type == "application/json" else dict(await request.post())
    if not isinstance(data, dict):
        return {}
    return {k: (str(data[k]) if data[k] is not None else None) for k in (*FIELDS, "entry_id", "comment")
            if k in data}


def _id(request: web.Request) -> int | None:
    raw = request.match_info["id"]
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _refusal(exc: Exception) -> tuple[str, str, int]:
    if isinstance(exc, NotYourDomain):
        return exc.error_id, str(exc), 403
    if isinstance(exc, ProposalGone):
        return exc.error_id, str(exc), 404
    if isinstance(exc, ImportInvalidError):
        return exc.error_id, str(exc).replace("导入失败，", "保存失败，").replace("第 1 行 ", ""), 400
    return getattr(exc, "error_id", "knowledge.invalid"), str(exc), 400


async def _fail(request: web.Request, action: str, target: str, exc: Exception, *,
                entry_id: int | None = None, form: dict | None = None) -> web.Response:
    """Audited; JSON for a script, else the page the form came from with the reason in Chinese."""
    error_id, message, status = _refusal(exc)
    await request.app[CONSOLE].audit.record(actor(request), action, target, "denied" if status == 403 else "failed")
    if wants_json(request):
        return json_error(error_id, message, status)
    coediting, department = _coediting(request), await _department_name(request)
    if entry_id is not None and status != 404:
        return await coedit_pages.entry_page(request, coediting, entry_id, department, error=message, status=status)
    return await coedit_pages.proposals_page(request, coediting, department, error=message, status=status,
                                             form=form)


@requires(*DEPARTMENT)
async def propose(request: web.Request) -> web.Response:
    fields = await _fields(request)
    department = await _department_name(request)
    raw_entry = fields.pop("entry_id", None)
    entry_id = int(raw_entry) if raw_entry and raw_entry.isdigit() and len(raw_entry) < 10 else None
    if department is None:
        return await _fail(request, "kb.propose", str(raw_entry or "new"), NotYourDomain("您的账号未关联承办单位"))
    fields.pop("department", None)  # always the proposer's own department
    try:
        made = await _coediting(request).propose(live_session(request).user.username, department, fields, entry_id)
    except KnowledgeError as exc:
        return await _fail(request, "kb.propose", str(raw_entry or "new"), exc, entry_id=entry_id, form=fields)
    await request.app[CONSOLE].audit.record(actor(request), "kb.propose", f"proposal {made.id}")
    if not wants_json(request):
        raise web.HTTPSeeOther(f"/kb/entries/{entry_id}?done=proposed" if entry_id
                         else "/kb/proposals?done=proposed")
    return web.json_response({"ok": True, "message": "已提交，等待中心审核发布", "proposal": made.as_dict()})


@requires(*CENTER, *DEPARTMENT)
async def proposals(request: web.Request) -> web.Response:
    if not wants_json(request):
        return await coedit_pages.proposals_page(request, _coediting(request), await _department_name(request))
    roles = set(live_session(request).roles)
    state = request.query.get("state", "pending")
    state = state if state in ("pending", "published", "rejected") else None
    if roles & set(CENTER):
        found = await _coediting(request).proposals(state=state)
    else:  # a department sees its own proposals, whatever their state, with the reviewer's comments
        found = await _coediting(request).proposals(state=None, department=await _department_name(request) or "")
    return web.json_response({"ok": True, "proposals": [p.as_dict() for p in found]})


async def _review(request: web.Request, action: str, publish: bool) -> web.Response:
    proposal_id, fields = _id(request), await _fields(request)
    if proposal_id is None:
        return json_error("knowledge.proposal.gone", "该提议不存在或已被审核", 404)
    coediting, who = _coediting(request), live_session(request).user.username
    try:
        if publish:
            done = await coediting.publish(proposal_id, who, fields.get("comment") or "")
        else:
            done = await coediting.reject(proposal_id, who, fields.get("comment") or "")
    except KnowledgeError as exc:
        return await _fail(request, action, f"proposal {proposal_id}", exc)
    await request.app[CONSOLE].audit.record(actor(request), action, f"proposal {proposal_id}")
    if not wants_json(request):
        raise web.HTTPSeeOther(f"/kb/proposals?done={'published' if publish else 'rejected'}")
    return web.json_response({"ok": True, "message": "已发布" if publish else "已驳回", "proposal": done.as_dict()})


@requires(*CENTER)
async def publish(request: web.Request) -> web.Response:
    return await _review(request, "kb.proposal.publish", True)


@requires(*CENTER)
async def reject(request: web.Request) -> web.Response:
    return await _review(request, "kb.proposal.reject", False)


@requires(*CENTER)
async def edit(request: web.Request) -> web.Response:
    entry_id, fields = _id(request), await _fields(request)
    if entry_id is None:
        return json_error("knowledge.proposal.gone", "知识条目不存在", 404)
    try:
        entry = await _coediting(request).edit(entry_id, live_session(request).user.username,
                                               {k: fields.get(k) for k in FIELDS})
    except KnowledgeError as exc:
        return await _fail(request, "kb.entry.edit", f"entry {entry_id}", exc, entry_id=entry_id)
    await request.app[CONSOLE].audit.record(actor(request), "kb.entry.edit", f"entry {entry_id}")
    if not wants_json(request):
        raise web.HTTPSeeOther(f"/kb/entries/{entry_id}?done=saved")
    return web.json_response({"ok": True, "message": "已保存", "entry": entry.as_dict()})


@requires(*ANY_ROLE)
async def entry_page(request: web.Request) -> web.Response:
    """One entry as a page: its fields, its history, and the form the viewer's role may use."""
    entry_id = _id(request)
    try:
        if entry_id is None:
            raise ProposalGone("知识条目不存在")
        if wants_json(request):
            return web.json_response({"ok": True, "entry": (await _coediting(request).entry(entry_id)).as_dict()})
        return await coedit_pages.entry_page(request, _coediting(request), entry_id, await _department_name(request))
    except ProposalGone as exc:
        if wants_json(request):
            return json_error(exc.error_id, str(exc), 404)
        return request.app[PAGES].page(request, "kb_missing.html", {"message": str(exc)}, status=404)


@requires(*ANY_ROLE)
async def history(request: web.Request) -> web.Response:
    entry_id = _id(request)
    try:
        if entry_id is None:
            raise ProposalGone("知识条目不存在")
        revisions = await _coediting(request).history(entry_id)
    except ProposalGone as exc:
        return json_error(exc.error_id, str(exc), 404)
    return web.json_response({"ok": True, "revisions": revisions})
