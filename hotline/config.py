"""Engine configuration: defaults < TOML file < HOTLINE_* environment, validated once.

`load_config()` is the only place that looks at the environment; everything else
receives the validated `Config` object. A wrong value raises `ConfigError` with one
line per problem naming the key, the bad value and what was expected.
"""
from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ENV_PREFIX = "HOTLINE_"
# Values shipped in examples and demo mode; production refuses to start with any of them.
DEMO_SECRETS = frozenset({"", "demo", "demo-secret", "changeme", "hotline-demo-secret", "demo-session-key-0123456789abcdef"})


class ConfigError(Exception):
    """Start-up stops with this; its message is meant for the operator's terminal."""

    error_id = "config.invalid"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretMixin:
    """A secret is given inline (env) or read from a file outside the repository."""

    @staticmethod
    def read_secret(value: str | None, file: Path | None, key: str) -> str:
        if file is not None:
            try:
                return file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"{key}_file = {str(file)!r}: cannot read the secret file ({exc.strerror})") from exc
        return value or ""


class EngineSection(_Section):
    mode: Literal["production", "demo", "development"] = "development"
    data_dir: Path = Path("data")
    timezone: str = "Asia/Shanghai"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("expected an IANA time zone such as Asia/Shanghai") from exc
        return v


class DatabaseSection(_Section):
    url: str = ""  # empty: an SQLite file in engine.data_dir
    password: str | None = None
    password_file: Path | None = None
    query_timeout: float = Field(30.0, gt=0, le=600)  # seconds per statement (PostgreSQL)

    @field_validator("url")
    @classmethod
    def _supported(cls, v: str) -> str:
        if v and not v.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("expected a URL starting with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return v


class AmiServer(_Section):
    name: str = "pbx1"
    host: str = "127.0.0.1"
    port: int = Field(5038, ge=1, le=65535)
    username: str = "hotline"
    secret: str | None = None
    secret_file: Path | None = None


class AmiSection(_Section):
    servers: list[AmiServer] = Field(default_factory=lambda: [AmiServer()])
    action_timeout: float = Field(10.0, gt=0, le=300)
    connect_timeout: float = Field(5.0, gt=0, le=120)
    reconnect_max_delay: float = Field(30.0, gt=0, le=600)

    @model_validator(mode="after")
    def _unique_names(self) -> AmiSection:
        names = [s.name for s in self.servers]
        if len(set(names)) != len(names):
            raise ValueError(f"expected unique server names, got {names}")
        return self


class AgiSection(_Section):
    host: str = "127.0.0.1"
    port: int = Field(4573, ge=0, le=65535)  # 0: any free port (tests)
    header_timeout: float = Field(5.0, gt=0, le=60)
    command_timeout: float = Field(60.0, gt=0, le=3600)
    max_header_bytes: int = Field(16384, ge=1024, le=1 << 20)
    # The address Asterisk dials, rendered into hotline-lines.conf by `hotline lines apply`
    # (default: agi://<host>:<port>, loopback when the engine listens on every address).
    advertise_url: str = Field("", pattern=r"^(agi://[A-Za-z0-9.\-\[\]:]+)?$")
    # Who may connect: Asterisk's addresses or CIDR networks. FastAGI has no authentication, so
    # anything else is closed before its agi_* block is read (logged, counted on the health details).
    allowed_peers: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"], min_length=1)
    # `hotline run` and `hotline demo` serve FastAGI from a separate IVR worker process (its own event
    # loop, database engine and caches), so console traffic such as a login flood never slows a call;
    # false serves it from the engine process itself (the tests' in-process engine always does).
    ivr_worker: bool = True
    worker_restart_max_delay: float = Field(5.0, gt=0, le=300)  # back-off cap between restarts of a dying worker
    # With the worker: the engine's event loop (console HTTP, AMI ingestion) runs this many nice steps
    # below the worker's, so on a busy host calls get the CPU first (0: the same priority).
    engine_nice: int = Field(5, ge=0, le=19)

    @field_validator("allowed_peers", mode="before")
    @classmethod
    def _peer_list(cls, v: Any) -> Any:
        return [p for p in v.split(",") if p.strip()] if isinstance(v, str) else v  # env: "10.0.0.5,10.0.1.0/24"

    @field_validator("allowed_peers")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        from ivr.fastagi.peers import parse_networks

        parse_networks(v)  # ValueError names the bad entry
        return [p.strip() for p in v]

    def peer_allowlist(self):
        from ivr.fastagi.peers import PeerAllowlist

        return PeerAllowlist.of(self.allowed_peers)

    def url(self) -> str | None:
        """What the dialplan's HOTLINE_AGI should be; None while the port is chosen at run time (0)."""
        if self.advertise_url:
            return self.advertise_url
        if self.port == 0:
            return None
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host
        return f"agi://{'[' + host + ']' if ':' in host else host}:{self.port}"


class PasswordPolicySection(_Section):
    """Defaults of the password policy; an admin's edit on /admin/users (密码策略) overrides them."""

    min_length: int = Field(10, ge=8, le=128)
    min_classes: int = Field(2, ge=1, le=4)      # of lowercase, uppercase, digits, symbols
    history: int = Field(5, ge=0, le=24)         # refuse the last N passwords (0: not checked)
    max_age_days: int = Field(0, ge=0, le=3650)  # 0: passwords do not expire


class ConsoleSection(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)  # 0: any free port (tests)
    session_key: str | None = None
    session_key_file: Path | None = None
    session_max_age: int = Field(8 * 3600, ge=60, le=7 * 86400)      # absolute lifetime of a login
    session_idle_timeout: int = Field(30 * 60, ge=60, le=86400)      # ends after this long without a request
    pause_reasons: list[str] = Field(default_factory=lambda: ["小休", "午休", "培训", "会议"], min_length=1)
    ami_server: str | None = None  # the Asterisk agents log in to (default: the first configured)
    # Reverse proxies (addresses or CIDR networks) whose X-Forwarded-Proto / X-Forwarded-For are believed.
    trusted_proxies: list[str] = Field(default_factory=list)
    login_free_attempts: int = Field(5, ge=1, le=100)          # wrong passwords per user+address before delays
    login_base_delay: float = Field(30.0, gt=0, le=3600)      # seconds; doubles with each further failure
    login_max_delay: float = Field(900.0, gt=0, le=86400)
    login_per_ip: int = Field(30, ge=1, le=100_000)           # failures per address (any user) in 15 minutes
    login_hash_workers: int = Field(1, ge=1, le=32)           # password checks running at once
    login_hash_wait: float = Field(2.0, gt=0, le=30)          # a login waits this long for a turn, then 429
    login_hash_processes: bool = True                         # argon2 in idle-priority worker processes, not engine threads
    login_concurrency: int = Field(4, ge=1, le=256)           # login requests worked on at once (loop time)
    login_queue: int = Field(8, ge=0, le=1024)                # logins waiting for a turn; beyond: 429 at once
    password_policy: PasswordPolicySection = PasswordPolicySection()
    # how often the wallboard re-reads today's and the 24-hour figures from the call log
    chart_refresh_seconds: float = Field(30.0, gt=0, le=3600)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value):
        return [p.strip() for p in value.split(",") if p.strip()] if isinstance(value, str) else value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (e.g. 127.0.0.1, 10.0.0.0/8)") from None
        return value

    @model_validator(mode="after")
    def _delays(self) -> ConsoleSection:
        if self.login_max_delay < self.login_base_delay:
            raise ValueError("login_max_delay must be at least login_base_delay")
        return self


