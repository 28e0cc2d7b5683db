"""AMI permission classes as manager.c reads them (`read =`, `write =`, `Events:`, an event's `Privilege:`).

A session gets an event only if it holds every class of the event, in its read permission and in
its event mask: `(readperm & category) == category and (send_events & category) == category`.
"""
from __future__ import annotations

PERMS = {name: 1 << bit for bit, name in enumerate(
    ("system", "call", "log", "verbose", "command", "agent", "user", "config", "dtmf", "reporting", "cdr", "dialplan",
     "originate", "agi", "cc", "aoc", "test", "security", "message"))}
ALL = (1 << 31) - 1  # INT_MAX, what "all" stands for
TRUE_WORDS = frozenset({"yes", "true", "y", "t", "1", "on"})
FALSE_WORDS = frozenset({"no", "false", "n", "f", "0", "off"})


def perm_mask(text: str | None) -> int:
    """`get_perm()`: comma-separated class names (case-sensitive), unknown names ignored, `all` = every class."""
    if not text:
        return 0
    mask = 0
    for word in text.split(","):
        word = word.strip()
        if word == "all":
            mask |= ALL
        else:
            mask |= PERMS.get(word, 0)
    return mask


def events_mask(text: str | None) -> int:
    """`strings_to_mask()` of `Events:` / `EventMask:`: -1 (invalid) when empty, a number as is, on/off, or classes."""
    if not text:
        return -1
    if text.isdigit():
        return int(text)
    if text.lower() in FALSE_WORDS:
        return 0
    if text.lower() in TRUE_WORDS:
        return ALL
    return perm_mask(text)


def event_category(privilege: str) -> int:
    """An event's classes from its `Privilege:` header (`call,all` → call; the `all` is always appended)."""
    return perm_mask(",".join(word for word in privilege.split(",") if word.strip() != "all"))

# app_confbridge was not loaded when the lab's ListCommands was captured; classes from its source
EXTRA_AUTHORITIES = {"confbridgelist": "reporting", "confbridgelistrooms": "reporting", "confbridgekick": "call",
                     "confbridgemute": "call", "confbridgeunmute": "call"}


def action_authorities(commands: list[tuple[str, str]]) -> dict[str, int]:
    """Lower-case action → write classes, from ListCommands lines (`Ping: Keepalive command.  (Priv: <none>)`).

    manager.c runs an action if the session's write permission shares one class with it, or it has none.
    """
    out = {name.lower(): event_category(line.rsplit("(Priv: ", 1)[-1].rstrip(")")) for name, line in commands}
    out.update({name: perm_mask(classes) for name, classes in EXTRA_AUTHORITIES.items()})
    return out
