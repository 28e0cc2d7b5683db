"""HTTP: search (any signed-in role, JSON or a small page), suggestions, and import (admin, audited).

`setup_knowledge(app)` is called from `hotline.engine.build_app` after `setup_console(app)`: it adds
the routes and a cleanup context that builds the `KnowledgeBase` once the database is up and puts
it in `engine.services["knowledge"]`.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import unquote

from aiohttp import web

from agent_console.auth.access import ANY_ROLE, requires
from agent_console.context import CONSOLE, actor, json_error, wants_json
from hotline.engine import ENGINE
from knowledge.errors import ImportFormatError, ImportInvalidError, KnowledgeError
from knowledge.pages import KnowledgePages
from knowledge.parse import MAX_BYTES
from knowledge.service import KnowledgeBase

KB_IMPORT = "kb.import"
MAX_QUERY = 200
MAX_TRANSCRIPT = 10_000
MAX_LIMIT = 50
DEMO_CSV = Path(__file__).parent / "data" / "demo_kb.csv"
PAGES = web.AppKey("knowledge.pages", KnowledgePages)
FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "json", "text/csv": "csv", "application/json": "json",
           "application/x-ndjson": "json"}


def setup_knowledge(app: web.Application) -> None:
    app[PAGES] = KnowledgePages()
    app.cleanup_ctx.append(knowledge_context)
    app.router.add_get("/kb", kb_page, name="kb")
    app.router.add_get("/kb/search", kb_search, name="kb_search")
    app.router.add_post("/kb/suggest", kb_suggest, name="kb_suggest")
    app.router.add_post("/kb/import", kb_import, name="kb_import")
    app.router.add_get("/kb/kb_import.js", kb_script, name="kb_script")
    from knowledge import coedit_web  # 共建共享: proposals, review, single-entry edits, history

    coedit_web.add_routes(app.router)


async def knowledge_context(app: web.Application) -> AsyncIterator[None]:
    """Config [knowledge]: seed_demo (bool, default: engine.mode == "demo"), max_import_bytes (int, 20 MiB).

    Shares the engine's jieba `Segmenter` when `services["segmenter"]` holds one (the classifier's):
    a second jieba dictionary costs ~70 MiB and ~1 s at start-up."""
    engine = app[ENGINE]
    section = getattr(engine.config, "knowledge", None)
    mode = getattr(getattr(engine.config, "engine", None), "mode", "development")
    kb = KnowledgeBase(engine.sessions, lambda: engine.clock(), segmenter=engine.services.get("segmenter"),
                       max_bytes=getattr(section, "max_import_bytes", MAX_BYTES))
    await kb.start()
    if getattr(section, "seed_demo", mode == "demo") and kb.size == 0:
        await load_demo(kb)
    engine.services["knowledge"] = kb
    yield
    engine.services.pop("knowledge", None)


async def load_demo(kb: KnowledgeBase):
    """The ~40 shipped entries (社保卡补办, 公积金提取, 停水停电报修…) for `hotline demo`."""
    return await kb.import_data(DEMO_CSV.read_bytes(), "csv")


def _kb(request: web.Request) -> KnowledgeBase:
    kb = request.app[ENGINE].services.get("knowledge")
    if kb is None:
        raise web.HTTPServiceUnavailable(text="知识库尚未就绪")
    return kb  # type: ignore[return-value]


def _limit(raw: str | None, default: int) -> int:
    try:
        value = int(raw) if raw not in (None, "") else default
    except ValueError:
        raise _bad("knowledge.limit.invalid", "limit 应为 1 到 50 之间的整数") from None
    if not 1 <= value <= MAX_LIMIT:
        raise _bad("knowledge.limit.invalid", "limit 应为 1 到 50 之间的整数")
    return value


class _BadRequest(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


def _bad(error_id: str, message: str, status: int = 400, **extra) -> _BadRequest:
    return _BadRequest(json_error(error_id, message, status, **extra))


def _wants_json(request: web.Request) -> bool:
    """fetch()/API callers, `?format=json`, and raw CSV/JSON uploads (only forms send multipart) get JSON."""
    raw_upload = request.method == "POST" and request.content_type not in ("multipart/form-data",
                                                                            "application/x-www-form-urlencoded")
    return wants_json(request) or request.query.get("format") == "json" or raw_upload


@requires(*ANY_ROLE)
async def kb_page(request: web.Request) -> web.Response:
    raise web.HTTPFound("/kb/search")


@requires("admin")
async def kb_script(request: web.Request) -> web.Response:
    """The import form's script, served here because the console's /static/ belongs to agent_console."""
    return web.Response(text=request.app[PAGES].import_script, content_type="application/javascript",
                        charset="utf-8")


@requires(*ANY_ROLE)
async def kb_search(request: web.Request) -> web.Response:
    query = request.query.get("q", "").strip()
    try:
        limit = _limit(request.query.get("limit"), 10)
        if len(query) > MAX_QUERY:
            raise _bad("knowledge.query.too_long", f"搜索内容过长（上限 {MAX_QUERY} 字）")
    except _BadRequest as bad:
        return bad.response
    kb = _kb(request)
    hits = kb.search(query, limit=limit) if query else []
    if _wants_json(request):
        return web.json_response({"ok": True, "query": query, "hits": [h.as_dict() for h in hits]},
                                 dumps=_dumps)
    return request.app[PAGES].page(request, "kb_search.html", {"query": query, "hits": hits, "size": kb.size,
                                                               "max_query": MAX_QUERY, "message": "",
                                                               "problems": []})


@requires(*ANY_ROLE)
async def kb_suggest(request: web.Request) -> web.Response:
    """Body {"text": transcript so far, "limit": 5}: the screen pop asks as the transcript grows."""
    try:
        body = await request.json()
    except ValueError:
        return json_error("knowledge.request.invalid", "请求内容应为 JSON", 400)
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str):
        return json_error("knowledge.request.invalid", "缺少 text（通话转写文本）", 400)
    try:
        limit = _limit(str(body.get("limit", 5)), 5)
        if len(text) > MAX_TRANSCRIPT:
            raise _bad("knowledge.transcript.too_long", f"转写文本过长（上限 {MAX_TRANSCRIPT} 字）")
    except _BadRequest as bad:
        return bad.response
    hits = _kb(request).suggest(text, limit)
    return web.json_response({"ok": True, "suggestions": [h.as_dict() for h in hits]}, dumps=_dumps)


@requires("admin")
async def kb_import(request: web.Request) -> web.Response:
    kb = _kb(request)
    try:
        name, fmt, data = await _upload(request, kb)
        report = await kb.import_data(data, fmt)
    except _BadRequest as bad:
        return bad.response
    except ImportInvalidError as exc:
        await _audit(request, name, "failed")
        return _import_failed(request, exc, [p.as_dict() for p in exc.problems])
    except ImportFormatError as exc:
        await _audit(request, name, "failed")
        return _import_failed(request, exc, [{"line": exc.line, "field": "文件", "message": str(exc)}]
                              if exc.line else [])
    await _audit(request, f"{name}（新增 {report.created}，更新 {report.updated}）", "ok")
    if _wants_json(request):
        return web.json_response({"ok": True, **report.as_dict(), "size": kb.size}, dumps=_dumps)
    message = f"导入完成：新增 {report.created} 条，更新 {report.updated} 条，未变 {report.unchanged} 条。"
    return request.app[PAGES].page(request, "kb_search.html", {"query": "", "hits": [], "size": kb.size,
                                                               "max_query": MAX_QUERY, "message": message,
                                                               "problems": []})


def _import_failed(request: web.Request, exc: KnowledgeError, problems: list[dict]) -> web.Response:
    if _wants_json(request):
        return json_error(exc.error_id, str(exc), 400, problems=problems)
    return request.app[PAGES].page(request, "kb_search.html", {"query": "", "hits": [], "size": _kb(request).size,
                                                               "max_query": MAX_QUERY, "message": str(exc),
                                                               "problems": problems}, status=400)


async def _upload(request: web.Request, kb: KnowledgeBase) -> tuple[str, str, bytes]:
    """A multipart field `file` (format from its name), or a raw CSV/JSON body (format from Content-Type)."""
    limit = kb.max_bytes
    if request.content_type == "multipart/form-data":
        if request.headers.get("X-CSRF-Token"):  # body not read yet: stream it, no client_max_size cap
            reader = await request.multipart()
            async for part in reader:
                if part.name == "file":
                    name = unquote(part.filename or "upload")
                    return name, _format(name), await _read_capped(part.read_chunk, limit)
        else:  # a plain form: the CSRF check has already parsed (and cached) it
            field = (await request.post()).get("file")
            if field is not None and hasattr(field, "file"):
                name = unquote(field.filename or "upload")
                return name, _format(name), _capped(field.file.read(limit + 1), limit)
        raise _bad("knowledge.import.no_file", "请选择要导入的 CSV 或 JSON 文件")
    fmt = request.query.get("format") or FORMATS.get(request.content_type)
    if fmt not in ("csv", "json"):
        raise _bad("knowledge.import.format", "请上传 CSV 或 JSON 文件（Content-Type: text/csv 或 application/json）",
                   415)
    return f"body.{fmt}", fmt, await _read_capped(request.content.read, limit)


def _format(filename: str) -> str:
    fmt = FORMATS.get(Path(filename).suffix.lower())
    if fmt is None:
        raise _bad("knowledge.import.format", f"不支持的文件类型：{filename}（仅支持 .csv、.json、.jsonl）", 415)
    return fmt


async def _read_capped(read, limit: int) -> bytes:
    chunks, size = [], 0
    while chunk := await read(65536):
        size += len(chunk)
        if size > limit:
            raise _bad("knowledge.import.too_large", f"文件过大（上限 {limit} 字节）", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def _capped(data: bytes, limit: int) -> bytes:
    if len(data) > limit:
        raise _bad("knowledge.import.too_large", f"文件过大（上限 {limit} 字节）", 413)
    return data


async def _audit(request: web.Request, target: str, result: str) -> None:
    audit = request.app[CONSOLE].audit
    if audit is not None:
        await audit.record(actor(request), KB_IMPORT, f"知识库导入 {target}", result)


def _dumps(obj) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False)
