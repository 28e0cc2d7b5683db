"""A 分中心 (a 设分中心 line) is a department like any other (issue 12.8): it gets a department row,
so it is offered in 派单, has its own workspace accounts and runs on the same deadlines.

The line table stays the one place a sub-center is configured; this keeps the department in step
(created, renamed, deactivated with the line). The code is fixed by the line's number.
"""
from __future__ import annotations

from queues.models import MergeMode
from tickets.errors import UnknownDepartment
from tickets.views import DepartmentRef

PREFIX = "fzx"  # 分中心


def subcenter_code(number: str) -> str:
    return f"{PREFIX}{number}"


async def sync_subcenter_departments(lines, tickets) -> list[DepartmentRef]:
    """Every 设分中心 line as a department (kind city, no parent); a disabled line's is inactive."""
    out = []
    for line in await lines.list():
        if line.mode is not MergeMode.SUBCENTER:
            continue
        code = subcenter_code(line.number)
        if line.enabled:
            out.append(await tickets.add_department(code, line.name))
        else:
            try:
                await tickets.set_department_active(code, False)
            except UnknownDepartment:
                pass
    return out
