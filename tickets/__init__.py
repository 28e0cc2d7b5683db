"""Ticket store (工单): registration, dispatch, deadlines, supervision, callback, history.

Other parts call `TicketService` only; nobody else touches the ticket tables.
"""
from tickets.codes import Action, Channel, Evaluation, RequestType, Status, TranscriptStatus, Urgency
from tickets.deadlines import DEFAULT_RULES, DeadlineRules, Limit, save_rule, seed_default_rules
from tickets.errors import (
    ConcurrentUpdate,
    FieldTooLong,
    IllegalTransition,
    InvalidField,
    TicketError,
    TicketNotFound,
    UnknownDepartment,
    WrongDepartment,
)
from tickets.service import TicketService
from tickets.validation import mask_number, normalize_caller
from tickets.views import EventView, OverdueItem, TicketView, format_local, to_local
from tickets.workcalendar import WorkCalendar

__all__ = [
    "Action", "Channel", "ConcurrentUpdate", "DEFAULT_RULES", "DeadlineRules", "EventView", "Evaluation",
    "FieldTooLong", "IllegalTransition", "InvalidField", "Limit", "OverdueItem", "RequestType", "Status",
    "TicketError", "TicketNotFound", "TicketService", "TicketView", "TranscriptStatus", "UnknownDepartment",
    "Urgency", "WorkCalendar", "WrongDepartment", "format_local", "mask_number", "normalize_caller",
    "save_rule", "seed_default_rules", "to_local",
]
