from __future__ import annotations

import asyncio

import pytest

from ivr.classify import Classifier, default_rules


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    """One started classifier with the shipped rules (jieba's prefix dict is built once)."""
    shared = Classifier(default_rules())
    asyncio.run(shared.start())
    return shared