class SpeechSection(_Section):
    model_path: Path | None = None
    pool_size: int = Field(2, ge=1, le=64)
    # how often intake audio left "transcript pending" (speech was off) is transcribed later
    sweep_minutes: float = Field(5.0, gt=0, le=1440)


class EmergencySection(_Section):
    """Asterisk dial strings of the linked emergency platforms, rendered into [emergency-linkage]."""

    police: str = "PJSIP/110@emergency-trunk"
    fire: str = "PJSIP/119@emergency-trunk"
    ambulance: str = "PJSIP/120@emergency-trunk"
    traffic: str = "PJSIP/122@emergency-trunk"
    ring_timeout: int = Field(60, ge=5, le=300)

    @field_validator("police", "fire", "ambulance", "traffic")
    @classmethod
    def _dial_string(cls, v: str) -> str:
        import re

        if not re.fullmatch(r"[A-Za-z0-9/@._:+-]{3,128}", v):
            raise ValueError("expected an Asterisk dial string such as PJSIP/119@emergency-trunk")
        return v

    def targets(self) -> dict[str, str]:
        """Emergency number -> dial string."""
        return {"110": self.police, "119": self.fire, "120": self.ambulance, "122": self.traffic}


class RecordingsSection(_Section):
    enabled: bool = True
    directory: Path = Path("data/recordings")   # absolute in production: Asterisk and the engine share it
    retention_days: int = Field(180, ge=1, le=3650)
    retention_by_line: dict[str, int] = Field(default_factory=dict)   # e.g. {"12315" = 365}
    confidential_retention_days: int | None = Field(None, ge=1, le=3650)
    download_roles: list[str] = Field(default_factory=lambda: ["supervisor"])
    mixmonitor_options: str = "b"
    retention_every_hours: float = Field(6.0, gt=0, le=168)
    listen_audit_minutes: float = Field(10.0, ge=0, le=1440)


