"""Figures from one measured run, and the printed table with ratios against the baseline."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field

KINDS = ("direct", "intake")


def pct(values: list[float], q: int) -> float:
    """q-th percentile in ms (nearest rank on few values)."""
    if not values:
        return float("nan")
    if len(values) < 4:
        return sorted(values)[min(len(values) - 1, round(q / 100 * (len(values) - 1)))] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


@dataclass
class KindFigures:
    calls: int
    commands: float           # per call
    call_p50: float           # AGI session, env read -> last reply (ms)
    call_p99: float
    rtt_p50: float            # one command: written -> reply read, by the responder (ms)
    rtt_p99: float
    think_p50: float          # responder's own time between a reply and its next command (ms)
    think_p99: float


@dataclass
class Figures:
    impl: str
    n: int
    calls_per_s: float
    cpu_ivr_ms: float         # responder CPU per call while the calls were in the script
    cpu_call_ms: float        # ... until every call had ended (AMI events of the whole call included)
    rss_before_mb: float
    peak_rss_mb: float
    pbx_cpu_ms: float         # stand-in process CPU per call, for context
    ami_events: float = 0.0   # AMI events per call the stand-in emitted (the engine's session reads all)
    top_events: str = ""
    sql_ivr: float = 0.0      # SQL statements per call while in the script / whole call (engine only)
    sql_call: float = 0.0
    kinds: dict[str, KindFigures] = field(default_factory=dict)
    slowest: dict[str, tuple[str, float, float]] = field(default_factory=dict)  # kind -> (step, p50, p99)
    problems: list[str] = field(default_factory=list)


def kind_figures(calls: list[dict]) -> dict[str, KindFigures]:
    out = {}
    for kind in KINDS:
        chosen = [c for c in calls if c["kind"] == kind]
        if not chosen:
            continue
        durations = [c["ended"] - c["started"] for c in chosen]
        rtt = [x for c in chosen for x in c["rtt"]]
        think = [x for c in chosen for x in c["think"]]
        out[kind] = KindFigures(len(chosen), sum(len(c["commands"]) for c in chosen) / len(chosen),
                                pct(durations, 50), pct(durations, 99), pct(rtt, 50), pct(rtt, 99),
                                pct(think, 50), pct(think, 99))
    return out


def step_label(command: str) -> str:
    words = command.split()
    return "RECORD FILE" if command.startswith("RECORD FILE") else " ".join(words[:3])


def slowest_steps(calls: list[dict]) -> dict[str, tuple[str, float, float]]:
    """Per kind, the command whose preceding think time has the largest p99: where the responder waits."""
    out = {}
    for kind in KINDS:
        steps: dict[str, list[float]] = {}
        for c in (c for c in calls if c["kind"] == kind):
            for command, think in zip(c["commands"], c["think"], strict=False):
                steps.setdefault(step_label(command), []).append(think)
        if steps:
            label, values = max(steps.items(), key=lambda kv: pct(kv[1], 99))
            out[kind] = (label, pct(values, 50), pct(values, 99))
    return out


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0 else "-"


def print_table(results: list[Figures], time_scale: float) -> None:
    print(f"\nbench/ivr: whole front end (engine) vs hand-written FastAGI responder (baseline); "
          f"stand-in time_scale={time_scale}")
    print("calls/s: N placed at once / wall time until the last left the FastAGI script. "
          "CPU: responder process time per call.\n"
          "call = AGI session in the responder (env read -> last reply); rtt = one command written -> reply "
          "read;\nthink = responder's own time between a reply and its next command (DB, routing, tickets). "
          "All ms.")
    head = (f"{'N':>5} {'impl':>8} {'calls/s':>8} {'CPUivr':>7} {'CPUcall':>7} {'RSS MB':>11} "
            f"{'kind':>6} {'n':>4} {'cmds':>4} {'call p50':>8} {'p99':>7} {'rtt p50':>7} {'p99':>7} "
            f"{'think p50':>9} {'p99':>7}")
    print(head)
    print("-" * len(head))
    for f in results:
        first = True
        for kind, k in f.kinds.items():
            lead = (f"{f.n:>5} {f.impl:>8} {f.calls_per_s:>8.1f} {f.cpu_ivr_ms:>7.2f} {f.cpu_call_ms:>7.2f} "
                    f"{f.rss_before_mb:>4.0f}->{f.peak_rss_mb:<5.0f}" if first else " " * 50)
            print(f"{lead} {kind:>6} {k.calls:>4} {k.commands:>4.1f} {k.call_p50:>8.1f} {k.call_p99:>7.1f} "
                  f"{k.rtt_p50:>7.2f} {k.rtt_p99:>7.2f} {k.think_p50:>9.3f} {k.think_p99:>7.3f}")
            first = False
    print("\nratios engine / baseline (same N, same stand-in load):")
    by = {(f.impl, f.n): f for f in results}
    for n in sorted({f.n for f in results}):
        e, b = by.get(("engine", n)), by.get(("baseline", n))
        if not (e and b):
            continue
        parts = [f"calls/s {_ratio(e.calls_per_s, b.calls_per_s)}", f"CPU/call {_ratio(e.cpu_call_ms, b.cpu_call_ms)}",
                 f"CPU in script {_ratio(e.cpu_ivr_ms, b.cpu_ivr_ms)}", f"peak RSS {_ratio(e.peak_rss_mb, b.peak_rss_mb)}"]
        for kind in KINDS:
            if kind in e.kinds and kind in b.kinds:
                parts.append(f"{kind} call p99 {_ratio(e.kinds[kind].call_p99, b.kinds[kind].call_p99)}")
        print(f"  N={n}: " + ", ".join(parts))
    print("\nper call, whole call: AMI events the stand-in emitted, SQL statements the engine ran:")
    for f in results:
        if f.impl == "engine":
            print(f"  N={f.n:<5} {f.ami_events:.0f} AMI events ({f.top_events}); SQL {f.sql_ivr:.1f} while in "
                  f"the script, {f.sql_call:.1f} whole call; stand-in CPU {f.pbx_cpu_ms:.2f} ms")
    print("\nslowest step (largest think p99 before a command), ms:")
    for f in results:
        for kind, (label, p50, p99) in f.slowest.items():
            print(f"  {f.impl:>8} N={f.n:<5} {kind:>6}: before {label!r}: p50 {p50:.3f}, p99 {p99:.3f}")
    problems = [(f, p) for f in results for p in f.problems]
    print("\nproblems seen:" if problems else "\nproblems seen: none (no errors, stuck calls or leaked tasks)")
    for f, p in problems:
        print(f"  {f.impl} N={f.n}: {p}")
