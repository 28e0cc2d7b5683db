"""Configuration: layering, validation messages an operator can act on, production guards."""
from __future__ import annotations

import pytest

from hotline.config import ConfigError, load_config


def test_given_no_file_when_loaded_then_embedded_sqlite_default():
    config = load_config(None, {})
    assert config.database_url.startswith("sqlite+aiosqlite:///")
    assert config.console.host == "127.0.0.1" and config.agi.host == "127.0.0.1"
    assert config.ami.servers[0].host == "127.0.0.1"


def test_given_file_and_env_when_loaded_then_env_wins_over_file_over_defaults(tmp_path):
    path = tmp_path / "h.toml"
    path.write_text('[agi]\nport = 4600\nheader_timeout = 2.5\n[console]\nport = 9000\n', encoding="utf-8")
    config = load_config(path, {"HOTLINE_AGI__PORT": "4700", "HOTLINE_AMI__SECRET": "s3cret-value"})
    assert config.agi.port == 4700          # env over file
    assert config.agi.header_timeout == 2.5  # file over default
    assert config.console.port == 9000
    assert config.ami_secret(config.ami.servers[0]) == "s3cret-value"


def test_given_wrong_values_when_loaded_then_one_message_names_key_value_and_expectation(tmp_path):
    path = tmp_path / "h.toml"
    path.write_text('[engine]\nmode = "prod"\n[agi]\nport = 70000\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, {"HOTLINE_DATABASE__URL": "mysql://db/x"})
    text = str(err.value)
    assert "engine.mode = 'prod'" in text and "'production'" in text
    assert "agi.port = 70000" in text and "65535" in text
    assert "database.url = 'mysql://db/x'" in text and "postgresql+asyncpg://" in text


def test_given_unknown_key_when_loaded_then_it_is_named(tmp_path):
    path = tmp_path / "h.toml"
    path.write_text('[console]\nprot = 1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"console\.prot: unknown key"):
        load_config(path, {})


def test_given_broken_toml_or_missing_file_then_clear_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[agi\nport=", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad, {})
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", {})


def test_given_production_with_demo_secret_when_loaded_then_refused():
    with pytest.raises(ConfigError) as err:
        load_config(None, {"HOTLINE_ENGINE__MODE": "production", "HOTLINE_AMI__SECRET": "demo",
                           "HOTLINE_CONSOLE__SESSION_KEY": "x" * 40})
    assert "ami.servers[pbx1].secret" in str(err.value)
    assert "session_key" not in str(err.value)


def test_given_production_with_secrets_from_files_when_loaded_then_accepted(tmp_path):
    (tmp_path / "ami").write_text("a-long-random-ami-secret\n", encoding="utf-8")
    (tmp_path / "key").write_text("k" * 48, encoding="utf-8")
    path = tmp_path / "h.toml"
    path.write_text(f'[engine]\nmode = "production"\n[[ami.servers]]\nname = "pbx1"\nsecret_file = "{tmp_path / "ami"}"\n'
                    f'[console]\nsession_key_file = "{tmp_path / "key"}"\n', encoding="utf-8")
    config = load_config(path, {})
    assert config.ami_secret(config.ami.servers[0]) == "a-long-random-ami-secret"


def test_given_unreadable_secret_file_then_error_names_the_key(tmp_path):
    with pytest.raises(ConfigError, match="session_key_file"):
        load_config(None, {"HOTLINE_ENGINE__MODE": "production", "HOTLINE_AMI__SECRET": "good-secret-1234",
                           "HOTLINE_CONSOLE__SESSION_KEY_FILE": str(tmp_path / "missing")})


def test_given_postgres_password_from_env_then_spliced_into_url_and_hidden_when_shown():
    config = load_config(None, {"HOTLINE_DATABASE__URL": "postgresql+asyncpg://hotline@db:5432/h",
                                "HOTLINE_DATABASE__PASSWORD": "p@ss:word"})
    from hotline.migrate import safe_url

    assert "p%40ss%3Aword" in config.database_url
    assert "p%40ss" not in safe_url(config.database_url)


def test_the_example_file_in_the_repo_is_valid():
    from pathlib import Path

    config = load_config(Path(__file__).parents[2] / "hotline.example.toml", {})
    assert config.engine.mode == "development"


def test_given_console_security_keys_when_loaded_then_validated_and_proxies_split_from_the_environment():
    config = load_config(None, {"HOTLINE_CONSOLE__TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8",
                                "HOTLINE_CONSOLE__SESSION_IDLE_TIMEOUT": "900"})
    assert config.console.trusted_proxies == ["127.0.0.1", "10.0.0.0/8"]
    assert config.console.session_idle_timeout == 900
    assert config.console.password_policy.min_length == 10 and config.console.login_free_attempts == 5
    with pytest.raises(ConfigError) as caught:
        load_config(None, {}, {"console": {"trusted_proxies": ["proxy.internal"], "session_idle_timeout": 10,
                                           "password_policy": {"min_classes": 5},
                                           "login_base_delay": 60, "login_max_delay": 30}})
    message = str(caught.value)
    assert "console.trusted_proxies" in message and "'proxy.internal' is not an IP address or network" in message
    assert "console.session_idle_timeout = 10" in message
    assert "console.password_policy.min_classes = 5" in message
    with pytest.raises(ConfigError, match="login_max_delay must be at least login_base_delay"):
        load_config(None, {}, {"console": {"login_base_delay": 60, "login_max_delay": 30}})


def test_given_no_agi_allowlist_then_only_loopback_and_env_or_file_widen_it(tmp_path):
    assert load_config(None, {}).agi.peer_allowlist().allows(("127.0.0.1", 1))
    assert not load_config(None, {}).agi.peer_allowlist().allows(("10.0.0.5", 1))
    config = load_config(None, {"HOTLINE_AGI__ALLOWED_PEERS": "10.0.0.5, 10.0.1.0/24"})
    assert config.agi.allowed_peers == ["10.0.0.5", "10.0.1.0/24"]
    assert config.agi.peer_allowlist().allows(("10.0.1.9", 1)) and not config.agi.peer_allowlist().allows(("127.0.0.1", 1))


@pytest.mark.parametrize("peers", [["pbx1.local"], ["10.0.0.5/8"], []])
def test_given_a_bad_agi_allowlist_then_the_key_and_entry_are_named(tmp_path, peers):
    path = tmp_path / "h.toml"
    path.write_text(f"[agi]\nallowed_peers = {peers!r}\n".replace("'", '"'), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, {})
    assert "agi.allowed_peers" in str(err.value)
    if peers:
        assert repr(peers[0]) in str(err.value)