class IvrSection(BaseModel):
    """The front end. Besides the keys below, every FrontEndSettings field is accepted
    (languages, intake, max_record_seconds, silence_seconds, prompts...), checked by it."""

    model_config = ConfigDict(extra="allow", frozen=True)
    menus_file: Path | None = None            # default: ivr/frontend/default_menus.toml
    intake_dir: Path = Path("/var/spool/asterisk/hotline-intake")  # where Asterisk records intake audio
    sounds_dir: Path | None = None            # Asterisk's sounds, if visible here: prompts checked at start
    classify_rules_file: Path | None = None   # default: ivr/classify/default_rules.toml
    emergency_words_file: Path | None = None  # default: ivr/classify/default_emergency.toml

    @model_validator(mode="after")
    def _front_end(self) -> IvrSection:
        from ivr.frontend.errors import SettingsError

        try:
            self.front_end()
        except SettingsError as exc:
            raise ValueError(f"expected valid front-end settings: {exc}") from None
        return self

    def front_end(self):
        from ivr.frontend.settings import FrontEndSettings

        return FrontEndSettings.from_config(dict(self.model_extra or {}))


class AsteriskSection(_Section):
    # Where the rendered include files go (hotline-lines.conf, hotline-queues.conf); the admin
    # page's preview/apply is disabled without it. Usually /etc/asterisk on the Asterisk host.
    config_dir: Path | None = None


class TicketsSection(_Section):
    # Extra holiday/调休 calendars (CSV: date,kind,name) on top of the shipped official schedule.
    calendar_files: list[Path] = Field(default_factory=list)
    # 办理 attachments (issue 12): where they are kept (default <data_dir>/attachments), the largest
    # file, the types allowed (by extension and checked by content), files per result.
    attachment_directory: Path | None = None
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    attachment_types: list[str] = Field(default_factory=lambda: ["pdf", "jpg", "png", "docx"])
    attachment_max_files: int = Field(default=5, ge=1, le=20)
    merge_window_days: int = Field(7, ge=1, le=365)  # 并单: the form suggests duplicates created this many days back


