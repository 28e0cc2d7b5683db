"""Demo only (`hotline demo`, never `hotline run`): simulated people who keep the ticket loop moving
when nobody clicks, so the demo shows 已派单 → 已签收 → 已答复 and the surveys and figures that follow.

Each pass looks at the tickets as a person's inbox would and takes the steps through the same
services the console uses, after a random delay per step:

- a 模拟坐席 registers phone drafts nobody registered (a sample request, so the catalogue has a category);
- a 模拟派单员 dispatches registered tickets nobody dispatched, by the catalogue's suggestion;
- a 模拟承办人 signs for dispatched tickets (签收), now and then returns one as 非本单位职责, and submits a
  result; the department's 模拟负责人 approves it (答复);
- a 区县 with 街道 under it passes about half of what it signed for down to one of them (二级派单); the
  街道's 模拟承办人 signs for it (下级签收) and submits the result, which the 区县's 模拟负责人 approves;
- a 模拟值班长 decides returned tickets: to the catalogue's co-handling department, else back to the same one.

Departments that have demo accounts wait longer, so a person who signs in still finds work in the inbox.
Every step is in the ticket's history under a 模拟… actor, so nobody mistakes it for a person's work.
"""
from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from dataclasses import dataclass

from tickets.codes import ReturnReason, Status
from tickets.errors import TicketError

log = logging.getLogger("hotline.demo.loop")

AGENT = "模拟坐席"
DISPATCHER = "模拟派单员"
HANDLER = "模拟承办人"
LEAD = "模拟负责人"
SUPERVISOR = "模拟值班长"

# (request type, catalogue category, what the citizen said); weighted towards the departments with demo accounts
SAMPLE_REQUESTS = (
    ("complaint", "市场监管/消费维权/预付卡退费", "小区旁的健身房突然关门，预付卡里还有两千多元退不了"),
    ("report", "市场监管/食品安全", "路口小吃店后厨卫生很差，疑似使用过期食材"),
    ("complaint", "市场监管/消费维权/商品质量", "网上买的电热水壶用了三天就漏电，商家拒绝退货"),
    ("complaint", "市场监管/价格收费", "停车场收费标准没有公示，收费明显偏高"),
    ("complaint", "城市管理/市容环境/占道经营", "小区门口早市占道经营，车辆无法通行"),
    ("complaint", "城市管理/市政设施/路灯不亮", "幸福路东段路灯不亮已经一个星期了"),
    ("complaint", "城市管理/市容环境/垃圾清运", "小区垃圾桶满了三天没人清运，气味很大"),
    ("complaint", "生态环境/噪声污染/建筑施工噪声", "工地夜间施工噪音扰民，晚上十一点还在打桩"),
    ("help", "公用事业/供水/停水", "家里从早上开始停水，没有接到任何通知"),
    ("consult", "税务/纳税缴费咨询", "个人所得税专项附加扣除应该怎么填报"),
    ("complaint", "住房/物业管理", "小区电梯坏了一个月，物业一直不修"),
    ("help", "社会保障/劳动纠纷/拖欠工资", "公司已经拖欠三个月工资，老板联系不上"),
)
SAMPLE_WEIGHTS = (4, 3, 3, 2, 4, 3, 2, 2, 1, 1, 1, 1)
DISTRICTS = (None, None, "cdq", "cxq", "gxq")
RESULT = "已到现场核实并责成责任方整改，已向市民说明处理结果。"  # 办理结果 (at most 32 characters)
CONTACT = "电话联系市民，市民表示认可"
NOT_OURS = "经核实，该诉求不属于本单位职责范围，请中心重新派单。"
BACK_TO_YOU = "经核实属于贵单位职责，请签收办理。"
PASS_DOWN_NOTE = "请属地街道核实处理，按时限反馈办理结果。"


@dataclass(frozen=True)
class LoopPace:
    """How long the simulated people take: each step after uniform(0.5, 1.5) × `step_seconds`."""

    step_seconds: float = 30.0
    register_after: float = 4.0      # × step: a draft is left to the agents at the console this long
    staffed_factor: float = 3.0      # departments with demo accounts (a person may be signed in) wait longer
    return_share: float = 0.1        # 退单 (非本单位职责) instead of 签收, at most once per ticket
    pass_down_share: float = 0.5     # 二级派单 to a sub-unit, for a department that has sub-units
    pass_seconds: float = 2.0        # how often the inboxes are looked at (at most; half a step when shorter)

    def delay(self, rng: random.Random, factor: float = 1.0) -> float:
        return self.step_seconds * factor * rng.uniform(0.5, 1.5)


