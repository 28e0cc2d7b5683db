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

    def url(self) -> str | None:
        """What the dialplan's HOTLINE_AGI should be; None while the port is chosen at run time (0)."""
        if self.advertise_url:
            return self.advertise_url
        if self.port == 0:
            return None
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host
        return f"agi://{'[' + host + ']' if ':' in host else host}:{self.port}"


class ConsoleSection(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)  # 0: any free port (tests)
    session_key: str | None = None
    session_key_file: Path | None = None
    session_max_age: int = Field(8 * 3600, ge=60, le=7 * 86400)
    pause_reasons: list[str] = Field(default_factory=lambda: ["小休", "午休", "培训", "会议"], min_length=1)
    ami_server: str | None = None  # the Asterisk agents log in to (default: the first configured)


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
