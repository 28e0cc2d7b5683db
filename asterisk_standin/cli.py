"""`hotline simulate`: run the Asterisk stand-in with random traffic (模拟 Asterisk + 随机话务)."""
from __future__ import annotations

import argparse
import asyncio
from pathlib import Path


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """Add the simulate options to `parser` (or a new one); the lead wires it into `hotline`."""
    p = parser or argparse.ArgumentParser(prog="hotline simulate", description="运行 Asterisk 模拟器（AMI + FastAGI）并产生随机话务")
    p.add_argument("--config-dir", type=Path, required=True, help="Asterisk 配置目录（extensions.conf、queues.conf、manager.conf…）")
    p.add_argument("--ami-port", type=int, default=5038, help="AMI 监听端口（仅 127.0.0.1），默认 5038")
    p.add_argument("--agi", default=None, help="引擎 FastAGI 地址 host:port：拨号方案中 agi://127.0.0.1:4573 的连接改连此地址")
    p.add_argument("--rate", type=float, default=0.0, help="呼入速率：每（模拟）秒呼叫数，0 = 不产生话务")
    p.add_argument("--duration", type=float, default=60.0, help="产生话务的时长（模拟秒）")
    p.add_argument("--agents", type=int, default=0, help="模拟坐席数（PJSIP/8001…），自动加入 --queue")
    p.add_argument("--queue", default="hotline", help="模拟坐席加入的队列名；逗号分隔时加入每个队列")
    p.add_argument("--talk-time", type=float, default=60.0, help="平均通话时长（模拟秒）")
    p.add_argument("--talk-dist", choices=["exponential", "lognormal"], default="exponential", help="通话时长分布")
    p.add_argument("--patience", type=float, default=60.0, help="市民平均等待耐心（模拟秒），超时挂机")
    p.add_argument("--dialed", default="12345", help="市民拨打的号码（进入 --context）；逗号分隔时每通随机选一个")
    p.add_argument("--context", default="hotline-in", help="中继呼入的拨号方案上下文")
    p.add_argument("--seed", type=int, default=None, help="随机种子（可复现）")
    p.add_argument("--time-scale", type=float, default=1.0, help="一模拟秒对应的真实秒数（0.1 = 快 10 倍）")
    p.add_argument("--spool-dir", type=Path, default=None, help="录音（RECORD FILE / MixMonitor）写入的根目录，默认按原路径写")
    p.add_argument("--sounds-dir", type=Path, default=None, help="提示音目录（8 kHz WAV），用于计算放音时长；缺省时每段约 1 秒")
    p.add_argument("--queue-log", type=Path, default=None, help="queue_log 文件路径（同 Asterisk logger.conf queue_log = yes）")
    p.add_argument("--serve", action="store_true", help="话务结束后继续运行 AMI，直到 Ctrl-C")
    p.add_argument("--traffic-after-login", action="store_true",
                   help="等到有 AMI 会话登录（引擎已连上）再开始产生话务")
    p.add_argument("--replay-calls", type=float, default=0.0,
                   help="另加回放的真实 Asterisk 通话：每秒新呼叫数（每通约 50–75 条 AMI 事件，20,000 条/秒约需 300 通/秒）")
    p.add_argument("--replay-duration", type=float, default=None, help="回放新呼叫的时长（秒），默认同 --duration")
    p.add_argument("--replay-wait", type=float, default=10.0, help="回放通话的平均排队等待（秒）")
    p.add_argument("--replay-talk", type=float, default=60.0, help="回放通话的平均通话时长（秒）")
    p.add_argument("--replay-abandon", type=float, default=0.2, help="回放通话中放弃的比例（0–1）")
    p.add_argument("--progress-every", type=float, default=5.0, help="运行中每隔多少秒打印一次进度")
    return p


async def _replay(standin, args) -> None:
    from .replay_traffic import ReplayPlan, Sink, run_replay

    agents = tuple(b"%d" % (8001 + i) for i in range(max(1, args.agents)))
    plan = ReplayPlan(args.replay_calls, args.replay_duration if args.replay_duration is not None else args.duration,
                      wait_mean=args.replay_wait, talk_mean=args.replay_talk, abandon_share=args.replay_abandon,
                      agents=agents, seed=args.seed, progress_every=args.progress_every)
    print(f"回放开始：每秒 {plan.calls_per_second:g} 通，{plan.duration:g} 秒", flush=True)
    report = await run_replay(Sink(standin.ami), plan, say=lambda line: print(line, flush=True))
    print("回放结束\n" + report.table_zh(), flush=True)


async def run(args: argparse.Namespace) -> int:
    from .standin import Standin
    from .traffic import TrafficPlan, make_agents, run_traffic

    import random

    agi_map = {}
    if args.agi:
        host, _, port = args.agi.rpartition(":")
        agi_map[("127.0.0.1", 4573)] = (host or "127.0.0.1", int(port))
    standin = Standin(args.config_dir, time_scale=args.time_scale, ami_port=args.ami_port, agi_map=agi_map,
                      spool_dir=args.spool_dir, sounds_dir=args.sounds_dir, queue_log_path=args.queue_log)
    port = await standin.start()
    print(f"Asterisk 模拟器已启动：AMI 127.0.0.1:{port}", flush=True)
    try:
        plan = TrafficPlan(rate=args.rate, duration=args.duration, talk_time_mean=args.talk_time, talk_dist=args.talk_dist,
                           patience_mean=args.patience, dialed=args.dialed, context=args.context, seed=args.seed)
        if args.agents:
            make_agents(standin.pbx, args.agents, args.queue, plan, random.Random(args.seed))
        if args.rate > 0 and getattr(args, "traffic_after_login", False):
            while not any(s.authenticated for s in standin.ami.sessions):  # noqa: ASYNC110 - no login hook
                await asyncio.sleep(0.05)
        replaying = args.replay_calls > 0
        if replaying and getattr(args, "traffic_after_login", False):
            while not any(s.authenticated for s in standin.ami.sessions):  # noqa: ASYNC110 - no login hook
                await asyncio.sleep(0.05)
        replay = asyncio.ensure_future(_replay(standin, args)) if replaying else None
        if args.rate > 0:
            print("话务开始", flush=True)
            report = await run_traffic(standin.pbx, plan)
            print(report.summary_zh(), flush=True)
        if replay is not None:
            await replay
        if args.serve or (args.rate <= 0 and not replaying):
            await asyncio.Event().wait()
    finally:
        await standin.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(build_parser().parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
