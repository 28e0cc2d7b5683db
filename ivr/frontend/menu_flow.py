"""Asking a DTMF menu: prompt, one key, invalid/timeout retries, then the menu's timeout action.

A menu is a STREAM FILE that any key interrupts, then WAIT FOR DIGIT (not GET DATA: GET DATA
treats `#` as its terminator, so a `#` option could never be chosen). DTMF behaviour:

* rapid keys: the first key ends the prompt and is the choice; the others stay in Asterisk's
  channel buffer and answer whatever reads next (type-ahead into the next menu), exactly as
  GET DATA with max_digits=1 would leave them;
* late keys: a key pressed after the wait timed out interrupts the invalid/next prompt and is
  taken as the choice, so a slow caller is not punished twice;
* invalid key: the invalid prompt, then the menu again; after `retries` misses (invalid or
  timeout) the menu's timeout action (default: an agent).
"""
from __future__ import annotations

from collections.abc import Generator
from typing import Any

from ivr.fastagi import CommandFailed, StreamFile, WaitForDigit
from ivr.frontend.menus import Menu, MenuAction

ANY_KEY = "0123456789*#"


def ask(menu: Menu, first_digit: str | None = None) -> Generator[Any, Any, tuple[str | None, MenuAction]]:
    """Returns (key pressed or None, action). `first_digit`: a key already typed during a greeting."""
    misses = 0
    digit = first_digit
    while True:
        if digit is None:
            played = yield StreamFile(menu.prompt, ANY_KEY)
            digit = played.digit
        if digit is None:
            try:
                digit = yield WaitForDigit(menu.timeout_ms)
            except CommandFailed:
                return None, menu.timeout_action
        if digit is None:
            misses += 1
            if misses > menu.retries:
                return None, menu.timeout_action
            continue
        action = menu.options.get(digit)
        if action is not None:
            return digit, action
        misses += 1
        if misses > menu.retries:
            return digit, menu.timeout_action
        played = yield StreamFile(menu.invalid_prompt, ANY_KEY)
        digit = played.digit
