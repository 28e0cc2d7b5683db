"""The README's first command: `hotline demo` starts, takes simulated calls and stops cleanly."""
from __future__ import annotations

import socket
import subprocess
import sys


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_runs_calls_through_the_standin_and_the_engine_then_stops(tmp_path):
    ports = [str(_free_port()) for _ in range(3)]
    result = subprocess.run(
        [sys.executable, "-m", "hotline", "demo", "--data-dir", str(tmp_path / "demo"), "--duration", "12",
         "--rate", "1.5", "--agents", "3", "--console-port", ports[0], "--ami-port", ports[1], "--agi-port", ports[2]],
        capture_output=True, text=True, timeout=120)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert "demo accounts" in out and "agent01" in out
    accounts = [line.split() for line in out.splitlines() if line.strip().startswith("dept0")]
    assert [(a[0], a[-1].rstrip(")")) for a in accounts] == [("dept01", "scjgj"), ("dept02", "cgj")]
    assert all(len(a[1]) >= 12 for a in accounts)  # the printed passwords
    assert "ami.ready server=standin" in out
    assert "catalogue.sample rules=33 added=33" in out  # the sample 派单目录 with its districts and streets
    summary = next(line for line in out.splitlines() if line.startswith("演示结束"))
    placed = int(summary.split("模拟来电 ")[1].split(" ")[0])
    assert placed > 0
    assert "Traceback" not in out


def test_demo_moves_tickets_through_simulated_departments_and_surveys_the_callers(tmp_path):
    """Nobody clicks: the simulated 坐席/派单员/承办单位 register, dispatch, sign for and answer tickets, and
    the survey calls the callers back (issue 12 and 13, "Done when": the demo shows the loop moving)."""
    import sqlite3

    ports = [str(_free_port()) for _ in range(3)]
    data = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "hotline", "demo", "--data-dir", str(data), "--duration", "32", "--rate", "1",
         "--agents", "3", "--loop-seconds", "1", "--survey-after", "0", "--console-port", ports[0],
         "--ami-port", ports[1], "--agi-port", ports[2]],
        capture_output=True, text=True, timeout=150)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert "办理闭环为模拟" in out  # the banner says the loop is simulated
    steps = next(line for line in out.splitlines() if line.startswith("模拟办理"))
    assert int(steps.split("答复 ")[1].split("；")[0]) >= 1, steps
    assert int(steps.split("语音回访外呼 ")[1].split(" ")[0]) >= 1, steps
    assert "Traceback" not in out
    with sqlite3.connect(data / "hotline.db") as db:
        # a ticket that went 已派单 → 已签收 → 已答复 by the department's steps, in that order
        flows = {}
        for number, action, actor in db.execute(
                "SELECT t.number, e.action, e.actor FROM ticket_event e JOIN ticket t ON t.id = e.ticket_id "
                "ORDER BY e.id"):
            flows.setdefault(number, []).append((action, actor))
        moved = [n for n, f in flows.items()
                 if [a for a, _ in f if a in ("dispatch", "accept", "submit_reply", "reply")][:4]
                 == ["dispatch", "accept", "submit_reply", "reply"]]
        assert moved, flows
        assert all(actor.startswith("模拟") for a, actor in flows[moved[0]] if a in ("accept", "reply"))
        surveyed = db.execute("SELECT count(*) FROM survey_job WHERE attempts >= 1").fetchone()[0]
        assert surveyed >= 1
        # each due ticket was given to the survey (or the agents) by 回访分派, in its history
        routed = db.execute("SELECT count(*) FROM callback_route WHERE route = 'survey'").fetchone()[0]
        assert routed >= surveyed and any(a == "callback_route" for f in flows.values() for a, _ in f)
