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

from asterisk_standin.surveyed import SurveyedCitizen
from hotline import migrate
from hotline.config import Config, load_config

log = logging.getLogger("hotline.demo")

ASTERISK_CONFIG = Path(__file__).parents[1] / "asterisk-config"
DEMO_AMI_SECRET = "demo-secret"
DEMO_SESSION_KEY = "demo-session-key-0123456789abcdef"
DEMO_ACCOUNTS = (  # username, display name, roles, password, phone, 承办单位 — demo mode only
    ("agent01", "坐席01", ("agent",), "demo-agent-01", "PJSIP/8101", None),
    ("agent02", "坐席02", ("agent",), "demo-agent-02", "PJSIP/8102", None),
    ("banzhang", "值班长", ("agent", "supervisor"), "demo-supervisor", "PJSIP/8103", None),
    ("admin", "系统管理员", ("admin", "supervisor"), "demo-admin-123", None, None),
    ("dept01", "市场监管局承办人", ("department",), "demo-dept-scjgj", None, "scjgj"),
    ("dept02", "城管局承办人", ("department",), "demo-dept-cgj-02", None, "cgj"),
    ("deptlead01", "市场监管局负责人", ("department_lead",), "demo-deptlead-scjgj", None, "scjgj"),  # 审核
    ("fzx01", "供电分中心承办人", ("department", "department_lead"), "demo-fzx-95598", None, "fzx95598"),
)
STAFFED = frozenset(d for *_, d in DEMO_ACCOUNTS if d)  # the simulated loop leaves them more time
# Seats beyond the pool: a 双号并行 line's dedicated queue and a 设分中心 that has only a queue.
DEMO_SEATS = (("line-12315", 8201, "市场监管专席"), ("subcenter-95598", 9501, "供电分中心"))
SIMULATED_AGENT_LABEL = "模拟坐席"  # not 坐席01..: those are the demo accounts' display names
EMERGENCY_OPERATORS = {"110": "110指挥中心", "119": "119指挥中心", "120": "120急救中心", "122": "122交通事故"}
DEMO_OCCUPANCY = 0.8
DEMO_TALK_TIME = 45.0
# Which numbers simulated citizens dial, with weights: mostly 12345, some merged lines.
DIALED = (("12345", 70), ("12315", 12), ("12366", 6), ("12369", 6), ("95598", 6))
# How the callers answer the survey call later: (问题是否已解决, 满意度) keys, or None for no answer; weights.
SURVEY_ANSWERS = ((("1", "1"), 70), (("1", "2"), 12), (("1", "3"), 8), (("2", "2"), 5), (None, 5))


