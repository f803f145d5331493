"""The configuration rules: defaults, file, environment overrides, bad values."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from server.config import Config, ConfigError, build_config, is_local_host, load_config

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_serve_locally() -> None:
    config = load_config(env={})
    assert config.instance.domain == "localhost:8000"
    assert config.instance.scheme == "http"
    assert config.base_url == "http://localhost:8000"
    assert config.instance.registrations == "open"
    assert (config.server.host, config.server.port) == ("127.0.0.1", 8000)
    # Under the checkout whose .venv runs the tests, wherever they are run from.
    assert config.database.url == f"sqlite+aiosqlite:///{ROOT}/data/dreamfeed.db"
    assert config.media.path == f"{ROOT}/data/media"
    assert config.federation.allow_private_addresses is False


def test_relative_paths_do_not_depend_on_the_current_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    path = etc / "c.toml"
    path.write_text('[database]\nurl = "sqlite+aiosqlite:///db/df.db?timeout=5"\n'
                    '[media]\npath = "files"\n[moderation]\nblocked_terms_file = "terms.txt"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(path, env={})
    assert config.database.url == f"sqlite+aiosqlite:///{etc}/db/df.db?timeout=5"
    assert config.media.path == str(etc / "files")
    assert config.moderation.blocked_terms_file == str(etc / "terms.txt")
    home = load_config(path, env={"DREAMFEED_HOME": str(tmp_path / "home")})
    assert home.media.path == str(tmp_path / "home" / "files")
    # Absolute paths, in-memory databases and PostgreSQL are left as they are.
    kept = load_config(env={"DREAMFEED_DATABASE_URL": "sqlite+aiosqlite:////srv/df.db",
                            "DREAMFEED_MEDIA_PATH": "/srv/media"})
    assert (kept.database.url, kept.media.path) == ("sqlite+aiosqlite:////srv/df.db", "/srv/media")
    memory = load_config(env={"DREAMFEED_DATABASE_URL": "sqlite+aiosqlite:///:memory:"})
    assert memory.database.url == "sqlite+aiosqlite:///:memory:"


def test_example_file_documents_the_defaults() -> None:
    from_example = load_config(ROOT / "config.example.toml", env={})
    assert from_example == load_config(env={})


def test_every_key_is_documented_in_the_example() -> None:
    text = (ROOT / "config.example.toml").read_text()
    for section in dataclasses.fields(Config):
        assert f"[{section.name}]" in text
        for key in dataclasses.fields(getattr(Config(), section.name)):
            assert f"\n{key.name} = " in text, f"{section.name}.{key.name} undocumented"


def test_file_from_argument_and_from_env(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[instance]\ndomain = "Social.Example"\nname = "Dreams"\n'
                    '[server]\nport = 9000\n')
    config = load_config(path, env={})
    assert config.instance.domain == "social.example"  # domains are case-insensitive
    assert config.instance.scheme == "https"
    assert config.instance.name == "Dreams"
    assert config.server.port == 9000
    assert load_config(env={"DREAMFEED_CONFIG": str(path)}) == config


def test_env_overrides_single_keys(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[instance]\ndomain = "a.example"\n[server]\nport = 9000\n')
    config = load_config(path, env={
        "DREAMFEED_SERVER_PORT": "9100",
        "DREAMFEED_FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true",
        "DREAMFEED_SERVER_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8",
        "DREAMFEED_JOBS_BACKOFF_BASE_SECONDS": "2.5",
        "UNRELATED": "x",
    })
    assert config.instance.domain == "a.example"  # untouched by env
    assert config.server.port == 9100
    assert config.federation.allow_private_addresses is True
    assert config.server.trusted_proxies == ("127.0.0.1", "10.0.0.0/8")
    assert config.jobs.backoff_base_seconds == 2.5


@pytest.mark.parametrize(("domain", "scheme"), [
    ("localhost:8000", "http"), ("127.0.0.1:8000", "http"), ("[::1]:8000", "http"),
    ("dreamfeed.localhost", "http"), ("social.example", "https"),
    ("10.1.2.3:8000", "https"),
])
def test_scheme_follows_the_domain(domain: str, scheme: str) -> None:
    assert build_config({"instance": {"domain": domain}}).instance.scheme == scheme


def test_explicit_http_is_allowed_for_test_instances() -> None:
    config = build_config({"instance": {"domain": "a.test", "scheme": "http"}})
    assert config.base_url == "http://a.test"


@pytest.mark.parametrize(("raw", "message"), [
    ({"instance": {"colour": "red"}}, "unknown key instance.colour"),
    ({"nonsense": {}}, "unknown section [nonsense]"),
    ({"server": {"port": "eighty"}}, "server.port must be an integer"),
    ({"server": {"port": 70000}}, "server.port must be between 1 and 65535"),
    ({"federation": {"allow_private_addresses": "yes"}},
     "federation.allow_private_addresses must be true or false"),
    ({"instance": {"registrations": "sometimes"}}, "instance.registrations must be one of"),
    ({"instance": {"scheme": "ftp"}}, "instance.scheme must be http or https"),
    ({"instance": {"domain": "https://a.example/"}}, "instance.domain must be a host[:port]"),
    ({"instance": {"domain": "a.example:99999"}}, "instance.domain must be a host[:port]"),
    ({"database": {"url": "mysql://x"}}, "database.url must start with"),
    ({"server": {"trusted_proxies": ["not-an-ip"]}}, "server.trusted_proxies has"),
    ({"server": {"trusted_proxies": "127.0.0.1"}}, "server.trusted_proxies must be a list"),
    ({"logging": {"level": "LOUD"}}, "logging.level must be"),
    ({"federation": {"context_fetch_max_pages": -1}},
     "federation.context_fetch_* must not be negative"),
])
def test_bad_values_name_the_key(raw: dict[str, dict[str, object]], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_config(raw)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("env", "message"), [
    ({"DREAMFEED_SERVER_PORT": "abc"}, "server.port (from DREAMFEED_SERVER_PORT) must be"),
    ({"DREAMFEED_SERVER_COLOUR": "x"}, "unknown key server.colour"),
    ({"DREAMFEED_NOPE": "x"}, "unknown setting in environment variable DREAMFEED_NOPE"),
    ({"DREAMFEED_FEDERATION_ALLOW_PRIVATE_ADDRESSES": "maybe"}, "must be true or false"),
])
def test_bad_env_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        load_config(env=env)
    assert message in str(info.value)


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml", env={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[instance\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_config(broken, env={})


def test_config_is_frozen() -> None:
    config = load_config(env={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.instance.domain = "x"  # type: ignore[misc]


def test_is_local_host() -> None:
    assert is_local_host("localhost") and is_local_host("127.0.0.5") and is_local_host("[::1]")
    assert not is_local_host("example.com") and not is_local_host("192.168.1.1")
