"""Console settings, taken from the engine configuration with defaults for keys it lacks yet."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agent_console.auth.ratelimit import LoginLimits

DEFAULT_PAUSE_REASONS = ("小休", "午休", "培训", "会议")


class SettingsError(ValueError):
    error_id = "console.settings.invalid"


@dataclass(frozen=True)
class ConsoleSettings:
    session_key: str = ""
    session_max_age: int = 8 * 3600     # absolute lifetime of a login
    session_idle_timeout: int = 30 * 60  # a login without a request this long ends
    trusted_proxies: tuple[str, ...] = ()  # whose X-Forwarded-Proto / -For are believed (auth/transport.py)
    login_concurrency: int = 4          # login requests worked on at once (auth/gate.py)
    login_wait_seconds: float = 2.0     # beyond that a login waits this long, then 429
    login_queue: int = 8                # logins waiting for a turn; beyond that 429 at once
    pause_reasons: tuple[str, ...] = DEFAULT_PAUSE_REASONS
    login_limits: LoginLimits = field(default_factory=LoginLimits)
    poll_seconds: float = 2.0           # how often a page without its websocket asks for its state
    live_batch_seconds: float = 0.25    # websocket batch window: at most ~4 messages per page per second
    live_tick_seconds: float = 5.0      # without events: session expiry check and refresh of durations
    secure_cookies: bool = False        # always Secure (production); otherwise Secure whenever served over TLS
    ami_server: str | None = None       # which Asterisk agents log in to; None: the first configured
    public_paths: tuple[str, ...] = ("/healthz",)
    chart_refresh_seconds: float = 30.0  # today's calls by hour: re-read from the call log this often
    # Where Asterisk reads the rendered merged-hotline includes (config [asterisk] config_dir);
    # None: the admin page previews nothing and cannot apply.
    asterisk_config_dir: Path | None = None

    def __post_init__(self) -> None:
        reasons = self.pause_reasons
        if not reasons or len(set(reasons)) != len(reasons) or any(not r or len(r) > 32 or "\n" in r
                                                                   or "\r" in r for r in reasons):
            raise SettingsError(f"pause reasons {reasons!r}: expected distinct non-empty names of at most 32 chars")

    @classmethod
    def from_config(cls, config) -> ConsoleSettings:
        console = config.console
        reasons = getattr(console, "pause_reasons", None) or DEFAULT_PAUSE_REASONS
        limits = LoginLimits(per_user_address=console.login_free_attempts, base_delay_seconds=console.login_base_delay,
                             max_delay_seconds=console.login_max_delay, per_ip=console.login_per_ip)
        return cls(session_key=config.session_key, session_max_age=console.session_max_age,
                   session_idle_timeout=console.session_idle_timeout, trusted_proxies=tuple(console.trusted_proxies),
                   login_limits=limits, login_concurrency=console.login_concurrency,
                   login_wait_seconds=console.login_hash_wait,
                   login_queue=getattr(console, "login_queue", 8),
                   pause_reasons=tuple(reasons), secure_cookies=config.engine.mode == "production",
                   ami_server=getattr(console, "ami_server", None),
                   asterisk_config_dir=_asterisk_dir(config),
                   chart_refresh_seconds=getattr(console, "chart_refresh_seconds", 30.0))


def _asterisk_dir(config) -> Path | None:
    value = getattr(getattr(config, "asterisk", None), "config_dir", None)
    return Path(value) if value else None
