"""The FastAGI `survey` route's call flow: which request, 问题是否已解决, 满意度, confirm, store.

A plain generator (ivr.frontend.driver): AGI commands and `Effect`s (database work) are yielded, so
a test can replay it without a socket. DTMF: the question is a STREAM FILE any key interrupts, then
WAIT FOR DIGIT; a key outside the offered ones gets one re-prompt, then the try counts as `invalid`.
A hang-up at any point keeps what was answered (`hung_up`, the job retried).
"""
from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ivr.fastagi import ChannelHungUp, CommandFailed, ConnectionLost, SayDigits, StreamFile, WaitForDigit
from ivr.frontend.driver import Effect

ANY_KEY = "0123456789*#"
RESOLVED = {"1": True, "2": False}
SATISFACTION = {"1": "satisfied", "2": "basically_satisfied", "3": "dissatisfied"}
CATEGORY_PROMPTS = {"consult", "help", "complaint", "report", "suggestion", "praise"}


@dataclass(frozen=True)
class SurveyPrompts:
    intro: str = "hotline/survey-intro"
    category: str = "hotline/survey-category"
    resolved: str = "hotline/survey-resolved"
    satisfaction: str = "hotline/survey-satisfaction"
    invalid: str = "hotline/survey-invalid"
    thanks: str = "hotline/survey-thanks"
    reopen: str = "hotline/survey-reopen"
    later: str = "hotline/survey-later"


@dataclass(frozen=True)
class SurveyCall:
    """What the route found for the job: the ticket number and its type code (for the category prompt)."""

    job_id: int
    ticket_number: str
    request_type: str | None


class SurveyPorts(Protocol):
    def begin(self, job_id: int, channel: str | None) -> Any: ...            # -> SurveyCall | None (awaited)
    def keep_partial(self, job_id: int, resolved: bool | None, satisfaction: str | None) -> Any: ...
    def complete(self, call: SurveyCall, resolved: bool, satisfaction: str) -> Any: ...  # -> action
    def not_finished(self, call: SurveyCall, outcome: str, resolved: bool | None) -> Any: ...


@dataclass
class SurveyOutcome:
    job_id: int | None = None
    outcome: str = "none"          # reached | hung_up | invalid | none (no job to survey)
    resolved: bool | None = None
    satisfaction: str | None = None
    action: str | None = None
    notes: list[str] = field(default_factory=list)


def category_prompt(request_type: str | None, prompts: SurveyPrompts) -> str:
    return f"hotline/category-{request_type}" if request_type in CATEGORY_PROMPTS else prompts.category


def ask(prompt: str, keys: str, invalid: str, timeout_ms: int) -> Generator[Any, Any, str | None]:
    """One of `keys`, or None after two misses (an invalid key or no key: one re-prompt)."""
    for attempt in range(2):
        played = yield StreamFile(prompt if attempt == 0 else invalid, ANY_KEY)
        digit = played.digit
        if digit is None and attempt == 1:
            played = yield StreamFile(prompt, ANY_KEY)
            digit = played.digit
        if digit is None:
            try:
                digit = yield WaitForDigit(timeout_ms)
            except CommandFailed:
                return None
        if digit is not None and digit in keys:
            return digit
    return None


def survey_flow(job_id: int | None, channel: str | None, ports: SurveyPorts, prompts: SurveyPrompts = SurveyPrompts(),
                timeout_ms: int = 6000) -> Generator[Any, Any, SurveyOutcome]:
    out = SurveyOutcome(job_id)
    if job_id is None:
        out.notes.append("no survey job id in the AGI arguments")
        return out
    call = yield Effect(ports.begin, job_id, channel)
    if call is None:
        out.notes.append(f"job {job_id} is not out (done, given up or unknown): nothing asked")
        return out
    try:
        yield StreamFile(prompts.intro, "")
        yield SayDigits(call.ticket_number, "")
        yield StreamFile(category_prompt(call.request_type, prompts), "")
        key = yield from ask(prompts.resolved, "".join(RESOLVED), prompts.invalid, timeout_ms)
        if key is None:
            return (yield from _not_finished(ports, call, out, "invalid", prompts))
        out.resolved = RESOLVED[key]
        yield Effect(ports.keep_partial, job_id, out.resolved, None)
        key = yield from ask(prompts.satisfaction, "".join(SATISFACTION), prompts.invalid, timeout_ms)
        if key is None:
            return (yield from _not_finished(ports, call, out, "invalid", prompts))
        out.satisfaction = SATISFACTION[key]
        out.outcome = "reached"
        out.action = yield Effect(ports.complete, call, out.resolved, out.satisfaction)
        if out.action == "reopened":
            yield StreamFile(prompts.reopen, "")
        yield StreamFile(prompts.thanks, "")
    except (ChannelHungUp, ConnectionLost):
        if out.outcome != "reached":
            out.outcome = "hung_up"
            yield Effect(ports.not_finished, call, "hung_up", out.resolved)
    return out


def _not_finished(ports: SurveyPorts, call: SurveyCall, out: SurveyOutcome, outcome: str,
                  prompts: SurveyPrompts) -> Generator[Any, Any, SurveyOutcome]:
    out.outcome = outcome
    yield Effect(ports.not_finished, call, outcome, out.resolved)
    try:
        yield StreamFile(prompts.later, "")
    except (ChannelHungUp, ConnectionLost):
        pass
    return out
