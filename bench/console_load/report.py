"""The figures of one implementation's window and the printed table (ratios engine / baseline)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .latency import Delays, PopDelays

POP_TARGET_MS = 300.0  # issue 14: the screen pop visible ≤ 300 ms after AgentCalled, p99, at Beijing scale


@dataclass
class Figures:
    impl: str
    connected: int = 0
    connect_s: float = 0.0
    window: float = 0.0
    events_per_s: float = 0.0      # AMI events the stand-in emitted, per real second
    busy: int = 0
    agent: Delays = field(default_factory=Delays)
    board: Delays = field(default_factory=Delays)
    ingest: Delays | None = None     # stand-in emit -> the engine's live floor (before any page work)
    pop: PopDelays | None = None     # AgentCalled -> the complete screen pop on the agent's page (engine only)
    msgs: dict = field(default_factory=dict)     # received per second, by page kind
    mbytes: dict = field(default_factory=dict)   # MB received per second, by page kind
    cpu: float = 0.0                # server process, % of one core
    rss: float = 0.0
    peak_rss: float = 0.0
    sent_per_s: float = 0.0
    batches_per_s: float = 0.0
    pbx_cpu: float = 0.0
    client_cpu: float = 0.0
    engine_idle_cpu: float | None = None  # the engine with no page open (the baseline's window)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # expected from the bench's wiring


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value * 1000:.0f}"


def _ratio(a: float, b: float) -> str:
    return "-" if not b or math.isnan(a) or math.isnan(b) else f"{a / b:.1f}x"


def rows(f: Figures) -> dict[str, float]:
    return {
        "pages connected": f.connected,
        "agent page delay p50 (ms)": f.agent.pct(0.5) * 1000,
        "agent page delay p99 (ms)": f.agent.pct(0.99) * 1000,
        "wallboard delay p50 (ms)": f.board.pct(0.5) * 1000,
        "wallboard delay p99 (ms)": f.board.pct(0.99) * 1000,
        "agent msgs/s received": f.msgs.get("agent", 0.0),
        "wallboard msgs/s received": f.msgs.get("wallboard", 0.0),
        "MB/s received (all pages)": sum(f.mbytes.values()),
        "server CPU (% of a core)": f.cpu,
        "server RSS (MB)": f.rss,
    }


def print_report(results: list[Figures], opts) -> None:
    print(f"\nwindow {results[0].window:.0f} s per implementation; stand-in emitted "
          + ", ".join(f"{f.impl} {f.events_per_s:.0f}" for f in results) + " AMI events/s (real time); "
          f"busy seats at the end of the engine window: {results[0].busy}")
    table = [rows(f) for f in results]
    names = [f.impl for f in results]
    print(f"\n{'':32}" + "".join(f"{n:>12}" for n in names) + ("       ratio" if len(results) == 2 else ""))
    for key in table[0]:
        values = [t[key] for t in table]
        cells = "".join(f"{'-' if math.isnan(v) else f'{v:.1f}':>12}" for v in values)
        ratio = f"{_ratio(values[0], values[1]):>12}" if len(values) == 2 else ""
        print(f"{key:32}{cells}{ratio}")
    for f in results:
        print(f"{f.impl}: delays from {len(f.agent.samples)} agent-page and {len(f.board.samples)} wallboard "
              f"(first {opts.parse}) matches; not shown before the agent's next event: "
              f"{f.agent.superseded} page / {f.board.superseded} board; never shown: {f.agent.missed} / "
              f"{f.board.missed}; already shown: {f.agent.already} / {f.board.already}; server sent {f.sent_per_s:.0f} msgs/s in {f.batches_per_s:.1f} batches/s; "
              f"opening {f.connected} sockets took {f.connect_s:.1f} s; peak RSS {f.peak_rss:.0f} MB; "
              f"stand-in process CPU {f.pbx_cpu:.0f} %, clients process CPU {f.client_cpu:.0f} %")
    if results[0].ingest is not None:
        i = results[0].ingest
        print(f"engine: AMI event -> live floor (ingest only) p50 {_ms(i.pct(0.5))} ms, p99 {_ms(i.pct(0.99))} ms "
              f"({len(i.samples)} events, {i.missed} not seen); the rest of the page delay is the hub")
    pop = results[0].pop
    if pop is not None:
        p99 = pop.pct(0.99) * 1000
        verdict = "NOT met" if math.isnan(p99) or p99 > POP_TARGET_MS else "met"
        scale = "" if opts.seats >= 750 and opts.rate >= 3 else f"; this run: {opts.seats} seats, {opts.rate} calls/s"
        print(f"screen pop p50 {_ms(pop.pct(0.5))} ms, {len(pop.samples)} pops ({pop.with_draft} with the IVR's draft), "
              f"{pop.missed} rang without a complete pop on the page")
        print(f"screen pop p99 {_ms(pop.pct(0.99))} ms (target ≤ {POP_TARGET_MS:.0f} ms at 750 seats / ~3 calls/s"
              f"{scale}): {verdict}")
    if len(results) == 2:
        e, b = results
        if b.engine_idle_cpu is not None:
            print(f"engine CPU with no page open (same traffic, baseline window): {b.engine_idle_cpu:.1f} % -> "
                  f"the {e.connected} open pages cost {e.cpu - b.engine_idle_cpu:.1f} % of a core")
        print(f"ratios engine / baseline: agent p99 {_ratio(e.agent.pct(0.99), b.agent.pct(0.99))}, "
              f"wallboard p99 {_ratio(e.board.pct(0.99), b.board.pct(0.99))}, CPU {_ratio(e.cpu, b.cpu)}")
    for f in results:
        for note in f.notes:
            print(f"{f.impl} (expected: the stand-in keeps recordings in its spool dir): {note}")
    problems = [f"{f.impl}: {p}" for f in results for p in f.problems]
    print("problems seen: " + ("none" if not problems else ""))
    for p in problems:
        print(f"  - {p}")