class SupervisionSection(_Section):
    # 督办 (issue 12.6): the sweep marks a ticket yellow at `warn_share` of a deadline, red when overdue.
    enabled: bool = True
    sweep_seconds: float = Field(default=60.0, gt=0)
    warn_share: float = Field(default=0.8, gt=0, lt=1)
    remind_every_minutes: int = Field(default=60, gt=0)   # a 督办单 is reminded from its due time on
    escalate_after: int = Field(default=3, gt=0)          # reminders before it goes to the department's lead
    retry_seconds: int = Field(default=60, gt=0)          # first retry of a notice the gateway refused
    gateway: str = "log"                                  # "log" or "webhook" (the city's SMS platform)
    webhook_url: str = ""
    webhook_timeout: float = Field(default=3.0, gt=0)


class QueueLogSection(_Section):
    # Asterisk's queue_log (logger.conf `queue_log = yes`), the durable record the engine catches
    # up from on start, on every AMI (re)connect and every `interval_seconds` (asterisk-config/README.md).
    path: Path | None = None
    # Or the realtime table (extconfig.conf `queue_log => pgsql,<db>`): an SQLAlchemy URL of that
    # database, and the zone Asterisk wrote `time` in (UTC with `queue_log_realtime_use_gmt = yes`).
    table_url: str = ""
    table_zone: str = "Asia/Shanghai"
    server: str = ""                   # the AMI server whose calls it records (default: the first)
    interval_seconds: float = Field(default=30.0, gt=0)
    settle_seconds: int = Field(default=5, ge=0)   # a timeout is final once no overflow followed it
    start_at_end: bool = True          # no saved position yet: skip the history already in the file


class CallbacksSection(_Section):
    # 回访 (callbacks/, docs/callbacks.md): a replied ticket is due after due_after_minutes; a failed
    # attempt waits retry_after_minutes; unreachable_after failed attempts (of count_channels) since the
    # latest reply close it as 无法回访.
    due_after_minutes: int = Field(30, ge=0, le=60 * 24 * 30)
    retry_after_minutes: int = Field(120, ge=0, le=60 * 24 * 30)
    unreachable_after: int = Field(3, ge=1, le=20)
    # agents' tries only: with the automated survey on, its own tries move a ticket to the agents
    # (docs/surveys.md 回访分派) instead of closing it; list "survey" too to count them here as well
    count_channels: list[str] = Field(default_factory=lambda: ["agent"])
    # the citizen's leg of click-to-call; empty: the dialplan's PJSIP/<number>@${HOTLINE_OUTBOUND_ENDPOINT}.
    # E.g. an E1 trunk "DAHDI/g1/{number}" or a route "Local/{number}@outbound" (passed as HOTLINE_CALLBACK_DIAL)
    dial: str = ""
    # click-to-call: the agent's phone rings this long, then the citizen this long
    agent_ring_seconds: int = Field(30, ge=5, le=300)
    citizen_ring_seconds: int = Field(45, ge=5, le=300)
    context: str = "hotline-callback"   # asterisk-config/extensions.conf
    # outbound caller ID per line (the number the citizen dialed): {"12345" = "12345", "12315" = "12315"};
    # a line not listed shows its own number, a ticket without a line default_caller_id
    caller_ids: dict[str, str] = Field(default_factory=dict)
    default_caller_id: str = "12345"
    # 漏接回拨 page (issue 14.3): 无人接听 attempts before a row leaves the list as 多次未接通, and how
    # long an agent's click keeps the row theirs (another agent is refused meanwhile)
    missed_max_no_answer: int = Field(3, ge=1, le=10)
    missed_claim_minutes: int = Field(10, ge=1, le=240)

    @field_validator("dial")
    @classmethod
    def _dial(cls, v: str) -> str:
        return _dial_template(v, {"number"}, optional=True)

    def dial_string(self, phone: str) -> str:
        """The citizen's leg for the dialplan, or "" for its own PJSIP default."""
        return self.dial.replace("{number}", dial_digits(phone)) if self.dial else ""


