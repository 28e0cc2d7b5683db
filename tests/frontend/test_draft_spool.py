"""The IVR's drafts across a database outage (ivr/frontend/draft_spool.py): on disk, filed later, once."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

from hotline.spool import JsonSpool
from ivr.frontend.draft_spool import DraftDeferred, SpooledDrafts
from tickets.errors import InvalidField


class Store:
    def __init__(self) -> None:
        self.down = True
        self.filed: list[dict] = []

    async def create_draft(self, **fields):
        if self.down:
            raise ConnectionRefusedError("database down")
        if fields.get("caller") == "bad":
            raise InvalidField("caller", "只能包含数字")
        self.filed.append(fields)
        return SimpleNamespace(number=f"2026120200{len(self.filed):02d}", **fields)

    async def search(self, *, call_id=None, limit=20):
        return [SimpleNamespace(**f) for f in self.filed if f.get("call_id") == call_id][:limit]


def draft(n: int, **extra) -> dict:
    return {"actor": "ivr", "caller": "13800138000", "call_id": f"1796.{n}", "transcript": f"诉求{n}",
            "audio_ref": f"/intake/{n}.wav", **extra}


async def test_given_the_database_refuses_then_drafts_wait_on_disk_and_are_filed_in_order_once_it_is_back(tmp_path):
    store = Store()
    drafts = SpooledDrafts(store, JsonSpool(tmp_path / "drafts"), timeout=0.2)
    for n in range(3):
        try:
            await drafts.create_draft(**draft(n))
        except DraftDeferred:
            pass
        else:
            raise AssertionError("a refused draft must be deferred")
    assert len(drafts) == 3 and await drafts.flush() == 0       # still down: nothing filed, nothing lost
    store.down = False
    assert await drafts.flush() == 3 and len(drafts) == 0
    assert [f["transcript"] for f in store.filed] == ["诉求0", "诉求1", "诉求2"]
    # a second engine start finds nothing left to file twice
    assert await SpooledDrafts(store, JsonSpool(tmp_path / "drafts")).flush() == 0


async def test_given_invalid_input_then_it_is_the_flows_error_not_an_outage(tmp_path):
    store = Store()
    store.down = False
    drafts = SpooledDrafts(store, JsonSpool(tmp_path / "drafts"), timeout=0.2)
    try:
        await drafts.create_draft(**draft(1, caller="bad"))
    except InvalidField:
        pass
    assert len(drafts) == 0


async def test_given_a_draft_filed_after_its_timeout_then_flush_does_not_file_it_again(tmp_path):
    store, gate = Store(), asyncio.Event()
    store.down = False
    create = store.create_draft

    async def slow(**fields):
        await gate.wait()
        return await create(**fields)

    store.create_draft = slow
    drafts = SpooledDrafts(store, JsonSpool(tmp_path / "drafts"), timeout=0.05)
    try:
        await drafts.create_draft(**draft(7))
    except DraftDeferred:
        pass
    gate.set()
    await drafts.aclose()
    assert await drafts.flush() == 0 and len(store.filed) == 1 and len(drafts) == 0
