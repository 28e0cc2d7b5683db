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
        if args.lines_command == "render":
            print(applying.preview(lines, targets, args.dir, config.emergency.ring_timeout, config.agi.url())
                  or "(no changes)")
            return 0
        return await _apply(lines, targets, args.dir, config)
    finally:
        await engine.dispose()


async def _apply(lines, targets, directory, config: Config) -> int:
    from hotline.ami_wiring import connect_all
    from queues import apply as applying

    async with connect_all(config) as clients:
        result = await applying.apply(lines, targets, directory, {c.name: c.send for c in clients},
                                      config.emergency.ring_timeout, config.agi.url())
    print(result.diff or "(no changes)")
    for name, outputs in result.reloaded.items():
        print(f"{name}: reloaded" + (f" ({'; '.join(o for o in outputs if o)})" if any(outputs) else ""))
    for name, error in result.errors.items():
        print(f"{name}: reload FAILED: {error}", file=sys.stderr)
    return 0 if result.ok else 4