def dial_digits(phone: str) -> str:
    """A citizen's number as it goes into a dial string: its digits (and a +) only."""
    return "".join(ch for ch in phone if ch.isdigit() or ch == "+")


def _dial_template(v: str, names: set[str], *, optional: bool = False) -> str:
    """An outbound dial string with {number} (and `names`): one line, no dialplan syntax (, | ; $)."""
    import re

    if optional and v == "":
        return v
    if "{number}" not in v or not re.fullmatch(r"[A-Za-z0-9/@._:+{}-]{3,128}", v) or \
            set(re.findall(r"{(\w*)}", v)) - names:
        raise ValueError("expected a dial string with {number}, e.g. PJSIP/{number}@trunk or DAHDI/g1/{number}")
    return v


class SurveySection(_Section):
    # Automated outbound 回访 survey (surveys/, issue 13.2): a replied ticket is surveyed by a call
    # Originated into `context` of the shipped dialplan; retries only inside `hours` (local `timezone`).
    enabled: bool = False
    context: str = "hotline-survey"            # asterisk-config/extensions.conf
    endpoint: str = "trunk"                    # the carrier endpoint: PJSIP/<number>@<endpoint>
    # the outbound channel; {number} = the citizen's digits, {endpoint} as above. E.g. an E1 trunk:
    # "DAHDI/g1/{number}", or a dialplan route that picks the carrier: "Local/{number}@outbound"
    dial: str = "PJSIP/{number}@{endpoint}"
    caller_id: str = "12345"                   # what the citizen's phone shows
    hours: str = "09:00-20:00"                 # never at night
    timezone: str = "Asia/Shanghai"
    due_after_minutes: int = Field(30, ge=0, le=60 * 24 * 30)     # after the reply
    retry_after_minutes: int = Field(60, ge=1, le=60 * 24 * 7)    # busy / no answer / hung up / invalid key
    max_attempts: int = Field(3, ge=1, le=10)
    max_concurrent: int = Field(10, ge=1, le=500)                 # outbound survey calls at once
    dials_per_second: float = Field(5.0, gt=0, le=200)            # call attempts per second (the trunk's CAPS)
    ring_seconds: int = Field(45, ge=5, le=300)
    stale_after_minutes: int = Field(15, ge=2, le=240)            # a call out longer than this is given up as lost
    tick_seconds: float = Field(30.0, gt=0, le=3600)
    do_not_call: list[str] = Field(default_factory=list)          # numbers never dialed (the table holds more)
    # 回访分派 (docs/surveys.md): when a replied ticket becomes due for callback, these go to the agents'
    # 回访 page instead of the survey; a survey out of tries (max_attempts) or a do-not-call number moves there too
    agent_lines: list[str] = Field(default_factory=list)          # numbers dialed, e.g. ["12315"]
    agent_categories: list[str] = Field(default_factory=list)     # category paths; a path covers its subtree
    agent_request_types: list[Literal["consult", "help", "complaint", "report", "suggestion", "praise"]] = \
        Field(default_factory=list)
    agent_urgencies: list[Literal["life_property", "utilities", "normal"]] = \
        Field(default_factory=lambda: ["life_property"])
    agent_confidential: bool = True                               # 保密工单
    agent_personal: bool = True                                   # the citizen asked for a person (登记 form)

    @field_validator("dial")
    @classmethod
    def _dial(cls, v: str) -> str:
        return _dial_template(v, {"number", "endpoint"})

    def dial_string(self, phone: str) -> str:
        """The Originate's Channel for a citizen's number."""
        return self.dial.replace("{endpoint}", self.endpoint).replace("{number}", dial_digits(phone))

    def number_in(self, channel: str) -> str | None:
        """The citizen's number back from a dial string of ours (an OriginateResponse names it)."""
        head, _, tail = self.dial.replace("{endpoint}", self.endpoint).partition("{number}")
        if channel.startswith(head) and channel.endswith(tail) and len(channel) > len(head) + len(tail):
            return channel[len(head):len(channel) - len(tail)]
        return None


