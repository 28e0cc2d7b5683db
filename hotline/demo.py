"""`hotline demo`: the Asterisk stand-in, the engine and simulated citizens and agents on SQLite.

Everything lives under one data directory; the stand-in runs the project's own
asterisk-config/ files (plus the rendered merged-hotline includes), exactly what a real
Asterisk would run beside the engine.
"""
from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from pathlib import Path

from hotline import migrate
from hotline.config import Config, load_config

log = logging.getLogger("hotline.demo")

ASTERISK_CONFIG = Path(__file__).parents[1] / "asterisk-config"
DEMO_AMI_SECRET = "demo-secret"
DEMO_SESSION_KEY = "demo-session-key-0123456789abcdef"
DEMO_ACCOUNTS = (  # username, display name, roles, password, phone — demo mode only
    ("agent01", "坐席01", ("agent",), "demo-agent-01", "PJSIP/8101"),
    ("agent02", "坐席02", ("agent",), "demo-agent-02", "PJSIP/8102"),
    ("banzhang", "值班长", ("agent", "supervisor"), "demo-supervisor", "PJSIP/8103"),
    ("admin", "系统管理员", ("admin", "supervisor"), "demo-admin-123", None),
)
# Which numbers simulated citizens dial, with weights: mostly 12345, some merged lines.
DIALED = (("12345", 70), ("12315", 12), ("12366", 6), ("12369", 6), ("95598", 6))


def demo_config(data_dir: Path, environ: Mapping[str, str], *, console_port: int, ami_port: int,
                agi_port: int) -> Config:
    overrides = {
        "engine": {"mode": "demo", "data_dir": str(data_dir)},
        "ami": {"servers": [{"name": "standin", "host": "127.0.0.1", "port": ami_port, "username": "hotline",
                             "secret": DEMO_AMI_SECRET}]},
        "agi": {"port": agi_port},
        "console": {"port": console_port, "session_key": DEMO_SESSION_KEY},
        "ivr": {"intake_dir": str(data_dir / "intake")},
        "recordings": {"directory": str(data_dir / "recordings")},
        "asterisk": {"config_dir": str(data_dir / "asterisk")},
    }
    return load_config(None, {}, overrides)


def write_manager_conf(directory: Path, secret: str) -> None:
    """The shipped sample, with its read/write classes and event filters, and the demo secret:
    the demo and the tests run the AMI user production runs."""
    sample = (ASTERISK_CONFIG / "manager.conf.sample").read_text(encoding="utf-8")
    if "secret = changeme" not in sample:
        raise RuntimeError("manager.conf.sample no longer carries the placeholder secret")
    (directory / "manager.conf").write_text(sample.replace("secret = changeme", f"secret = {secret}"),
                                            encoding="utf-8")


async def prepare_asterisk_dir(config: Config, lines, directory: Path, agi_port: int) -> Path:
    """Copy the shipped config as a PBX admin installs it; render the merged-hotline includes, which
    carry this engine's FastAGI address (HOTLINE_AGI) as `hotline lines apply` writes it."""
    from queues.apply import apply

    directory.mkdir(parents=True, exist_ok=True)
    for conf in ASTERISK_CONFIG.glob("*.conf"):
        (directory / conf.name).write_text(conf.read_text(encoding="utf-8"), encoding="utf-8")
    write_manager_conf(directory, DEMO_AMI_SECRET)
    await apply(lines, config.emergency.targets(), directory, {}, config.emergency.ring_timeout,
                agi_url=f"agi://127.0.0.1:{agi_port}")
    return directory


async def seed(services: dict) -> list:
    """Merged lines from the shipped national list, departments, demo accounts (idempotent)."""
    from agent_console.accounts.service import AccountError

    lines = services["lines"]
    if not await lines.list():
        await lines.import_csv()
    for code, name in (("scjgj", "市场监督管理局"), ("swj", "税务局"), ("gdgs", "供电公司"),
                       ("cgj", "城市管理局"), ("sthjj", "生态环境局")):
        await services["tickets"].add_department(code, name)
    for username, display, roles, password, phone in DEMO_ACCOUNTS:
        try:
            await services["accounts"].add_user(username, password, roles, display, phone_interface=phone)
        except AccountError:
            pass  # already there from an earlier demo run
    return await lines.list()


