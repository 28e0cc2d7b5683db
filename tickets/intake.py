"""What the agent's form adds to a ticket at 登记: 事发地点, the number for the reply and 回访, the caller's name.

Pure checks: `TicketDetails.parse` cleans and validates the raw form values (the department tree's
districts and streets are passed in), `apply` writes them onto the ticket inside the register
transaction and returns what the history records (the contact number masked there).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from tickets.errors import InvalidField
from tickets.validation import clean_text, mask_number

_SEPARATORS = re.compile(r"[\s\-().]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")
_LOCAL = re.compile(r"[2-9]\d{6,7}")
BAD_CONTACT = "应为 11 位手机号、带区号的固定电话或 7–8 位本地号码"


def normalize_contact(value: str | None) -> str | None:
    """A callable number for reply and 回访: mobile, landline with area code, or a local number.
    '+86 138-0013-8000' -> '13800138000'. None/blank gives None."""
    if value is None or not str(value).strip():
        return None
    text = _SEPARATORS.sub("", str(value))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if not (_MOBILE.fullmatch(text) or _LANDLINE.fullmatch(text) or _LOCAL.fullmatch(text)):
        raise InvalidField("contact_number", BAD_CONTACT)
    return text


def contact_or_none(value: str | None) -> str | None:
    """The caller ID as a contact number when it is one (a withheld or odd caller ID gives None)."""
    try:
        return normalize_contact(value)
    except InvalidField:
        return None


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    parent: str | None = None


@dataclass(frozen=True)
class TicketDetails:
    district: str | None = None
    street: str | None = None
    address: str | None = None
    contact_number: str | None = None
    caller_name: str | None = None
    personal_callback: bool = False    # 市民要求人工回访 (docs/surveys.md 回访分派)

    @classmethod
    def parse(cls, *, district: str | None, street: str | None, address: str | None, contact: str | None,
              caller_name: str | None, caller: str | None, districts: dict[str, Place],
              streets: dict[str, Place], personal_callback: bool = False) -> TicketDetails:
        """`contact` blank means 'the caller ID' (prefilled on the form); `districts`/`streets` by code."""
        district = (district or "").strip() or None
        street = (street or "").strip() or None
        if district is not None and district not in districts:
            raise InvalidField("district", "请从列表中选择区县")
        if street is not None:
            if street not in streets:
                raise InvalidField("street", "请从列表中选择街道乡镇")
            if district is None:
                district = streets[street].parent
            elif streets[street].parent != district:
                raise InvalidField("street", f"街道“{streets[street].name}”不属于所选区县")
        address = clean_text("address", address)
        name = clean_text("caller_name", caller_name)
        number = normalize_contact(contact) if contact and contact.strip() else contact_or_none(caller)
        return cls(district, street, address.strip() if address else None, number,
                   name.strip() if name else None, bool(personal_callback))

    def apply(self, ticket) -> dict:
        ticket.district, ticket.street, ticket.address = self.district, self.street, self.address
        ticket.contact_number, ticket.caller_name = self.contact_number, self.caller_name
        ticket.personal_callback = self.personal_callback
        recorded = {"district": self.district, "street": self.street, "address": self.address,
                    "contact": mask_number(self.contact_number) or None}
        return {**recorded, "personal_callback": True} if self.personal_callback else recorded
