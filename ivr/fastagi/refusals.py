"""Logging refused FastAGI peers without letting a flood flood the log (issue 11.5).

A peer outside the allowlist may connect thousands of times a second. The first refusal of a
host is logged at once; further ones within `interval` seconds are only counted, and the next
refusal after the interval (or `flush()`, on close) writes one line with the count. At most
`max_hosts` hosts are tracked; refusals from further hosts are summed under "other peers", so
a spoofed-address sweep cannot grow memory or the log either. Pure but for the logger and clock
it is given.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

OTHERS = "other peers"


@dataclass
class _Seen:
    since: float      # start of the current interval (the last line written)
    unlogged: int = 0  # refusals counted since that line


class RefusalLog:
    def __init__(self, logger: logging.Logger, describe: Callable[[], str], *, interval: float = 60.0,
                 max_hosts: int = 1024, clock: Callable[[], float] = time.monotonic) -> None:
        self._log, self._describe, self.interval = logger, describe, interval
        self.max_hosts, self._clock = max_hosts, clock
        self._hosts: dict[str, _Seen] = {}

    def refused(self, peer: object) -> None:
        host = str(peer[0] if isinstance(peer, tuple) and peer else peer)
        now = self._clock()
        seen = self._hosts.get(host)
        if seen is None:
            if len(self._hosts) >= self.max_hosts:
                host = OTHERS
                seen = self._hosts.get(host)
            if seen is None:
                self._hosts[host] = _Seen(now)
                self._log.warning("fastagi refused %s: not in [agi] allowed_peers (%s); further refusals of it "
                                  "counted, one line per %.0f s", host, self._describe(), self.interval)
                return
        seen.unlogged += 1
        if now - seen.since >= self.interval:
            self._write(host, seen, now)

    def _write(self, host: str, seen: _Seen, now: float) -> None:
        self._log.warning("fastagi refused %s %d more times in the last %.0f s (not in [agi] allowed_peers)",
                          host, seen.unlogged, now - seen.since)
        seen.since, seen.unlogged = now, 0

    def flush(self) -> None:
        """Write the pending counts (the server closes) and forget quiet hosts."""
        now = self._clock()
        for host, seen in list(self._hosts.items()):
            if seen.unlogged:
                self._write(host, seen, now)
            else:
                del self._hosts[host]

    def tracked(self) -> int:
        return len(self._hosts)
