"""What every admin page shares: a JSON body, input errors in Chinese, audited answers."""
from __future__ import annotations

import json

from aiohttp import web

from agent_console.context import CONSOLE, actor, json_error


class AdminInputError(ValueError):
    error_id = "console.admin.invalid"

    def __init__(self, field: str, message: str, error_id: str | None = None) -> None:
        super().__init__(message)
        self.field, self.message = field, message
        if error_id:
            self.error_id = error_id


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


async def read_json(request: web.Request) -> dict:
    try:
        data = await request.json()
    except ValueError:
        raise AdminInputError("body", "请求格式错误") from None
    if not isinstance(data, dict):
        raise AdminInputError("body", "请求格式错误")
    return data


def text_field(data: dict, name: str, label: str, limit: int, *, required: bool = True) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise AdminInputError(name, f"{label}格式错误")
    value = value.strip()
    if required and not value:
        raise AdminInputError(name, f"请填写{label}")
    if len(value) > limit or any(ord(ch) < 32 for ch in value):
        raise AdminInputError(name, f"{label}不能超过 {limit} 个字符，且不能含控制字符")
    return value


def bool_field(data: dict, name: str, label: str) -> bool:
    value = data.get(name)
    if not isinstance(value, bool):
        raise AdminInputError(name, f"{label}格式错误")
    return value


async def refused(request: web.Request, action: str, target: str, exc: AdminInputError,
                  status: int = 400) -> web.Response:
    await request.app[CONSOLE].audit.record(actor(request), action, target[:200], "failed")
    return json_error(exc.error_id, exc.message, status, field=exc.field)


async def done(request: web.Request, action: str, target: str, payload: dict) -> web.Response:
    await request.app[CONSOLE].audit.record(actor(request), action, target[:200])
    return web.json_response({"ok": True, **payload}, dumps=dumps)
