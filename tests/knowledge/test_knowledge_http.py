"""GET /kb/search (any role), POST /kb/suggest, POST /kb/import (admin, CSRF, audited) on the real console."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

sys.path.insert(0, str(Path(__file__).parents[1] / "console"))

from console_support import (  # noqa: E402
    MovableClock, SharedClient, assert_no_stray_tasks, csrf_of, login, make_config, running_console,
)
from agent_console.context import CONSOLE  # noqa: E402
from hotline.engine import ENGINE  # noqa: E402
from knowledge.web import DEMO_CSV, KB_IMPORT  # noqa: E402

pytestmark = pytest.mark.asyncio(loop_scope="module")
HEADER = "编号,问题,答案,责任部门,生效日期,失效日期,关键词\n"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory, segmenter):
    def prepare(app):
        app[ENGINE].overrides["segmenter"] = segmenter  # as build_services shares the classifier's
    tmp = tmp_path_factory.mktemp("kb-http")
    async with running_console(make_config(tmp), MovableClock(), prepare=prepare) as (app, client):
        await app[ENGINE].services["knowledge"].import_data(DEMO_CSV.read_bytes(), "csv")
        yield app, client
    assert_no_stray_tasks()


@pytest_asyncio.fixture(loop_scope="module")
async def client(server):
    app, shared = server
    client = SharedClient(shared)
    yield client
    await client.close()


async def as_user(client, username: str) -> str:
    await login(client, username)
    return await csrf_of(client)


def upload(data: bytes, filename: str, token: str | None = None) -> aiohttp.FormData:
    form = aiohttp.FormData()
    if token is not None:
        form.add_field("csrf_token", token)
    form.add_field("file", data, filename=filename, content_type="application/octet-stream")
    return form


async def test_given_the_engines_segmenter_then_the_knowledge_base_shares_it(server, segmenter):
    app, _ = server
    assert app[ENGINE].services["knowledge"].segmenter is segmenter


async def test_given_an_agent_when_searching_json_then_the_best_answer_comes_first(client):
    await as_user(client, "agent01")
    response = await client.get("/kb/search", params={"q": "怎么提取住房公积金"}, headers={"Accept": "application/json"})
    body = await response.json()
    assert response.status == 200 and body["hits"][0]["key"] == "demo-003"
    assert "住房公积金管理中心" in body["hits"][0]["department"]


async def test_given_an_agent_when_opening_the_search_page_then_answers_are_shown_as_text(client):
    await as_user(client, "agent01")
    response = await client.get("/kb/search", params={"q": "<script>停水</script>"})
    text = await response.text()
    assert response.status == 200 and "家里停水了找谁报修" in text
    assert "<script>停水" not in text and "&lt;script&gt;" in text
    assert "导入知识" not in text  # the import form is for admins only


async def test_given_no_session_when_searching_then_refused(client):
    response = await client.get("/kb/search?q=公积金&format=json", allow_redirects=False)
    assert response.status in (302, 401)
    assert (await client.get("/kb/search?q=公积金", headers={"Accept": "application/json"})).status == 401


@pytest.mark.parametrize("params, error", [({"q": "公" * 201}, "knowledge.query.too_long"),
                                           ({"q": "公积金", "limit": "0"}, "knowledge.limit.invalid"),
                                           ({"q": "公积金", "limit": "many"}, "knowledge.limit.invalid")])
async def test_given_bad_search_parameters_then_400_with_a_stable_id(client, params, error):
    await as_user(client, "agent01")
    response = await client.get("/kb/search", params={**params, "format": "json"})
    assert response.status == 400 and (await response.json())["error"]["id"] == error


async def test_given_a_transcript_when_an_agent_asks_for_suggestions_then_the_topic_comes_back(client):
    token = await as_user(client, "agent01")
    response = await client.post("/kb/suggest", json={"text": "市民：我家里从早上就停水了，到现在还没来水，找谁报修？"},
                                 headers={"X-CSRF-Token": token})
    assert response.status == 200 and (await response.json())["suggestions"][0]["key"] == "demo-008"


@pytest.mark.parametrize("body, status", [(b"not json", 400), (b'{"limit": 3}', 400), (b'{"text": 5}', 400),
                                          (json.dumps({"text": "停水" * 5001}).encode(), 400),
                                          ('{"text": "停水报修", "limit": 99}'.encode(), 400)])
async def test_given_a_bad_suggest_request_then_400(client, body, status):
    token = await as_user(client, "agent01")
    response = await client.post("/kb/suggest", data=body, headers={"X-CSRF-Token": token,
                                                                   "Content-Type": "application/json"})
    assert response.status == status and not (await response.json())["ok"]


async def test_given_an_agent_when_importing_then_forbidden_and_nothing_changes(server, client):
    app, _ = server
    token = await as_user(client, "agent01")
    before = app[ENGINE].services["knowledge"].size
    response = await client.post("/kb/import", data=upload((HEADER + "x1,问题,答案,,,,\n").encode(), "kb.csv"),
                                 headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert response.status == 403 and app[ENGINE].services["knowledge"].size == before


async def test_given_an_admin_when_uploading_a_csv_then_imported_searchable_and_audited(server, client):
    app, _ = server
    token = await as_user(client, "boss")
    data = (HEADER + "h1,犬只登记怎么办理？,携带犬只免疫证明到区犬类管理办公室登记。,市公安局,,,养犬登记、犬只\n").encode()
    response = await client.post("/kb/import", data=upload(data, "养犬.csv"),
                                 headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert response.status == 200 and (await response.json())["created"] == 1
    hits = await (await client.get("/kb/search", params={"q": "养犬登记", "format": "json"})).json()
    assert hits["hits"][0]["key"] == "h1"
    audited = await app[CONSOLE].audit.recent(50, action=KB_IMPORT, username="boss")
    assert any("养犬.csv" in r.target and r.result == "ok" for r in audited), [r.target for r in audited]


async def test_given_an_admin_plain_form_upload_then_the_page_reports_the_counts(client):
    token = await as_user(client, "boss")
    data = json.dumps([{"key": "h2", "question": "门牌号怎么申请？", "answer": "向区民政局地名办申请。"}],
                      ensure_ascii=False).encode()
    response = await client.post("/kb/import", data=upload(data, "门牌.json", token=token))
    text = await response.text()
    assert response.status == 200 and "新增 1 条" in text


async def test_given_a_raw_json_body_then_imported(client):
    token = await as_user(client, "boss")
    body = json.dumps([{"key": "h3", "question": "路边停车怎么缴费？", "answer": "用停车 App 缴费。"}],
                      ensure_ascii=False).encode()
    response = await client.post("/kb/import", data=body, headers={"X-CSRF-Token": token,
                                                                   "Content-Type": "application/json"})
    assert response.status == 200 and (await response.json())["created"] == 1


async def test_given_malformed_rows_when_uploaded_then_400_names_each_line_and_audits_a_failure(server, client):
    app, _ = server
    token = await as_user(client, "boss")
    data = (HEADER + "b1,好问题,好答案,,,,\nb2,,没有问题,,,,\nb3,问题,答案,,2025-99-01,,\n").encode()
    response = await client.post("/kb/import", data=upload(data, "bad.csv"),
                                 headers={"X-CSRF-Token": token, "Accept": "application/json"})
    body = await response.json()
    assert response.status == 400 and body["error"]["id"] == "knowledge.import.invalid"
    assert [(p["line"], p["field"]) for p in body["error"]["problems"]] == [(3, "问题"), (4, "生效日期")]
    hits = await (await client.get("/kb/search", params={"q": "好问题", "format": "json"})).json()
    assert hits["hits"] == []
    audited = await app[CONSOLE].audit.recent(50, action=KB_IMPORT, username="boss")
    assert any("bad.csv" in r.target and r.result == "failed" for r in audited)


async def test_given_a_plain_form_with_bad_rows_then_the_page_lists_the_lines(client):
    token = await as_user(client, "boss")
    response = await client.post("/kb/import", data=upload((HEADER + "b1,,答案,,,,\n").encode(), "bad.csv", token))
    assert response.status == 400 and "第 2 行 问题：不能为空" in await response.text()


@pytest.mark.parametrize("filename, data, status, error", [
    ("kb.xlsx", b"PK\x03\x04", 415, "knowledge.import.format"),
    ("kb.csv", b"\xff\xfe\x00", 400, "knowledge.import.format"),
    ("kb.json", b'[{"question": "a" "answer": "b"}]', 400, "knowledge.import.format"),
])
async def test_given_an_unreadable_upload_then_refused_with_a_stable_id(client, filename, data, status, error):
    token = await as_user(client, "boss")
    response = await client.post("/kb/import", data=upload(data, filename),
                                 headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert response.status == status and (await response.json())["error"]["id"] == error


async def test_given_no_file_or_an_unknown_body_then_refused(client):
    token = await as_user(client, "boss")
    form = aiohttp.FormData()
    form.add_field("other", "x")
    form.add_field("dummy", b"x", filename="x.txt")
    response = await client.post("/kb/import", data=form, headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert response.status == 400 and (await response.json())["error"]["id"] == "knowledge.import.no_file"
    response = await client.post("/kb/import", data=b"abc", headers={"X-CSRF-Token": token,
                                                                     "Content-Type": "text/plain"})
    assert response.status == 415


async def test_given_a_file_over_the_limit_then_413(server, client):
    app, _ = server
    kb = app[ENGINE].services["knowledge"]
    token = await as_user(client, "boss")
    limit, kb._max_bytes = kb._max_bytes, 1000
    try:
        for headers, form_token in (({"X-CSRF-Token": token}, None), ({}, token)):
            response = await client.post("/kb/import", data=upload(b"x" * 5000, "big.csv", form_token),
                                         headers={**headers, "Accept": "application/json"})
            assert response.status == 413
    finally:
        kb._max_bytes = limit


async def test_given_an_admin_without_the_csrf_token_when_importing_then_refused(server, client):
    app, _ = server
    await as_user(client, "boss")
    before = app[ENGINE].services["knowledge"].size
    response = await client.post("/kb/import", data=upload((HEADER + "c1,问题,答案,,,,\n").encode(), "kb.csv"),
                                 headers={"Accept": "application/json"})
    assert response.status == 403 and app[ENGINE].services["knowledge"].size == before


async def test_given_an_agent_then_the_import_script_is_forbidden(client):
    await as_user(client, "agent01")
    assert (await client.get("/kb/kb_import.js", headers={"Accept": "application/json"})).status == 403


async def test_given_an_admin_then_the_import_script_is_served_from_the_console_origin(client):
    await as_user(client, "boss")
    response = await client.get("/kb/kb_import.js")
    assert response.status == 200 and response.content_type == "application/javascript"
    assert "X-CSRF-Token" in await response.text()


async def test_given_kb_then_it_leads_to_the_search_page(client):
    await as_user(client, "agent01")
    response = await client.get("/kb", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/kb/search"


async def test_given_the_knowledge_base_not_started_then_search_answers_503(server, client):
    app, _ = server
    await as_user(client, "agent01")
    kb = app[ENGINE].services.pop("knowledge")
    try:
        assert (await client.get("/kb/search", params={"q": "公积金", "format": "json"})).status == 503
    finally:
        app[ENGINE].services["knowledge"] = kb
