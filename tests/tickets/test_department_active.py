"""Deactivating a department: dispatch forms stop offering it and dispatch refuses it; reactivation restores it."""
from __future__ import annotations

import pytest

from tickets.errors import UnknownDepartment


async def test_given_active_department_when_deactivated_then_unlisted_and_dispatch_refused(service):
    ref = await service.set_department_active("zjj", False)
    assert (ref.code, ref.name) == ("zjj", "住房和城乡建设局")
    assert "zjj" not in {d.code for d in await service.list_departments()}
    draft = await service.create_draft(caller="13800138000")
    registered = await service.register(draft.number, "agent:1", request_type="投诉", content="楼上漏水")
    with pytest.raises(UnknownDepartment):
        await service.dispatch(registered.number, "zjj", [], actor="agent:1")


async def test_given_inactive_department_when_reactivated_then_listed_again(service):
    await service.set_department_active("cgj", False)
    await service.set_department_active("cgj", True)
    assert "cgj" in {d.code for d in await service.list_departments()}


async def test_given_unknown_code_when_deactivating_then_unknown_department(service):
    with pytest.raises(UnknownDepartment):
        await service.set_department_active("nope", False)