def demo_config(data_dir: Path, environ: Mapping[str, str], *, console_port: int, ami_port: int,
                agi_port: int, survey_after_minutes: int = 1) -> Config:
    overrides = {
        "engine": {"mode": "demo", "data_dir": str(data_dir)},
        "ami": {"servers": [{"name": "standin", "host": "127.0.0.1", "port": ami_port, "username": "hotline",
                             "secret": DEMO_AMI_SECRET}]},
        "agi": {"port": agi_port},
        "console": {"port": console_port, "session_key": DEMO_SESSION_KEY},
        "ivr": {"intake_dir": str(data_dir / "intake")},
        "recordings": {"directory": str(data_dir / "recordings")},
        "asterisk": {"config_dir": str(data_dir / "asterisk")},
        # 语音回访 on, soon after the reply and at any hour: demo only (a center calls 09:00-20:00)
        "survey": {"enabled": True, "hours": "00:00-24:00", "due_after_minutes": survey_after_minutes,
                   "retry_after_minutes": 2, "tick_seconds": 5, "ring_seconds": 20},
        # 回访分派 happens when a ticket is due for callback: as soon as the survey would call
        "callbacks": {"due_after_minutes": survey_after_minutes},
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
    from tickets.sample_catalogue import load_sample

    loaded = await load_sample(services["tickets"], services["catalogue"])  # 区县/街道 and the sample 派单目录
    rules = len(await services["catalogue"].rules())
    log.info("catalogue.sample rules=%d added=%d", rules, loaded["added"])
    from tickets.subcenters import sync_subcenter_departments

    await sync_subcenter_departments(lines, services["tickets"])  # 分中心 are departments too
    for username, display, roles, password, phone, department in DEMO_ACCOUNTS:
        try:
            await services["accounts"].add_user(username, password, roles, display, phone_interface=phone,
                                                department_code=department)
        except AccountError:
            pass  # already there from an earlier demo run
    return await lines.list()


def simulate_people(pbx, config: Config, agents: int, plan, rng: random.Random) -> None:
    """Everyone the demo's calls can reach: pool agents, the 专席 and sub-center seats, the demo
    accounts' own phones, and the 110/119/120/122 operators at the configured dial strings, so a
    one-click linkage in the demo is answered as it would be in a city."""
    from asterisk_standin.people import Agent
    from asterisk_standin.traffic import make_agents

    make_agents(pbx, agents, "hotline-general", plan, rng, label=SIMULATED_AGENT_LABEL)
    for queue, first, label in DEMO_SEATS:  # 12315's 专席 and 95598's own seats, so both paths are seen
        make_agents(pbx, 2, queue, plan, rng, first=first, label=label)
    for _, display, _, _, phone, _ in DEMO_ACCOUNTS:
        if phone:  # the demo accounts' own phones: they answer when the person signs in to a queue
            Agent(phone, display, ring_time=3.0, talk_time=60.0).register(pbx)
    for number, dial in config.emergency.targets().items():
        Agent(dial, EMERGENCY_OPERATORS[number], ring_time=2.0, talk_time=90.0).register(pbx)


def occupancy_rate(agents: int, talk_time: float, occupancy: float = DEMO_OCCUPANCY) -> float:
    """Calls per second that keep `agents` pool agents about `occupancy` busy: most dialed numbers end in
    the pool, each call holds an agent for its ring and talk time."""
    pool_share = 1 - sum(weight for number, weight in DIALED if number in ("12315", "95598")) / sum(w for _, w in DIALED)
    return round(occupancy * agents / ((talk_time + 2.0) * pool_share), 3)


class SurveyedCaller(SurveyedCitizen):
    """A demo caller's own phone, which the survey call rings after the department's reply: it answers
    with the keys drawn for it (mostly 1/1; now and then 3 or 未解决, which reopens the ticket) and is
    satisfied on a later call, so every ticket's loop ends."""

    def _listener(self, pbx, chan):
        if self.answered > 1:  # called again after a 重办
            self.keys = {"hotline/survey-resolved": ["1"], "hotline/survey-satisfaction": ["1"]}
        return super()._listener(pbx, chan)


def caller_phone(number: str, rng: random.Random) -> SurveyedCaller:
    answers, = rng.choices(*zip(*SURVEY_ANSWERS, strict=True))
    if answers is None:
        return SurveyedCaller(number, ring_time=rng.uniform(2, 5), answer=False)
    return SurveyedCaller(number, ring_time=rng.uniform(2, 5), press_after=rng.uniform(0.3, 1.0),
                          keys={"hotline/survey-resolved": answers[0], "hotline/survey-satisfaction": answers[1]})


async def citizens(standin, rate: float, rng: random.Random, stop: asyncio.Event) -> int:
    """Poisson arrivals of simulated citizens on the carrier trunk until `stop`; each caller's phone is
    registered, so the survey call after the department's reply reaches them."""
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
            number = f"13{rng.randint(100000000, 999999999)}"
            caller_phone(number, rng).register(standin.pbx)
            Citizen(number, name, dialed=rng.choices(numbers, weights)[0],
                    context="from-trunk", patience=rng.uniform(30, 180)).place(standin.pbx)
    return placed


async def run_demo(args, environ: Mapping[str, str]) -> int:
    from aiohttp import web

    from asterisk_standin.standin import Standin
    from asterisk_standin.traffic import TrafficPlan
    from hotline.demo_loop import DemoLoop, LoopPace
    from hotline.engine import ENGINE, build_app, stop_on_signals

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.rate is None:
        args.rate = occupancy_rate(args.agents, DEMO_TALK_TIME)
    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    config = demo_config(data_dir, environ, console_port=args.console_port, ami_port=args.ami_port,
                         agi_port=args.agi_port, survey_after_minutes=args.survey_after)
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
    plan = TrafficPlan(rate=args.rate, duration=0, talk_time_mean=DEMO_TALK_TIME, seed=args.seed)
    simulate_people(standin.pbx, config, args.agents, plan, rng)

    app = build_app(config, freeze_heap=True, separate_ivr=config.agi.ivr_worker)  # as `hotline run` serves calls
    runner = web.AppRunner(app, access_log=None)
    stop = asyncio.Event()
    stop_on_signals(stop)
    try:
        await runner.setup()
        await web.TCPSite(runner, config.console.host, config.console.port).start()
        _banner(config, args)
        traffic = asyncio.create_task(citizens(standin, args.rate, rng, stop), name="demo-citizens")
        services = app[ENGINE].services
        loop = DemoLoop(services, config.engine.mode, random.Random(args.seed + 1),
                        LoopPace(step_seconds=args.loop_seconds), staffed=STAFFED)
        departments = asyncio.create_task(loop.run(stop), name="demo-departments")
        try:
            await asyncio.wait_for(stop.wait(), timeout=args.duration)
        except TimeoutError:
            stop.set()
        placed = await traffic
        steps = await departments
        center = services["floor"].service_level.figures(None)
        print(f"演示结束：模拟来电 {placed} 通，进入队列 {center['offered']}，接通 {center['answered']}，"
              f"放弃 {center['abandoned']}，排队超时 {center['timeout']}。")
        print(f"模拟办理：登记 {steps['register']}，派单 {steps['dispatch']}，签收 {steps['accept']}，"
              f"退单 {steps['return']}，答复 {steps['reply']}；语音回访外呼 {len(services['surveys'].dialed)} 通。")
    finally:
        await standin.stop()   # calls end first, so no FastAGI session is cut mid-command
        await runner.cleanup()
    return 0


def _banner(config: Config, args) -> None:
    print("\n12345 热线引擎演示已启动 (demo mode)")
    print(f"  坐席控制台 console: http://{config.console.host}:{config.console.port}/")
    print(f"  市民网上诉求 citizen: http://{config.console.host}:{config.console.port}/citizen/new"
          "  （短信验证码写在本日志中 / SMS codes are printed in this log）")
    print(f"  Asterisk 模拟器 AMI: 127.0.0.1:{args.ami_port}   FastAGI: 127.0.0.1:{args.agi_port}")
    print(f"  模拟坐席 {args.agents} 名，来电速率 {args.rate}/秒；数据目录 {config.engine.data_dir}")
    print("  演示账号 demo accounts (仅演示模式):")
    for username, display, roles, password, phone, department in DEMO_ACCOUNTS:
        where = (f", 话机 {phone}" if phone else "") + (f", 承办单位 {department}" if department else "")
        print(f"    {username:<9} {password:<16} {display} ({', '.join(roles)}{where})")
    print(f"  办理闭环为模拟 (simulated loop, demo only)：模拟派单、承办单位签收答复（约每步 {args.loop_seconds:g} 秒），"
          "模拟市民接听语音回访；报表见 /reports/assessment")
    print("  按 Ctrl-C 结束 (stop with Ctrl-C)\n", flush=True)
