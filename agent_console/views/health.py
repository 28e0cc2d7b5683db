"""/healthz for monitors (the status word only) and /admin/health for staff (every check).

The public answer once listed the AMI links, missing prompts and service names to anyone
(issue 11.7); now a probe learns ok / degraded / down and nothing else. 503 when down, so a
load balancer can act on the code alone.
"""
from __future__ import annotations

from aiohttp import web

from agent_console.auth.access import public, requires
from hotline.engine import ENGINE


def _code(status: str) -> int:
    return 503 if status == "down" else 200


@public
async def healthz(request: web.Request) -> web.Response:
    report = await request.app[ENGINE].health.recent()
    return web.json_response({"status": report.status}, status=_code(report.status))


@requires("admin", "supervisor")
async def health_details(request: web.Request) -> web.Response:
    report = await request.app[ENGINE].health.report()
    return web.json_response(report.details(), status=_code(report.status))


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/healthz", healthz, name="healthz")
    router.add_get("/admin/health", health_details, name="admin-health")
