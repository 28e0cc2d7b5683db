"""The 回访 page's renderer: callbacks/templates first, then the console's (base.html)."""
from __future__ import annotations

from agent_console.render import capability_pages

render = capability_pages("callbacks")
