"""Settings an admin changes while the engine runs: loaded at start, swapped in memory on apply.

`admin_settings_context` is an aiohttp cleanup context appended after the engine's services exist:
it overrides the config defaults (pause reasons, classifier rules, emergency words, password policy) with what an
admin last applied, so a restart keeps the edits.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Sequence

from aiohttp import web

from agent_console.accounts.policy import PasswordPolicy, PolicyError
from agent_console.agent.desk import WRAP_UP_REASON
from agent_console.context import CONSOLE, Console
from hotline.engine import ENGINE
from ivr.classify.emergency import emergency_rules_from_dicts
from ivr.classify.errors import RuleError
from queues.queue_settings import QueueSettingsError, QueueSettingsService

from .common import AdminInputError
from .store import CLASSIFIER_RULES, EMERGENCY_RULES, PASSWORD_POLICY, PAUSE_REASONS, SettingsStore

log = logging.getLogger(__name__)
STORE = "console_setting_store"  # engine.services key
MAX_PAUSE_REASONS = 20


def parse_pause_reasons(value) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        raise AdminInputError("reasons", "示忙原因应为文字列表")
    reasons = [r.strip() for r in value if r.strip()]
    if not reasons:
        raise AdminInputError("reasons", "至少需要一个示忙原因")
    if len(reasons) > MAX_PAUSE_REASONS:
        raise AdminInputError("reasons", f"示忙原因最多 {MAX_PAUSE_REASONS} 个")
    for reason in reasons:
        if len(reason) > 32 or any(ord(ch) < 32 for ch in reason):
            raise AdminInputError("reasons", f"示忙原因“{reason[:32]}”过长（最多 32 个字符）或含控制字符")
        if reason == WRAP_UP_REASON:
            raise AdminInputError("reasons", f"“{WRAP_UP_REASON}”由系统使用，不能作为示忙原因")
    duplicates = sorted({r for r in reasons if reasons.count(r) > 1})
    if duplicates:
        raise AdminInputError("reasons", f"示忙原因重复：{'、'.join(duplicates)}")
    return tuple(reasons)


def use_pause_reasons(console: Console, reasons: Sequence[str]) -> None:
    """The agent desk reads `console.settings.pause_reasons` on every request."""
    console.settings = dataclasses.replace(console.settings, pause_reasons=tuple(reasons))


def use_rules(services: dict, classifier_rules, emergency_rules) -> None:
    """Validate both lists first, then swap both: a bad edit leaves the old rules working."""
    emergency = emergency_rules_from_dicts(emergency_rules) if emergency_rules is not None else None
    classifier, detector = services.get("classifier"), services.get("emergency")
    if classifier_rules is not None and classifier is not None:
        classifier.set_rules(classifier_rules)
    if emergency is not None and detector is not None:
        detector.rules = emergency


async def admin_settings_context(app: web.Application) -> AsyncIterator[None]:
    engine, console = app[ENGINE], app[CONSOLE]
    store = SettingsStore(engine.sessions, lambda: engine.clock(), engine.services.get("changes"))
    engine.services[STORE] = store
    reasons = await store.get(PAUSE_REASONS)
    if reasons is not None:
        try:
            use_pause_reasons(console, parse_pause_reasons(reasons))
        except AdminInputError as exc:
            log.error("stored pause reasons ignored (%s): using the config's", exc.message)
    policy = await store.get(PASSWORD_POLICY)
    if policy is not None and "accounts" in engine.services:
        try:
            engine.services["accounts"].policy = PasswordPolicy.from_dict(policy)
        except PolicyError as exc:
            log.error("stored password policy ignored (%s): using the config's", exc.message)
    try:
        engine.services["queue_settings"] = await QueueSettingsService.load(store)
    except QueueSettingsError as exc:
        log.error("stored queue settings ignored (%s): using the defaults", exc.message)
        engine.services["queue_settings"] = QueueSettingsService(store)
    classifier_rules, emergency_rules = await store.get(CLASSIFIER_RULES), await store.get(EMERGENCY_RULES)
    try:
        use_rules(engine.services, classifier_rules, emergency_rules)
    except RuleError as exc:
        log.error("stored keyword rules ignored (%s): using the configured files", exc)
    yield
    engine.services.pop(STORE, None)
    engine.services.pop("queue_settings", None)
