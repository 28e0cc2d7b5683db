"""`[queue_log]` in hotline.toml: the file or the realtime table, checked once at start."""
from __future__ import annotations

from pathlib import Path

import pytest

from hotline.config import ConfigError, load_config

EXAMPLE = Path(__file__).parents[2] / "hotline.example.toml"


def test_given_a_queue_log_path_then_the_engine_follows_that_file(tmp_path):
    path = tmp_path / "h.toml"
    path.write_text('[queue_log]\npath = "/var/log/asterisk/queue_log"\ninterval_seconds = 10\n', encoding="utf-8")
    config = load_config(path, {"HOTLINE_QUEUE_LOG__SETTLE_SECONDS": "8"})
    assert (str(config.queue_log.path), config.queue_log.interval_seconds, config.queue_log.settle_seconds) == (
        "/var/log/asterisk/queue_log", 10, 8)
    assert config.queue_log.start_at_end is True


def test_given_a_zero_interval_then_a_clear_error_names_it(tmp_path):
    path = tmp_path / "h.toml"
    path.write_text("[queue_log]\ninterval_seconds = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, {})
    assert "queue_log.interval_seconds" in str(err.value)


def test_the_example_config_still_loads():
    assert load_config(EXAMPLE, {}).queue_log.path is None