class SmsSection(_Section, SecretMixin):
    # The SMS gateway (channels/sms): "log" writes every message to the engine log only (demo,
    # development); "http" posts JSON {"to", "text", "sender"} with a bearer token to the city's platform.
    adapter: Literal["log", "http"] = "log"
    url: str = ""
    token: str = ""
    token_file: Path | None = None
    sender: str = "12345"
    timeout_seconds: float = Field(5.0, gt=0, le=60)
    # Lines (numbers dialed) whose callers get their ticket number by SMS after 登记; the sweep
    # runs every notify_every_seconds (<= 180: within 3 minutes) and retries failed sends.
    notify_lines: list[str] = Field(default_factory=list)
    notify_every_seconds: float = Field(30.0, gt=0, le=180)
    notify_max_attempts: int = Field(5, ge=1, le=100)
    # 上行短信 (POST /sms/inbound): the shared secret the platform signs its pushes with (HMAC-SHA256,
    # channels/sms/uplink.py). Empty: the endpoint answers 404. A sender over uplink_per_sender messages
    # per uplink_window_seconds gets 429 (nothing stored).
    uplink_adapter: Literal["json"] = "json"
    uplink_secret: str = ""
    uplink_secret_file: Path | None = None
    uplink_max_age_seconds: int = Field(300, ge=30, le=86400)
    uplink_per_sender: int = Field(20, ge=1)
    uplink_window_seconds: int = Field(3600, ge=60)

    def secret(self) -> str:
        return self.read_secret(self.token, self.token_file, "sms.token")

    def uplink_secret_value(self) -> str:
        return self.read_secret(self.uplink_secret, self.uplink_secret_file, "sms.uplink_secret")


class PartnerApiSection(_Section):
    # The partner API under /api/v1 (channels/partner): bearer keys per partner (`hotline partners add`),
    # webhooks of status changes, retried with backoff (backoff_seconds doubled per try, capped).
    enabled: bool = True
    webhook_every_seconds: float = Field(5.0, ge=1, le=300)  # APScheduler: whole seconds of grace
    webhook_timeout_seconds: float = Field(5.0, gt=0, le=60)
    webhook_max_attempts: int = Field(8, ge=1, le=50)
    webhook_backoff_seconds: float = Field(10.0, gt=0, le=3600)
    webhook_backoff_max_seconds: float = Field(3600.0, gt=0, le=86400)
    # http:// webhook URLs (and loopback/private addresses) only outside production mode
    webhook_allow_insecure: bool | None = None
    max_body_bytes: int = Field(64 * 1024, ge=1024, le=1024 * 1024)


class CitizenSection(_Section):
    # The citizen's web pages (channels/web): limits per client address and per phone number.
    enabled: bool = True
    code_ttl_seconds: int = Field(600, ge=60, le=3600)       # SMS verification code lifetime
    codes_per_phone: int = Field(3, ge=1)                    # codes sent to one phone per window
    codes_per_address: int = Field(10, ge=1)
    submits_per_phone: int = Field(5, ge=1)                  # requests from one phone per window
    submits_per_address: int = Field(10, ge=1)
    queries_per_address: int = Field(20, ge=1)               # query/evaluate attempts per window
    window_seconds: int = Field(3600, ge=60)
    # Submissions (web form, SMS uplink) handled at once; more answer 503 系统繁忙 with Retry-After at
    # once, before their body is read and with nothing stored, instead of queueing for the database.
    # A waiting submission is a queued item of the group-commit writer (channels/web/intake_writer.py),
    # not a database connection: 500/s at tens of ms each is ~25 at once, bursts more.
    max_in_flight: int = Field(256, ge=1, le=10_000)
    # Group commit: a batch is stored in ONE transaction once `batch_max_items` are queued or
    # `batch_linger_ms` after the first (more join while the previous batch commits). A batch not
    # committed within `batch_timeout_seconds` fails whole (503, nothing stored); for
    # `batch_cooldown_seconds` after a failure new submissions get 503 at once; a queue of
    # `batch_max_queued` refuses more (503).
    batch_max_items: int = Field(64, ge=1, le=5000)
    batch_linger_ms: float = Field(2.0, ge=0, le=100)
    batch_timeout_seconds: float = Field(5.0, gt=0, le=60)
    batch_cooldown_seconds: float = Field(1.0, ge=0, le=60)
    batch_max_queued: int = Field(2000, ge=1, le=100_000)


