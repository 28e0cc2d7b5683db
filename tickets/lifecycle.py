"""The ticket state machine, as data.

    draft --register--> registered --dispatch--> dispatched --accept--> accepted --reply--> replied
    replied --callback--> callback --close--> closed --reopen--> reopened --dispatch--> dispatched

Returns: the lead department hands a ticket back (dispatched/accepted --return--> returned), the
dispatcher then re-dispatches it (returned --dispatch--> dispatched) or answers it itself. A
supervisor who finds the return unfounded rejects it (returned --reject_return--> dispatched): the
same department must sign for it again.

直接办结 (answered on the spot from the knowledge base): registered --reply--> replied. We chose
`replied`, not `closed`, so these tickets still get the 回访 callback and evaluation like any other;
the same shortcut exists from returned and reopened.

A dissatisfied callback (不满意) may lead straight to 重办: callback --reopen--> reopened.
A callback attempt that did not reach the citizen (回访未果, callbacks/) is an event on a replied
ticket; after the configured number of them the ticket goes callback --close--> closed as 无法回访.

协办: a co-handling department adds its part (co_reply) while the lead handles the ticket; it is an
event, the lead department's reply alone ends the handling step.

督办 supervision is an event, not a state: it is allowed in every status between registration and
closing and only sets a flag. Attaching the IVR transcript is likewise allowed in every status,
since speech recognition may finish after a quick 直接办结.
"""
from __future__ import annotations

from types import MappingProxyType

from tickets.codes import Action, Status
from tickets.errors import IllegalTransition

S, A = Status, Action

TRANSITIONS = MappingProxyType({
    (S.DRAFT, A.REGISTER): S.REGISTERED,
    (S.REGISTERED, A.DISPATCH): S.DISPATCHED,
    (S.RETURNED, A.DISPATCH): S.DISPATCHED,
    (S.REOPENED, A.DISPATCH): S.DISPATCHED,
    (S.DISPATCHED, A.ACCEPT): S.ACCEPTED,
    (S.DISPATCHED, A.RETURN): S.RETURNED,
    (S.ACCEPTED, A.RETURN): S.RETURNED,
    (S.RETURNED, A.REJECT_RETURN): S.DISPATCHED,
    (S.ACCEPTED, A.REPLY): S.REPLIED,
    (S.REGISTERED, A.REPLY): S.REPLIED,
    (S.RETURNED, A.REPLY): S.REPLIED,
    (S.REOPENED, A.REPLY): S.REPLIED,
    (S.REPLIED, A.CALLBACK): S.CALLBACK,
    (S.CALLBACK, A.CLOSE): S.CLOSED,
    (S.CLOSED, A.REOPEN): S.REOPENED,
    (S.CALLBACK, A.REOPEN): S.REOPENED,
})

IN_PLACE = MappingProxyType({
    A.SUPERVISE: frozenset({S.REGISTERED, S.DISPATCHED, S.ACCEPTED, S.RETURNED, S.REPLIED,
                            S.CALLBACK, S.REOPENED}),
    A.TRANSCRIPT: frozenset(Status),
    A.LINKAGE: frozenset(Status) - {S.CLOSED},
    A.CO_REPLY: frozenset({S.DISPATCHED, S.ACCEPTED}),
    A.CALLBACK_TRY: frozenset({S.REPLIED}),
    # department handling (tickets/handling.py): all inside 办理中; the approved result is the REPLY
    A.SUB_DISPATCH: frozenset({S.ACCEPTED}),
    A.SUB_ACCEPT: frozenset({S.ACCEPTED}),
    A.SUBMIT: frozenset({S.ACCEPTED}),
    A.REJECT_REPLY: frozenset({S.ACCEPTED}),
    A.EXT_REQUEST: frozenset({S.ACCEPTED}),
    A.EXT_APPROVE: frozenset({S.ACCEPTED}),
    A.EXT_REJECT: frozenset({S.ACCEPTED}),
})

SYSTEM_IN_PLACE = MappingProxyType({
    A.DEADLINE_MARK: frozenset(Status) - {S.DRAFT, S.CLOSED},
    A.REMIND: frozenset(Status) - {S.DRAFT, S.CLOSED},
    A.ESCALATE: frozenset(Status) - {S.DRAFT, S.CLOSED},
    A.CALLBACK_ROUTE: frozenset({S.REPLIED}),  # the 回访 split (callbacks/split.py): survey or agents
})
"""Steps the 督办 job records (not offered in any menu): history lines, status unchanged."""

OPEN_STATUSES = frozenset({S.REGISTERED, S.DISPATCHED, S.ACCEPTED, S.RETURNED, S.REOPENED})
"""Statuses in which the completion deadline is running (nothing replied yet)."""


def next_status(ticket_number: str, status: str, action: str) -> Status:
    """The status after `action`, or IllegalTransition naming ticket, status and action."""
    try:
        current, act = Status(status), Action(action)
    except ValueError:
        raise IllegalTransition(ticket_number, status, action) from None
    if (current, act) in TRANSITIONS:
        return TRANSITIONS[(current, act)]
    if current in IN_PLACE.get(act, ()) or current in SYSTEM_IN_PLACE.get(act, ()):
        return current
    raise IllegalTransition(ticket_number, status, action)


def allowed_actions(status: str) -> list[Action]:
    """What the console may offer for a ticket in `status`, in lifecycle order."""
    current = Status(status)
    found = {a for (s, a) in TRANSITIONS if s == current}
    found |= {a for a, statuses in IN_PLACE.items() if current in statuses}
    return [a for a in Action if a in found]
