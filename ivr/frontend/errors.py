"""Typed front-end configuration errors, each with a stable `error_id`."""
from __future__ import annotations


class FrontEndError(Exception):
    error_id = "ivr.frontend"


class MenuConfigError(FrontEndError, ValueError):
    """A menu file that cannot work; `problems` lists every fault found, each naming where it is."""

    error_id = "ivr.menu_config"

    def __init__(self, problems: list[str], source: str = "menus") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(f"{source}: " + "; ".join(self.problems))


class SettingsError(FrontEndError, ValueError):
    error_id = "ivr.frontend_settings"
