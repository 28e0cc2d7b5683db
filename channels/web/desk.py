"""What the citizen's pages do, without HTTP: send a code, submit a request, look it up, evaluate it.

A web request becomes a **draft** (channel web) for an agent to check and 登记: a 12345 center
受理审核 every online submission (type, category, duplicates, abuse) before it is dispatched, the
same way a phone draft is completed by the agent. The citizen sees it as 已提交，待受理.

Lookups need the ticket number and its query code together; a wrong code and an unknown number
give the same None, and both cost the same hash. What a citizen sees is `PublicTicket`: status,
the department's reply and the evaluation — never internal notes, dispatch comments, returns or
the text of a confidential ticket.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from channels.models import QueryCode
from channels.ratelimit import Busy
from channels.sms import SmsOutbox
from tickets.codes import Evaluation, RequestType, Status
from tickets.errors import IllegalTransition, InvalidField, TicketError
from tickets.intake import TicketDetails, normalize_contact
from tickets.service import draft_fields
from tickets.views import format_local

from .codes import VerifyCodes, hash_code, normalize_query_code, same_hash
from .intake_writer import ACTOR, IntakeUnavailable, IntakeWriter, Queued

MAX_CONTENT = 2000
MAX_ADDRESS = 200
MAX_NAME = 32
_MOBILE_LEN = 11
_DUMMY_SALT = "0" * 32

PUBLIC_STATUS = {
    Status.DRAFT: "已提交，待受理", Status.REGISTERED: "已受理", Status.DISPATCHED: "办理中",
    Status.ACCEPTED: "办理中", Status.RETURNED: "办理中", Status.REOPENED: "重新办理中",
    Status.REPLIED: "已答复，待评价", Status.CALLBACK: "已评价", Status.CLOSED: "已办结",
}


class FormError(ValueError):
    """A field the citizen must correct; `field` names it, the message is Chinese."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class Submission:
    request_type: str
    content: str
    address: str
    phone: str
    name: str | None


@dataclass(frozen=True)
class PublicTicket:
    number: str
    status: str
    request_type: str
    submitted: str
    content: str | None
    department: str | None
    reply: str | None
    replied: str
    evaluation: str | None
    can_evaluate: bool
    confidential: bool


def mobile(value: str | None) -> str:
    """A mainland mobile number (SMS needs one), or FormError."""
    try:
        number = normalize_contact(value)
    except InvalidField:
        number = None
    if not number or len(number) != _MOBILE_LEN or not number.startswith("1"):
        raise FormError("phone", "请输入 11 位手机号码")
    return number


def parse_submission(form: dict) -> Submission:
    def text(name: str, size: int, label: str, required: bool = True) -> str | None:
        value = (form.get(name) or "").strip()
        if required and not value:
            raise FormError(name, f"请填写{label}")
        if len(value) > size:
            raise FormError(name, f"{label}不能超过 {size} 个字")
        if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
            raise FormError(name, f"{label}含有非法字符")
        return value or None

    try:
        rtype = RequestType.parse(form.get("request_type") or "").value
    except ValueError:
        raise FormError("request_type", "请选择诉求类型") from None
    return Submission(rtype, text("content", MAX_CONTENT, "诉求内容"), text("address", MAX_ADDRESS, "事发地点"),
                      mobile(form.get("phone")), text("name", MAX_NAME, "姓名", required=False))


class CitizenDesk:
    def __init__(self, tickets, sessions, outbox: SmsOutbox, codes: VerifyCodes, clock, attachments,
                 writer: IntakeWriter) -> None:
        self._tickets, self._sessions, self.outbox, self.codes, self._clock = tickets, sessions, outbox, codes, clock
        self.attachments = attachments  # channels.web.attachments.AttachmentStore
        self.writer = writer

    @property
    def sms_is_log_only(self) -> bool:
        return self.outbox.gateway.name == "log"

    async def send_code(self, phone: str) -> bool:
        code = self.codes.issue(phone)
        minutes = max(1, round(self.codes.ttl_seconds / 60))
        text = f"【12345】您的验证码为 {code}，{minutes} 分钟内有效。如非本人操作请忽略。"
        return await self.outbox.send(phone, text, kind="verify", secret=code)

    async def submit(self, sub: Submission, sms_code: str, files=(), ip: str = "") -> tuple[str, str]:
        """(ticket number, query code), answered once its batch committed (channels/web/intake_writer.py).
        The code is returned once and only its hash is kept. Not stored (IntakeUnavailable, Busy): the SMS
        code is given back so the citizen can simply submit again."""
        taken = self.codes.take(sub.phone, sms_code)
        if taken is None:
            raise FormError("sms_code", "短信验证码不正确或已过期，请重新获取")
        details = TicketDetails(address=sub.address, contact_number=sub.phone, caller_name=sub.name)
        try:
            fields = draft_fields(caller=sub.phone, channel="web", content=sub.content,
                                  request_type=sub.request_type)
        except InvalidField as exc:
            raise FormError(exc.field, "提交的内容无法受理，请检查后重试") from None
        try:
            return await self.writer.submit(Queued(fields, details, list(files), ip))
        except (IntakeUnavailable, Busy):
            self.codes.give_back(sub.phone, taken)
            raise

    async def _verified(self, number: str, code: str) -> bool:
        number = str(number).strip()[:20]
        async with self._sessions() as session:
            row = (await session.execute(select(QueryCode).where(QueryCode.ticket_number == number))
                   ).scalar_one_or_none()
        expected = hash_code(code, row.salt if row else _DUMMY_SALT)  # same work for an unknown number
        return row is not None and bool(normalize_query_code(code)) and same_hash(expected, row.code_hash)

    async def lookup(self, number: str, code: str) -> PublicTicket | None:
        if not await self._verified(number, code):
            return None
        try:
            t = await self._tickets.get(str(number).strip())
        except TicketError:
            return None
        return public_view(t)

    async def evaluate(self, number: str, code: str, evaluation: str, note: str | None) -> PublicTicket | None:
        """None when number/code do not match; FormError when the ticket cannot be evaluated (now)."""
        if not await self._verified(number, code):
            return None
        try:
            ev = Evaluation.parse(evaluation or "").value
        except ValueError:
            raise FormError("evaluation", "请选择满意、基本满意或不满意") from None
        note = (note or "").strip()[:200] or None
        number = str(number).strip()
        current = await self._tickets.get(number)
        if not public_view(current).can_evaluate:
            raise FormError("evaluation", "该诉求现在不能评价（尚未答复或已评价）")
        try:
            t = await self._tickets.record_callback(number, ev, note, ACTOR)
        except IllegalTransition:
            raise FormError("evaluation", "该诉求已评价，不能重复评价") from None
        return public_view(t)


def public_view(t) -> PublicTicket:
    """The citizen's slice of a ticket. A confidential ticket shows its status only."""
    hidden = bool(t.confidential)
    return PublicTicket(
        number=t.number, status=PUBLIC_STATUS.get(t.status, "办理中"),
        request_type=t.request_type.label if t.request_type else "",
        submitted=format_local(t.created_at), content=None if hidden else t.content,
        department=t.lead_department.name if t.lead_department else None,
        reply=None if hidden or t.status not in (Status.REPLIED, Status.CALLBACK, Status.CLOSED) else t.reply,
        replied=format_local(t.replied_at) if t.replied_at else "",
        evaluation=t.evaluation.label if t.evaluation else None,
        can_evaluate=t.status == Status.REPLIED and t.evaluation is None,
        confidential=hidden)


