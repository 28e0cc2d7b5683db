"""`hotline lines ...`: the merged-hotline table from the command line."""
from __future__ import annotations

import sys

from hotline import migrate
from hotline.config import Config
from hotline.db import make_engine, make_sessionmaker


async def run_lines(args, config: Config) -> int:
    from queues import apply as applying
    from queues.lines import SEED_CSV, LineService

    await migrate.require_head(config.database_url)
    engine = make_engine(config.database_url)
    try:
        service = LineService(make_sessionmaker(engine))
        if args.lines_command == "import":
            count = await service.import_csv(args.csv or SEED_CSV)
            print(f"imported {count} lines")
            return 0
        lines = await service.list()
        if args.lines_command == "list":
            for line in lines:
                print(f"{line.number}\t{line.mode.label}\t{line.queue or '-'}\t{line.name}")
            return 0
        targets = config.emergency.targets()
        chosen = await _queue_settings(make_sessionmaker(engine))
        if args.lines_command == "render":
            print(applying.preview(lines, targets, args.dir, config.emergency.ring_timeout, config.agi.url(), chosen)
                  or "(no changes)")
            return 0
        return await _apply(lines, targets, args.dir, config, chosen)
    finally:
        await engine.dispose()


async def _queue_settings(sessions) -> dict:
    """What an admin saved in the console's 队列设置: the CLI renders the same queues.conf."""
    from agent_console.admin.store import SettingsStore
    from queues.queue_settings import STORE_KEY, parse_all

    return parse_all(await SettingsStore(sessions, lambda: None).get(STORE_KEY))


async def _apply(lines, targets, directory, config: Config, queue_settings: dict | None = None) -> int:
    """Write the files first; a switch that cannot be reached or refuses the login is reported per server.

    Exit 4 when any reload failed: the files are written, Asterisk still runs the old configuration.
    """
    from hotline.ami_wiring import make_clients
    from queues import apply as applying

    clients = make_clients(config)
    try:
        senders = {c.name: _connecting(c, config.ami.connect_timeout * 2) for c in clients}
        result = await applying.apply(lines, targets, directory, senders,
                                      config.emergency.ring_timeout, config.agi.url(), queue_settings)
    finally:
        for client in clients:
            await client.close()
    print(result.diff or "(no changes)")
    if result.written:
        print("已写入：" + "、".join(str(p) for p in result.written))
    for name, outputs in result.reloaded.items():
        if name not in result.errors:
            print(f"{name}: reloaded" + (f" ({'; '.join(o for o in outputs if o)})" if any(outputs) else ""))
    for name, error in result.errors.items():
        print(f"{name}：重新加载失败。{error}", file=sys.stderr)
    if result.errors:
        print("配置文件已写好，交换机仍在使用旧配置；改正后重新运行 hotline lines apply。", file=sys.stderr)
    return 0 if result.ok else 4


def _connecting(client, timeout: float):
    """A send that logs in on first use, so the files are written whatever the switch says."""
    async def send(action, fields=None):
        if not client.ready:
            await client.start(wait=True, timeout=timeout)
        return await client.send(action, fields)
    return send
