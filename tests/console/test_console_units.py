"""Pure pieces of the console: redirect targets after login, settings validation."""
from __future__ import annotations

import pytest

from agent_console.settings import ConsoleSettings, SettingsError
from agent_console.views.login import safe_next


@pytest.mark.parametrize("target, expected", [
    ("/agent", "/agent"), ("//evil.example/x", "/"), ("http://evil.example/", "/"), ("/\\evil.example", "/"),
    ("", "/"), (None, "/"), ("agent", "/"), ("/" + "a" * 600, "/"),
])
def test_given_a_next_target_when_redirecting_after_login_then_only_local_paths(target, expected):
    assert safe_next(target) == expected



@pytest.mark.parametrize("reasons", [(), ("午休", "午休"), ("",), ("a" * 33,), ("午\n休",)])
def test_given_bad_pause_reasons_when_configured_then_refused(reasons):
    with pytest.raises(SettingsError):
        ConsoleSettings(pause_reasons=reasons)
