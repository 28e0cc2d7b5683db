"""Call recordings: MixMonitor on answer, the catalogue, supervisors' review, retention."""
from __future__ import annotations


def setup_recordings(app, settings=None):
    from .wiring import setup_recordings as setup

    return setup(app, settings)


__all__ = ["setup_recordings"]