class DemoLoop:
    """The simulated departments and center staff. `services` are the engine's (tickets, handling,
    catalogue; the classifier for tickets without a category); `staffed` the department codes that have
    demo accounts."""

    def __init__(self, services: dict, mode: str, rng: random.Random, pace: LoopPace = LoopPace(),
                 staffed: frozenset[str] = frozenset()) -> None:
        if mode != "demo":
            raise RuntimeError("the simulated ticket loop runs in demo mode only")
        self._services = services
        self._tickets = services["tickets"]
        self._handling = services["handling"]
        self._catalogue = services["catalogue"]
        self._rng = rng
        self.pace = pace
        self._staffed = staffed
        self._due: dict[tuple[str, str], float] = {}   # (ticket, step) -> loop time it is taken
        self._returned_once: set[str] = set()
        self._pass_down_decided: set[str] = set()
        self._sub_units: dict[str, list] = {}   # department code -> its sub-units (the tree does not change)
        self._left: set[str] = set()   # registered tickets the catalogue has no suggestion for: people's work
        self.counts: Counter[str] = Counter()

    async def run(self, stop: asyncio.Event) -> Counter[str]:
        while not stop.is_set():
            try:
                await self.pass_once()
            except Exception:  # noqa: BLE001 - the demo keeps going; the next pass retries
                log.exception("demo.loop.pass_failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=min(self.pace.pass_seconds,
                                                                 max(0.2, self.pace.step_seconds / 2)))
            except TimeoutError:
                pass
        return self.counts

    async def pass_once(self) -> None:
        wanted: dict[tuple[str, str], tuple] = {}
        for t in await self._tickets.search(status=[s.value for s in (Status.DRAFT, Status.REGISTERED,
                                                                       Status.DISPATCHED, Status.ACCEPTED,
                                                                       Status.RETURNED)], limit=500):
            step = await self._next_step(t)
            if step is not None:
                wanted[(t.number, step[0])] = (t, *step)
        now = asyncio.get_running_loop().time()
        self._due = {key: self._due[key] if key in self._due else now + self.pace.delay(self._rng, entry[2])
                     for key, entry in wanted.items()}
        for key, (ticket, step, _factor, dept) in wanted.items():
            if self._due[key] > now:
                continue
            self._due.pop(key, None)
            try:
                done = await getattr(self, f"_{step}")(ticket, dept)
            except TicketError as exc:  # a person took the step first, or the ticket moved on: fine
                log.info("demo.loop.skip ticket=%s step=%s: %s", ticket.number, step, exc)
                continue
            if done:
                self.counts[done] += 1

    async def _next_step(self, t) -> tuple[str, float, str | None] | None:
        """(step, delay factor, department acting) for a ticket, or None when nothing is simulated."""
        lead = t.lead_department.code if t.lead_department else None
        factor = self.pace.staffed_factor if lead in self._staffed else 1.0
        if t.status is Status.DRAFT:
            if t.channel.value == "phone" and not t.content:  # an IVR draft; web requests are reviewed by people
                return "register", self.pace.register_after, None
            return None
        if t.status is Status.REGISTERED:
            return None if t.number in self._left else ("dispatch", 1.0, None)
        if t.status is Status.DISPATCHED:
            return "accept", factor, lead
        if t.status is Status.RETURNED:
            return "decide_return", 1.0, lead
        handling = await self._handling.handling(t.number)
        if handling.pending is not None:
            return "approve", factor, lead
        if handling.assigned is None and t.number not in self._pass_down_decided:
            if await self._units_under(lead):
                return "pass_down", factor, lead
            self._pass_down_decided.add(t.number)
        unit = handling.assigned.code if handling.assigned else lead  # a sub-unit handles what it was passed
        unit_factor = self.pace.staffed_factor if unit in self._staffed else 1.0
        if handling.assigned is not None and handling.assigned_accepted_by is None:
            return "sub_accept", unit_factor, unit
        return "submit", unit_factor, unit

    async def _units_under(self, code: str | None) -> list:
        if code is None:
            return []
        if code not in self._sub_units:
            self._sub_units[code] = await self._handling.sub_units(code)
        return self._sub_units[code]

    # --- the steps, as a person would take them --------------------------------------------

    async def _register(self, t, _dept) -> str:
        from tickets.intake import TicketDetails, contact_or_none

        rtype, category, content = self._rng.choices(SAMPLE_REQUESTS, SAMPLE_WEIGHTS)[0]
        details = TicketDetails(district=self._rng.choice(DISTRICTS), contact_number=contact_or_none(t.caller))
        await self._tickets.register(t.number, AGENT, request_type=rtype, content=content, category=category,
                                     details=details)
        log.info("demo.loop.register ticket=%s category=%s", t.number, category)
        return "register"

    async def _suggestion(self, t):
        from agent_console.ticketdesk.routing import suggestion_for

        return await suggestion_for(self._services, self._catalogue, t.category, t.district, t.content)

    async def _dispatch(self, t, _dept) -> str | None:
        from agent_console.ticketdesk.routing import routing_of

        suggestion, guessed = await self._suggestion(t)
        if suggestion is None:  # nothing the catalogue would say: left to the people at the console
            self._left.add(t.number)
            log.info("demo.loop.no_suggestion ticket=%s: left to the console", t.number)
            return None
        await self._tickets.dispatch(t.number, suggestion.lead, list(suggestion.co), DISPATCHER,
                                     routing=routing_of(suggestion, suggestion.lead, list(suggestion.co), guessed))
        log.info("demo.loop.dispatch ticket=%s lead=%s co=%s", t.number, suggestion.lead, ",".join(suggestion.co))
        return "dispatch"

    async def _accept(self, t, dept) -> str:
        if t.number not in self._returned_once and self._rng.random() < self.pace.return_share:
            self._returned_once.add(t.number)
            await self._tickets.return_(t.number, dept, NOT_OURS, HANDLER, reason_code=ReturnReason.NOT_OURS.value)
            log.info("demo.loop.return ticket=%s dept=%s", t.number, dept)
            return "return"
        self._returned_once.add(t.number)  # signed for: not returned later
        await self._tickets.accept(t.number, dept, HANDLER)
        log.info("demo.loop.accept ticket=%s dept=%s", t.number, dept)
        return "accept"

    async def _pass_down(self, t, dept) -> str | None:
        self._pass_down_decided.add(t.number)
        units = await self._units_under(dept)
        if not units or self._rng.random() >= self.pace.pass_down_share:
            return None  # the department handles it itself
        unit = self._rng.choice(units)
        await self._handling.sub_dispatch(t.number, dept, unit.code, HANDLER, note=PASS_DOWN_NOTE)
        log.info("demo.loop.pass_down ticket=%s dept=%s to=%s", t.number, dept, unit.code)
        return "pass_down"

    async def _sub_accept(self, t, unit) -> str:
        await self._handling.sub_accept(t.number, unit, HANDLER)
        log.info("demo.loop.sub_accept ticket=%s unit=%s", t.number, unit)
        return "sub_accept"

    async def _submit(self, t, dept) -> str:
        await self._handling.submit(t.number, dept, HANDLER, result=RESULT, contact=CONTACT, contacted=True)
        log.info("demo.loop.submit ticket=%s dept=%s", t.number, dept)
        return "submit"

    async def _approve(self, t, dept) -> str:
        await self._handling.approve(t.number, dept, LEAD)
        log.info("demo.loop.reply ticket=%s dept=%s", t.number, dept)
        return "reply"

    async def _decide_return(self, t, dept) -> str:
        suggestion, _ = await self._suggestion(t)
        other = next((c for c in (suggestion.co if suggestion else ()) if c != dept), None)
        if other is not None:
            await self._tickets.dispatch(t.number, other, [], SUPERVISOR, note="退单审核：改派协办单位",
                                         routing={"source": "manual"})
            log.info("demo.loop.redispatch ticket=%s from=%s to=%s", t.number, dept, other)
        else:
            await self._tickets.reject_return(t.number, BACK_TO_YOU, SUPERVISOR)
            log.info("demo.loop.reject_return ticket=%s dept=%s", t.number, dept)
        return "decide_return"
