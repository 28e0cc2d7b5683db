"""bench/login_flood --quick as CI runs it: the engine serves logins and FastAGI at once and the report has its figures."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_given_a_quick_login_flood_then_the_ivr_and_the_logins_are_both_measured():
    done = subprocess.run([sys.executable, "-m", "bench.login_flood", "--quick"], cwd=ROOT, capture_output=True,
                          text=True, timeout=170)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert re.search(r"IVR p99 quiet \d+\.\d\d ms, flood \d+\.\d\d ms, flood/quiet \d+\.\d\dx; "
                     r"target <= 1\.1x: (met|NOT met)$", out, re.M), out
    for phase in ("quiet", "flood"):
        commands = int(re.search(rf"^\s+{phase}\s+(\d+)", out, re.M).group(1))
        assert commands > 100, out  # the FastAGI calls kept being answered
    answers = re.search(r"logins answered: (\{.*\})", out).group(1)
    assert "'302'" in answers, out  # real logins succeeded during the flood
