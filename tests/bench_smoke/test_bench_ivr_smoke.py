"""bench/ivr --quick as CI runs it: both processes start, every call goes through, the table prints."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def run_bench(*args: str, timeout: float = 150) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench.ivr", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_given_quick_flag_when_bench_runs_then_engine_and_baseline_rows_for_both_call_kinds_and_no_problem():
    result = run_bench("--quick")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    rows = re.findall(r"^\s+20\s+(engine|baseline)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+\S+\s+direct\s+\d+\s+12\.0", out, re.M)
    assert rows == ["engine", "baseline"], out
    assert re.search(r"N=20: calls/s [\d.]+x, CPU/call [\d.]+x", out), out
    if "problems seen: none" in out:
        assert len(re.findall(r"^\s+intake\s+\d+\s+18\.0\s", out, re.M)) == 2, out  # same commands per intake call
    else:  # a loaded host: the database answered a draft after the IVR's 1 s, so it went to the spool
        problems = out.split("problems seen:", 1)[1].strip().splitlines()
        assert problems and all("draft_spool" in p or "ticket draft deferred" in p for p in problems), out


def test_given_unreachable_database_when_bench_runs_then_exit_2_naming_the_engine_and_no_table():
    result = run_bench("--quick", "--database-url", "postgresql+asyncpg://bench@127.0.0.1:1/nowhere", timeout=60)
    assert result.returncode == 2
    assert "engine N=20: engine exited early" in result.stdout
    assert "ratios engine / baseline" not in result.stdout


def test_given_non_numeric_call_count_when_bench_starts_then_usage_error_before_any_process():
    result = run_bench("--calls", "100,lots", timeout=30)
    assert result.returncode == 2
    assert "expected comma-separated call counts" in result.stderr
    assert "work dir" not in result.stdout
