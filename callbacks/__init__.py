"""回访 (callback evaluation): replied tickets due for a call back, the attempts made by agents, the
automated survey or SMS, and the one rule that turns an attempt into 办结, 重办 or 无法回访.

Other parts call `CallbackService` (engine.services["callbacks"]); nobody else touches the
callback_attempt table. The ticket's own history is written through tickets.TicketService.
"""
from callbacks.codes import AttemptOutcome, CallbackChannel
from callbacks.rules import CallbackRules
from callbacks.service import AttemptResult, AttemptView, CallbackService, DueItem

__all__ = ["AttemptOutcome", "AttemptResult", "AttemptView", "CallbackChannel", "CallbackRules",
           "CallbackService", "DueItem"]
