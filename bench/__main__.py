"""Run every benchmark in bench/ (each in its own process, so CPU figures don't mix).

    python -m bench                 # full runs
    python -m bench --quick         # seconds-long smoke runs, as CI does
    python -m bench ami_ingest ...  # only these
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def discover() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all: {', '.join(discover())})")
    parser.add_argument("--quick", action="store_true", help="short smoke runs")
    args = parser.parse_args(argv)
    failed = []
    for name in args.names or discover():
        print(f"\n=== bench/{name}.py {'--quick' if args.quick else ''}", flush=True)
        started = time.monotonic()
        cmd = [sys.executable, "-m", f"bench.{name}"] + (["--quick"] if args.quick else [])
        rc = subprocess.call(cmd, cwd=HERE.parent)
        print(f"=== {name}: exit {rc} in {time.monotonic() - started:.1f} s", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print(f"benchmarks failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