class HotspotsSection(_Section):
    # 热点与预警 (issue 16.6): a category (or category×district) is a spike when today's count is at least
    # `min_count` and `z_threshold` standard deviations above the mean of the previous `baseline_days` days.
    z_threshold: float = Field(3.0, gt=0)
    min_count: int = Field(5, ge=1)
    baseline_days: int = Field(28, ge=7, le=90)
    # Each new warning is sent once to the center's supervisors through the 督办 notification gateway
    # ([supervision] gateway / webhook_url), checked every notify_every_seconds; retried while it is down.
    notify: bool = True
    notify_every_seconds: float = Field(300.0, ge=5, le=3600)


class WechatSection(_Section, SecretMixin):
    # The WeChat official account's message push (channels/wechat), plaintext mode only: the token
    # set on the platform (开发 → 基本配置 → 服务器配置). Empty: the endpoint answers 404.
    token: str = ""
    token_file: Path | None = None
    # Messages from one OpenID within this many seconds of its previous one go to the same draft.
    conversation_seconds: int = Field(1800, ge=60, le=86400)
    messages_per_openid: int = Field(30, ge=1)               # per rate_window_seconds
    rate_window_seconds: int = Field(3600, ge=60)
    # A signed request whose timestamp is further than this from our clock is refused: in plaintext
    # mode the signature does not cover the body, so a captured query string must not stay usable.
    max_age_seconds: int = Field(300, ge=30, le=86400)
    # Safe mode (安全模式, encrypt_type=aes): the account's AppID and the 43-character EncodingAESKey
    # (channels/wechat/crypto.py). Without them an encrypted push is refused (400).
    appid: str = ""
    encoding_aes_key: str = ""
    encoding_aes_key_file: Path | None = None
    # Images are fetched by MediaId (临时素材 /cgi-bin/media/get) into the draft's attachments when the
    # AppSecret is set; otherwise only their reference is kept.
    app_secret: str = ""
    app_secret_file: Path | None = None
    api_base: str = "https://api.weixin.qq.com"
    media_timeout_seconds: float = Field(10.0, gt=0, le=60)

    def secret(self) -> str:
        return self.read_secret(self.token, self.token_file, "wechat.token")

    @field_validator("encoding_aes_key")
    @classmethod
    def _aes_key_shape(cls, v: str) -> str:
        import re

        if v and not re.fullmatch(r"[A-Za-z0-9+/]{43}", v):
            raise ValueError("the EncodingAESKey is 43 Base64 characters (开发 → 基本配置 → 服务器配置)")
        return v

    def aes_key(self) -> str:
        return self.read_secret(self.encoding_aes_key, self.encoding_aes_key_file, "wechat.encoding_aes_key")

    def app_secret_value(self) -> str:
        return self.read_secret(self.app_secret, self.app_secret_file, "wechat.app_secret")