async def citizens(standin, rate: float, rng: random.Random, stop: asyncio.Event) -> int:
    """Poisson arrivals of simulated citizens on the carrier trunk until `stop`."""
    from asterisk_standin.people import Citizen

    numbers, weights = zip(*DIALED, strict=True)
    surnames = "张王李赵刘陈杨黄周吴"
    placed = 0
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=rng.expovariate(rate))
        except TimeoutError:
            placed += 1
            name = rng.choice(surnames) + rng.choice(("先生", "女士"))
            Citizen(f"13{rng.randint(100000000, 999999999)}", name, dialed=rng.choices(numbers, weights)[0],
                    context="from-trunk", patience=rng.uniform(30, 180)).place(standin.pbx)
    return placed


async def run_demo(args, environ: Mapping[str, str]) -> int:
    from aiohttp import web

    from asterisk_standin.people import Agent
    from asterisk_standin.standin import Standin
    from asterisk_standin.traffic import TrafficPlan, make_agents
    from hotline.engine import ENGINE, build_app, stop_on_signals

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    config = demo_config(data_dir, environ, console_port=args.console_port, ami_port=args.ami_port,
                         agi_port=args.agi_port)
    await asyncio.to_thread(migrate.upgrade, config.database_url)

    app = build_app(config, telephony=False)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()  # database + services, to seed before the switch starts
    lines = await seed(app[ENGINE].services)
    await runner.cleanup()

    asterisk_dir = await prepare_asterisk_dir(config, lines, data_dir / "asterisk", args.agi_port)
    # Like Asterisk, the stand-in writes RECORD FILE/MixMonitor audio at the absolute paths it is given.
    standin = Standin(asterisk_dir, ami_port=args.ami_port, spool_dir=None, auth_fail_delay=1.0)
    await standin.start()
    rng = random.Random(args.seed)
    plan = TrafficPlan(rate=args.rate, duration=0, talk_time_mean=45.0, seed=args.seed)
    make_agents(standin.pbx, args.agents, "hotline-general", plan, rng)
    for _, display, _, _, phone in DEMO_ACCOUNTS:
        if phone:  # the demo accounts' own phones: they answer when the person signs in to a queue
            Agent(phone, display, ring_time=3.0, talk_time=60.0).register(standin.pbx)

    app = build_app(config)
    runner = web.AppRunner(app, access_log=None)
    stop = asyncio.Event()
    stop_on_signals(stop)
    try:
        await runner.setup()
        await web.TCPSite(runner, config.console.host, config.console.port).start()
        _banner(config, args)
        traffic = asyncio.create_task(citizens(standin, args.rate, rng, stop), name="demo-citizens")
        try:
            await asyncio.wait_for(stop.wait(), timeout=args.duration)
        except TimeoutError:
            stop.set()
        placed = await traffic
        floor = app[ENGINE].services["floor"]
        center = floor.service_level.figures(None)
        print(f"演示结束：模拟来电 {placed} 通，进入队列 {center['offered']}，接通 {center['answered']}，"
              f"放弃 {center['abandoned']}。")
    finally:
        await standin.stop()   # calls end first, so no FastAGI session is cut mid-command
        await runner.cleanup()
    return 0


def _banner(config: Config, args) -> None:
    print("\n12345 热线引擎演示已启动 (demo mode)")
    print(f"  坐席控制台 console: http://{config.console.host}:{config.console.port}/")
    print(f"  Asterisk 模拟器 AMI: 127.0.0.1:{args.ami_port}   FastAGI: 127.0.0.1:{args.agi_port}")
    print(f"  模拟坐席 {args.agents} 名，来电速率 {args.rate}/秒；数据目录 {config.engine.data_dir}")
    print("  演示账号 demo accounts (仅演示模式):")
    for username, display, roles, password, phone in DEMO_ACCOUNTS:
        print(f"    {username:<9} {password:<16} {display} ({', '.join(roles)}{', 话机 ' + phone if phone else ''})")
    print("  按 Ctrl-C 结束 (stop with Ctrl-C)\n", flush=True)
