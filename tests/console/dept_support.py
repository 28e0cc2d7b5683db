"""Departments, their users and dispatched tickets for the 承办单位 workspace tests."""
from __future__ import annotations

import re

from hotline.engine import ENGINE

DEPT_USERS = (  # username, display, roles, phone, department
    ("agent01", "坐席01", ("agent",), "PJSIP/8101"),
    ("lead01", "班长01", ("supervisor",), None),
    ("admin01", "管理员01", ("admin",), None),
    ("dept01", "市场监管承办人", ("department",), None, "scjgj"),
    ("dept01b", "市场监管承办人乙", ("department",), None, "scjgj"),
    ("dept02", "城管承办人", ("department_lead",), None, "cgj"),
    ("deptlead01", "市场监管负责人", ("department_lead",), None, "scjgj"),
)
DEPARTMENTS = (("scjgj", "市场监督管理局"), ("cgj", "城市管理局"))


def prepare_departments(app) -> None:
    """running_console(prepare=...): name the departments once the services exist (before users)."""
    async def name(app):
        for code, label in DEPARTMENTS:
            await app[ENGINE].services["tickets"].add_department(code, label)
    app.on_startup.append(name)


async def dispatched_ticket(app, dept: str, content: str, *, request_type: str = "complaint",
                            co: tuple[str, ...] = ()) -> str:
    """A ticket as the agent leaves it after 登记 and 派单, through the tickets service."""
    tickets = app[ENGINE].services["tickets"]
    draft = await tickets.create_draft(actor="agent01", caller="13800138000", content=content)
    await tickets.register(draft.number, "agent01", request_type=request_type, content=content)
    await tickets.dispatch(draft.number, dept, list(co), "agent01")
    return draft.number


def csrf_in(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]*)"', html).group(1)


def prepare_sample_tree(app) -> None:
    """running_console(prepare=...): the shipped departments (市直, 区县 and their 街道) and catalogue."""
    from tickets.sample_catalogue import load_sample

    async def load(app):
        services = app[ENGINE].services
        await load_sample(services["tickets"], services["catalogue"])
    app.on_startup.append(load)
