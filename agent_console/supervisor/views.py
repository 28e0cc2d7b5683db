"""/supervisor: the floor's agents with 监听 / 耳语 / 强插, 强制示忙 and 强制签出, each audited.

The supervisor's phone rings first (Originate), so listening needs a phone bound to the account.
Force log-out takes the phone out of every queue and ends the agent's console sessions and open
desk, as disabling would, but the account stays active.
"""
from __future__ import annotations

import json
import re

from aiohttp import web

from agent_console.agent.actions import PauseMember, send
from agent_console.agent.desk import STATE_LABELS
from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor, json_error, live_session
from agent_console.render import page
from hotline.ami.errors import AmiError
from hotline.engine import ENGINE

from .spy import MODES, SpyRefused, spy_request

USERNAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
FORCED_PAUSE = "班长强制示忙"
FORCED_OUT = "班长已将您签出，请重新登录"


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


async def _agents(request: web.Request) -> list[dict]:
    engine = request.app[ENGINE]
    floor, calls = engine.services.get("floor"), engine.services.get("transfers")
    states = {iface: agent for (_, iface), agent in (floor.agents.items() if floor else [])}
    rows = []
    for user in await engine.services["accounts"].list_users():
        if "agent" not in user.role_set or not user.active:
            continue
        agent = states.get(user.phone_interface) if user.phone_interface else None
        call = calls.calls.of(user.phone_interface) if calls is not None else None
        state = agent.state if agent else "logged_out"
        paused = f"（{agent.paused_reason}）" if agent and state == "paused" and agent.paused_reason else ""
        rows.append({"username": user.username, "name": user.display_name, "phone": user.phone_interface or "",
                     "state": state, "state_label": STATE_LABELS.get(state, state) + paused,
                     "queues": sorted(agent.queues) if agent else [], "on_call": call is not None})
    return rows


async def _user(request: web.Request):
    username = request.match_info["username"]
    if not USERNAME.fullmatch(username):
        raise SpyRefused("console.supervisor.unknown_agent", "没有这个坐席", 404)
    user = await request.app[ENGINE].services["accounts"].get_by_name(username)
    if user is None or "agent" not in user.role_set:
        raise SpyRefused("console.supervisor.unknown_agent", "没有这个坐席", 404)
    return user


def _client(request: web.Request):
    engine = request.app[ENGINE]
    server = request.app[CONSOLE].settings.ami_server or next(iter(engine.ami), None)
    client = engine.ami.get(server) if server else None
    if client is None:
        raise SpyRefused("console.ami.not_configured", "没有配置交换机连接", 503)
    return client


async def _refused(request: web.Request, action: str, target: str, exc: SpyRefused) -> web.Response:
    await request.app[CONSOLE].audit.record(actor(request), action, target[:200], "failed")
    return json_error(exc.error_id, exc.message, exc.status)


@requires("supervisor")
async def supervisor_page(request: web.Request) -> web.Response:
    return page(request, "supervisor.html", {"agents": await _agents(request), "modes": MODES})


@requires("supervisor")
async def spy(request: web.Request) -> web.Response:
    """POST /supervisor/agents/{username}/spy {mode: listen|whisper|barge}."""
    action = "supervisor.spy"
    target = request.match_info["username"]
    try:
        data = await request.json()
    except ValueError:
        data = None
    mode = data.get("mode") if isinstance(data, dict) else None
    try:
        agent = await _user(request)
        calls = request.app[ENGINE].services.get("transfers")
        call = calls.calls.of(agent.phone_interface) if calls is not None and agent.phone_interface else None
        me = live_session(request).user
        request_ = spy_request(mode, me.phone_interface, call.agent_channel if call else None, agent.display_name)
        action = f"supervisor.{mode}"
        await _client(request).send(request_.name, request_.fields())
    except SpyRefused as exc:
        return await _refused(request, action, target, exc)
    except AmiError as exc:
        return await _refused(request, action, target,
                              SpyRefused("console.spy.ami_failed", f"交换机拒绝了监听请求：{exc}", 502))
    await request.app[CONSOLE].audit.record(actor(request), action, f"{agent.username} {call.linkedid}")
    return web.json_response({"ok": True, "message": f"正在呼叫您的话机 {me.phone_interface}，接听后开始"
                                                     f"{MODES[mode][1]}{agent.display_name}的通话"}, dumps=_dumps)


@requires("supervisor")
async def force_pause(request: web.Request) -> web.Response:
    target = request.match_info["username"]
    try:
        agent = await _user(request)
        if not agent.phone_interface:
            raise SpyRefused("console.agent.no_phone", "该坐席未绑定话机")
        await send(_client(request), PauseMember(agent.phone_interface, True, FORCED_PAUSE))
    except SpyRefused as exc:
        return await _refused(request, "supervisor.force_pause", target, exc)
    except AmiError as exc:
        return await _refused(request, "supervisor.force_pause", target,
                              SpyRefused("console.supervisor.ami_failed", f"交换机拒绝了示忙：{exc}", 502))
    await request.app[CONSOLE].audit.record(actor(request), "supervisor.force_pause", agent.username)
    return web.json_response({"ok": True, "message": f"已将{agent.display_name}强制示忙"}, dumps=_dumps)


@requires("supervisor")
async def force_logout(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    target = request.match_info["username"]
    try:
        agent = await _user(request)
    except SpyRefused as exc:
        return await _refused(request, "supervisor.force_logout", target, exc)
    ended = await console.revoker.revoke(agent, FORCED_OUT)
    if agent.phone_interface:
        await console.revoker.remove_from_queues(agent.phone_interface, ended)
    result = "ok" if not ended.failed else "failed"
    await console.audit.record(actor(request), "supervisor.force_logout", f"{agent.username} {ended.summary()}"[:200],
                               result)
    message = f"已将{agent.display_name}签出" + (f"；未能移出队列：{'、'.join(ended.failed)}" if ended.failed else "")
    return web.json_response({"ok": not ended.failed, "message": message, "left": [q for _, q in ended.removed]},
                             dumps=_dumps)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/supervisor", supervisor_page, name="supervisor")
    router.add_post("/supervisor/agents/{username}/spy", spy)
    router.add_post("/supervisor/agents/{username}/pause", force_pause)
    router.add_post("/supervisor/agents/{username}/logout", force_logout)
