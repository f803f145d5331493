"""The `dreamfeed` command line, run as a real process against both databases."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import make_sessionmaker
from storage.models import Account, AccountKey, User
from tests.server.cli.cli_helpers import cli_env, run_cli


async def test_user_add(engine: AsyncEngine, database_url: str, tmp_path: Path) -> None:
    env = cli_env(database_url, tmp_path)
    result = run_cli(["user", "add", "Alice", "--admin", "--password-stdin",
                      "--email", "alice@example.com"], env, stdin="a long password\n")
    assert result.returncode == 0, result.stderr
    assert "created administrator @alice@dreamfeed.test" in result.stdout
    async with make_sessionmaker(engine)() as session:
        account = (await session.execute(
            select(Account).where(Account.username == "alice"))).scalar_one()
        user = (await session.execute(
            select(User).where(User.account_id == account.id))).scalar_one()
        key = (await session.execute(
            select(AccountKey).where(AccountKey.account_id == account.id))).scalar_one()
    assert account.uri == "http://dreamfeed.test/users/alice"
    assert account.domain is None and account.actor_type == "Person"
    assert user.admin is True and user.email == "alice@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert "a long password" not in user.password_hash
    assert key.key_id == "http://dreamfeed.test/users/alice#main-key"
    assert key.private_key_pem and "PRIVATE KEY" in key.private_key_pem


async def test_user_add_refusals(engine: AsyncEngine, database_url: str,
                                 tmp_path: Path) -> None:
    env = cli_env(database_url, tmp_path)
    assert run_cli(["user", "add", "bob", "--password-stdin"], env,
                   stdin="a long password\n").returncode == 0
    cases = [
        (["user", "add", "BOB", "--password-stdin"], "good password", "username 'bob' is taken"),
        (["user", "add", "bad name", "--password-stdin"], "good password",
         "invalid username 'bad name'"),
        (["user", "add", "x" * 31, "--password-stdin"], "good password", "invalid username"),
        (["user", "add", "carol", "--password-stdin"], "short", "password must be 8 to"),
    ]
    for args, password, message in cases:
        result = run_cli(args, env, stdin=password + "\n")
        assert result.returncode == 1, args
        assert message in result.stderr
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


async def test_instance_actor_name_is_reserved(engine: AsyncEngine, database_url: str,
                                              tmp_path: Path) -> None:
    env = cli_env(database_url, tmp_path, DREAMFEED_INSTANCE_DOMAIN="localhost:8000")
    result = run_cli(["user", "add", "localhost", "--password-stdin"], env,
                     stdin="a long password\n")
    assert result.returncode == 1
    assert "reserved" in result.stderr


async def test_domain_is_locked(engine: AsyncEngine, database_url: str, tmp_path: Path) -> None:
    env = cli_env(database_url, tmp_path)
    assert run_cli(["user", "add", "alice", "--password-stdin"], env,
                   stdin="a long password\n").returncode == 0
    moved = cli_env(database_url, tmp_path, DREAMFEED_INSTANCE_DOMAIN="other.test")
    result = run_cli(["user", "add", "bob", "--password-stdin"], moved,
                     stdin="a long password\n")
    assert result.returncode == 1
    assert "this database belongs to 'dreamfeed.test'" in result.stderr
    result = run_cli(["serve", "--port", "1"], moved)
    assert result.returncode == 1
    assert "cannot start" in result.stderr and "other.test" in result.stderr
    assert "Traceback" not in result.stderr


async def test_db_upgrade_and_current(database_url: str, tmp_path: Path) -> None:
    env = cli_env(database_url, tmp_path)
    result = run_cli(["db", "current"], env)
    assert result.returncode == 0 and "revision none" in result.stdout
    result = run_cli(["db", "upgrade"], env)
    assert result.returncode == 0 and "upgraded from empty" in result.stdout
    result = run_cli(["db", "upgrade"], env)
    assert "up to date" in result.stdout
    assert "up to date" in run_cli(["db", "current"], env).stdout


def test_bad_config_is_one_line(tmp_path: Path) -> None:
    env = cli_env("sqlite+aiosqlite:///" + str(tmp_path / "x.db"), tmp_path,
                  DREAMFEED_SERVER_PORT="eighty")
    result = run_cli(["serve"], env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "dreamfeed: configuration error: server.port (from DREAMFEED_SERVER_PORT) "
        "must be an integer, not 'eighty'")
    config = tmp_path / "c.toml"
    config.write_text("[instance]\nflavour = 'x'\n")
    env.pop("DREAMFEED_SERVER_PORT")
    result = run_cli(["--config", str(config), "db", "upgrade"], env)
    assert result.returncode == 2
    assert result.stderr.strip() == "dreamfeed: configuration error: unknown key instance.flavour"


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    env = cli_env("postgresql+asyncpg://nobody@127.0.0.1:1/none", tmp_path)
    for args in (["serve", "--port", "1"], ["db", "upgrade"]):
        result = run_cli(args, env)
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "database.url: cannot open the database" in lines[0]
