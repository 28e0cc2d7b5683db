"""The citizen's voice front end (FastAGI route `ivr`): greeting, optional menus, speech intake,
emergency linkage, ticket draft; it decides and sets channel variables, the dialplan acts."""
from ivr.frontend.callinfo import CallInfo, call_info, caller_number, call_started
from ivr.frontend.driver import Effect, drive
from ivr.frontend.errors import FrontEndError, MenuConfigError, SettingsError
from ivr.frontend.flow import IvrOutcome, ivr_flow
from ivr.frontend.handler import make_ivr_handler
from ivr.frontend.intake import Intake
from ivr.frontend.menus import Menu, MenuAction, MenuBook, load_menus, menus_from_dict, parse_action
from ivr.frontend.ports import IvrDeps, Linkage
from ivr.frontend.settings import FrontEndSettings, Prompts

__all__ = [
    "CallInfo", "Effect", "FrontEndError", "FrontEndSettings", "Intake", "IvrDeps", "IvrOutcome", "Linkage",
    "Menu", "MenuAction", "MenuBook", "MenuConfigError", "Prompts", "SettingsError", "call_info",
    "call_started", "caller_number", "drive", "ivr_flow", "load_menus", "make_ivr_handler", "menus_from_dict",
    "parse_action",
]