class Config(_Section):
    engine: EngineSection = EngineSection()
    database: DatabaseSection = DatabaseSection()
    ami: AmiSection = AmiSection()
    agi: AgiSection = AgiSection()
    console: ConsoleSection = ConsoleSection()
    speech: SpeechSection = SpeechSection()
    emergency: EmergencySection = EmergencySection()
    recordings: RecordingsSection = RecordingsSection()
    tickets: TicketsSection = TicketsSection()
    ivr: IvrSection = IvrSection()
    asterisk: AsteriskSection = AsteriskSection()
    queue_log: QueueLogSection = QueueLogSection()
    callbacks: CallbacksSection = CallbacksSection()
    survey: SurveySection = SurveySection()
    supervision: SupervisionSection = SupervisionSection()
    sms: SmsSection = SmsSection()
    citizen: CitizenSection = CitizenSection()
    hotspots: HotspotsSection = HotspotsSection()
    wechat: WechatSection = WechatSection()
    partner_api: PartnerApiSection = PartnerApiSection()

    @property
    def database_url(self) -> str:
        """The effective URL: the SQLite default, with a password from env/file spliced into PostgreSQL."""
        url = self.database.url or f"sqlite+aiosqlite:///{self.engine.data_dir / 'hotline.db'}"
        password = SecretMixin.read_secret(self.database.password, self.database.password_file, "database.password")
        if password and url.startswith("postgresql") and "@" in url:
            from sqlalchemy.engine import make_url

            url = make_url(url).set(password=password).render_as_string(hide_password=False)
        return url

    def ami_secret(self, server: AmiServer) -> str:
        return SecretMixin.read_secret(server.secret, server.secret_file, f"ami.servers[{server.name}].secret")

    @property
    def session_key(self) -> str:
        return SecretMixin.read_secret(self.console.session_key, self.console.session_key_file, "console.session_key")


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def env_layer(environ: Mapping[str, str]) -> dict[str, Any]:
    """HOTLINE_SECTION__KEY=value -> {"section": {"key": value}}.

    AMI server fields address the first server (HOTLINE_AMI__SECRET), the common
    single-Asterisk case; more servers are declared in the file.
    """
    layer: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX):].lower().partition("__")
        if section == "ami" and key in AmiServer.model_fields:
            layer.setdefault("ami", {}).setdefault("_first_server", {})[key] = value
        else:
            layer.setdefault(section, {})[key] = value
    return layer


def _apply_first_server(data: dict[str, Any]) -> dict[str, Any]:
    ami = data.get("ami")
    if not isinstance(ami, dict) or "_first_server" not in ami:
        return data
    ami = dict(ami)
    first = ami.pop("_first_server")
    servers = list(ami.get("servers") or [{}])
    servers[0] = {**servers[0], **first}
    ami["servers"] = servers
    return {**data, "ami": ami}


def _describe(err: Any) -> str:
    loc = ".".join(str(p) for p in err["loc"] if p != "_first_server")
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return f"{loc}: unknown key (check the spelling against hotline.example.toml)"
    bad = err.get("input")
    if isinstance(bad, dict):
        return f"{loc}: {msg}"
    return f"{loc} = {bad!r}: {msg[0].lower() + msg[1:]}"


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None,
                overrides: Mapping[str, Any] | None = None) -> Config:
    """Read, layer and validate. Raises ConfigError naming every bad key."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {str(path)!r} does not exist") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from exc
    data = _deep_merge(data, env_layer(environ or {}))
    data = _apply_first_server(data)
    if overrides:
        data = _deep_merge(data, overrides)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        lines = [_describe(e) for e in exc.errors()]
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
    check_production(config)
    return config


def check_production(config: Config) -> None:
    """Production must not run with a demo or empty secret, nor expose AMI/console by accident."""
    if config.engine.mode != "production":
        return
    problems = []
    for server in config.ami.servers:
        if config.ami_secret(server) in DEMO_SECRETS:
            problems.append(f"ami.servers[{server.name}].secret: a demo or empty secret is refused in production")
    key = config.session_key
    if key in DEMO_SECRETS or len(key) < 32:
        problems.append("console.session_key: production needs a random key of at least 32 characters "
                        "(set HOTLINE_CONSOLE__SESSION_KEY or console.session_key_file)")
    if problems:
        raise ConfigError("refusing to start in production mode:\n  " + "\n  ".join(problems))
