"""The OpenAPI 3.1 document of /api/v1, written by hand (a test checks every route is in it)."""
from __future__ import annotations

from .keys import SCOPES

_ERR = {"$ref": "#/components/responses/Error"}
_STATUS = {"type": "object", "required": ["code", "label"], "properties": {
    "code": {"type": "string", "enum": ["submitted", "registered", "in_progress", "reopened", "replied",
                                       "evaluated", "closed"]},
    "label": {"type": "string", "description": "中文状态，如“办理中”"}}}


def _op(summary: str, scope: str | None, responses: dict, **extra) -> dict:
    op = {"summary": summary, "responses": responses, **extra}
    op["security"] = [{"partnerKey": [scope]}] if scope else []
    if scope:
        op["responses"] = {**responses, "401": _ERR, "403": _ERR}
    return op


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def document() -> dict:
    ticket = {"$ref": "#/components/schemas/Ticket"}
    webhook = {"$ref": "#/components/schemas/Webhook"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "12345 热线合作方接口 (partner API)", "version": "1.0.0",
                 "description": "为 App 与其他平台（省 12345 平台、区级系统）提供：创建工单、查询状态与公开进程、"
                                "状态变更 webhook。每个合作方一把或多把 API 密钥（带权限范围），"
                                "以 `Authorization: Bearer <key>` 发送。合作方只能看到自己创建的工单。"},
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/openapi.json": {"get": _op("本文档 (this document)", None, {"200": _json({"type": "object"})})},
            "/api/v1/tickets": {"post": _op(
                "创建工单（草稿或直接登记）", "tickets:create",
                {"201": _json(ticket, "Created"), "200": _json(ticket, "Replayed: same Idempotency-Key and body"),
                 "400": _ERR, "409": _ERR, "413": _ERR, "415": _ERR, "422": _ERR},
                parameters=[{"name": "Idempotency-Key", "in": "header", "required": False,
                             "description": "同一键同一内容返回同一工单；同一键不同内容返回 409",
                             "schema": {"type": "string", "minLength": 1, "maxLength": 128}}],
                requestBody={"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/NewTicket"}}}})},
            "/api/v1/tickets/{number}": {"get": _op(
                "工单状态与公开进程（不含内部意见与保密内容）", "tickets:read",
                {"200": _json(ticket), "404": _ERR},
                parameters=[{"name": "number", "in": "path", "required": True,
                             "schema": {"type": "string", "pattern": "^[0-9]{14}$"}}])},
            "/api/v1/webhook": {
                "get": _op("查看已登记的 webhook 地址", "webhooks", {"200": _json(webhook)}),
                "put": _op("登记或更换 webhook 地址（首次或 rotate_secret 时返回签名密钥，仅此一次）", "webhooks",
                           {"200": _json(webhook), "400": _ERR, "422": _ERR},
                           requestBody={"required": True, "content": {"application/json": {"schema": {
                               "type": "object", "required": ["url"], "additionalProperties": False,
                               "properties": {"url": {"type": "string", "format": "uri", "maxLength": 512},
                                              "rotate_secret": {"type": "boolean"}}}}}}),
                "delete": _op("停止 webhook 推送", "webhooks", {"200": _json(webhook)}),
            },
        },
        "webhooks": {"ticketStatusChanged": {"post": {
            "summary": "工单公开状态变更 (ticket.status_changed)",
            "description": "POST 到合作方登记的地址。头部 X-Hotline-Signature: sha256=<hex>，为以 webhook 密钥对 "
                           "`<X-Hotline-Timestamp>.<原始请求体>` 计算的 HMAC-SHA256；X-Hotline-Delivery 为稳定的事件 id，"
                           "用于去重。非 2xx 或超时按退避重试。",
            "parameters": [{"name": n, "in": "header", "required": True, "schema": {"type": "string"}}
                           for n in ("X-Hotline-Signature", "X-Hotline-Timestamp", "X-Hotline-Delivery",
                                     "X-Hotline-Event")],
            "requestBody": {"content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/StatusChanged"}}}},
            "responses": {"2XX": {"description": "Received; anything else is retried"}}}}},
        "components": {
            "securitySchemes": {"partnerKey": {"type": "http", "scheme": "bearer",
                                               "description": "Scopes: " + ", ".join(SCOPES)}},
            "responses": {"Error": _json({"type": "object", "properties": {
                "ok": {"const": False}, "error": {"type": "object", "required": ["id", "message"], "properties": {
                    "id": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}}}}},
                "Error")},
            "schemas": {
                "Status": _STATUS,
                "NewTicket": {"type": "object", "required": ["type", "content"], "additionalProperties": False,
                              "properties": {
                                  "type": {"type": "string", "enum": ["consult", "help", "complaint", "report",
                                                                      "suggestion", "praise"]},
                                  "content": {"type": "string", "maxLength": 2000},
                                  "place": {"type": "string", "maxLength": 200, "description": "事发地点"},
                                  "contact": {"type": "object", "additionalProperties": False, "properties": {
                                      "phone": {"type": "string"}, "name": {"type": "string", "maxLength": 64}}},
                                  "external_id": {"type": "string", "maxLength": 64,
                                                  "description": "合作方系统中的编号"},
                                  "register": {"type": "boolean", "default": False,
                                               "description": "true：直接登记（已受理）；false：草稿，待中心受理审核"}}},
                "Ticket": {"type": "object", "required": ["number", "status", "history"], "properties": {
                    "number": {"type": "string"}, "external_id": {"type": ["string", "null"]},
                    "channel": {"type": "string"}, "type": {"type": ["string", "null"]},
                    "status": {"$ref": "#/components/schemas/Status"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "confidential": {"type": "boolean"}, "content": {"type": ["string", "null"]},
                    "department": {"type": ["string", "null"]}, "reply": {"type": ["string", "null"]},
                    "replied_at": {"type": ["string", "null"], "format": "date-time"},
                    "evaluation": {"type": ["string", "null"]},
                    "history": {"type": "array", "items": {"type": "object", "properties": {
                        "seq": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
                        "status": {"$ref": "#/components/schemas/Status"}}}}}},
                "Webhook": {"type": "object", "properties": {
                    "url": {"type": ["string", "null"]}, "has_secret": {"type": "boolean"},
                    "secret": {"type": "string", "description": "only when created or rotated"}}},
                "StatusChanged": {"type": "object", "properties": {
                    "event": {"const": "ticket.status_changed"}, "id": {"type": "string"},
                    "number": {"type": "string"}, "external_id": {"type": ["string", "null"]},
                    "seq": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
                    "status": {"$ref": "#/components/schemas/Status"},
                    "previous": {"$ref": "#/components/schemas/Status"}}},
            },
        },
    }
