"""Knowledge-base fixtures: one jieba segmenter per test session (its dictionary takes ~1 s to build)."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def segmenter():
    from ivr.classify.segmenter import Segmenter

    seg = Segmenter()
    asyncio.run(seg.start())
    return seg


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives the console in headless Chromium (Playwright)")
