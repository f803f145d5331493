"""Prompt safety before generation, on both databases: the local blocklist (config terms and a
file, normalized against trivial evasions), OpenAI's moderation endpoint (a local aiohttp app
speaking POST /v1/moderations as OpenAI's API reference documents it), refusals recorded and
counted, users an admin switched off, and the `dreamfeed` commands around them."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from server.app import make_http_client
from server.config import Config
from server.images.backend import ImageBackend
from server.services.context import Services
from server.services.errors import GenerationDisabled, NotFound, PromptRefused
from server.services.generation import generate as service
from server.services.generation import prompt_moderation
from server.services.generation.prompt_moderation import ModerationUnavailable
from storage import audit
from storage.database import Database
from storage.generations import quota_used
from storage.media_files import LocalMediaStore
from storage.models import Generation, PromptRefusal
from storage.pagination import Page
from storage.types import utcnow
from tests.conftest import make_test_config
from tests.server.cli.cli_helpers import cli_env, run_cli
from tests.server.images.conftest import TOKEN, FakeOpenAI, make_user

ServerFactory = Callable[..., Awaitable[TestServer]]
MODERATION_KEY = "sk-moderation"
# The categories OpenAI's omni-moderation models answer with (API reference, "moderations").
CATEGORIES = ("harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
              "illicit/violent", "self-harm", "self-harm/intent", "self-harm/instructions",
              "sexual", "sexual/minors", "violence", "violence/graphic")


@dataclass
class FakeModeration:
    """POST /v1/moderations: flags prompts containing one of `flag_words` (word -> the
    categories it sets), or answers `status` with an error body when it is not 200."""

    flag_words: dict[str, tuple[str, ...]] = field(default_factory=dict)
    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        self.auth.append(request.headers.get("Authorization", ""))
        if self.status != 200:
            return web.json_response({"error": {"message": "The server had an error",
                                                "type": "server_error", "param": None,
                                                "code": None}}, status=self.status)
        text = body["input"] if isinstance(body["input"], str) else " ".join(body["input"])
        hits = {c for word, cats in self.flag_words.items() if word in text for c in cats}
        return web.json_response({
            "id": "modr-0123",
            "model": body.get("model", "omni-moderation-latest"),
            "results": [{
                "flagged": bool(hits),
                "categories": {c: c in hits for c in CATEGORIES},
                "category_scores": {c: 0.97 if c in hits else 0.0001 for c in CATEGORIES},
                "category_applied_input_types": {c: ["text"] for c in CATEGORIES},
            }],
        })


@pytest.fixture
async def moderation(aiohttp_server: ServerFactory) -> tuple[FakeModeration, str]:
    fake = FakeModeration()
    app = web.Application()
    app.router.add_post("/v1/moderations", fake.handle)
    server = await aiohttp_server(app)
    return fake, str(server.make_url("/v1"))


@pytest.fixture
def terms_file(tmp_path: Path) -> Path:
    path = tmp_path / "blocked.txt"
    path.write_text("# one term or phrase a line\nblood bath\n\n  # indented comment\n",
                    encoding="utf-8")
    return path


def _config(database_url: str, tmp_path: Path, terms_file: Path, **moderation: Any) -> Config:
    return make_test_config(database_url, tmp_path, generator={"daily_limit": 20}, moderation={
        "openai": False, "blocked_terms": ["gore"],
        "blocked_terms_file": str(terms_file), **moderation})


@pytest.fixture
async def images_for(database: Database, fake_openai: tuple[FakeOpenAI, str], tmp_path: Path
                     ) -> AsyncIterator[Callable[[Config], Services]]:
    """Services for a given config, the fake OpenAI Images API as image backend."""
    backend = ImageBackend(base_url=fake_openai[1], api_key=TOKEN, model="gpt-image-2",
                           timeout=5)
    async with AsyncExitStack() as stack:

        def make(config: Config) -> Services:
            # One HTTP client per config is plenty: these tests never federate.
            http = make_http_client(config)
            stack.push_async_callback(http.close)
            return Services(config=config, db=database, http=http,
                            media=LocalMediaStore(tmp_path / "media"), image_backend=backend)

        yield make
    await backend.close()


async def _counts(database: Database, account_id: int) -> tuple[int, int, int]:
    """(refusals, generations, images counted today) of an account."""
    async with database.reader() as session:
        refusals = await session.scalar(select(func.count(PromptRefusal.id)).where(
            PromptRefusal.account_id == account_id))
        generations = await session.scalar(select(func.count(Generation.id)).where(
            Generation.account_id == account_id))
        used = await quota_used(session, account_id, utcnow().date())
    return int(refusals or 0), int(generations or 0), used


async def test_blocklist_refuses_whole_terms_and_evasions(
        database: Database, database_url: str, tmp_path: Path, terms_file: Path,
        images_for: Callable[[Config], Services]) -> None:
    config = _config(database_url, tmp_path, terms_file)
    images = images_for(config)
    alice = await make_user(database, config)

    refused = {
        "so much GORE": "gore",                     # case
        "\uff47\uff4f\uff52\uff45 in full width": "gore",  # NFKC
        "go\u200bre hidden by a zero-width space": "gore",
        "a Blood\n  Bath at dawn": "blood bath",     # a phrase from the file, any spacing
    }
    for prompt, term in refused.items():
        with pytest.raises(PromptRefused) as caught:
            await service.request_generation(images, alice, prompt)
        assert str(caught.value) == \
            f"your prompt was refused: it contains a blocked term: {term}"
    # Whole words only: "gorgeous" and "bloodbath" are not the terms.
    allowed = await service.request_generation(images, alice, "a gorgeous bloodbath-free sky",
                                               n=2)
    assert allowed.state == "queued"
    assert await _counts(database, alice) == (4, 1, 4 + 2)

    async with database.reader() as session:
        rows = (await session.execute(select(PromptRefusal).order_by(PromptRefusal.id)))\
            .scalars().all()
    assert [(r.source, r.reason, r.prompt) for r in rows] == [
        ("blocklist", term, prompt) for prompt, term in refused.items()]

    # An edited file is read again without a restart.
    terms_file.write_text("blood bath\nkraken\n", encoding="utf-8")
    stat = terms_file.stat()
    os.utime(terms_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    with pytest.raises(PromptRefused, match="blocked term: kraken"):
        await service.request_generation(images, alice, "a KRAKEN rising")

    # A configured file that is gone fails closed, with nothing counted.
    terms_file.unlink()
    with pytest.raises(ModerationUnavailable, match="tell the administrator"):
        await service.request_generation(images, alice, "a calm lake")
    assert await _counts(database, alice) == (5, 1, 4 + 2 + 1)


async def test_openai_moderation(
        database: Database, database_url: str, tmp_path: Path, terms_file: Path,
        images_for: Callable[[Config], Services],
        moderation: tuple[FakeModeration, str]) -> None:
    fake, url = moderation
    fake.flag_words = {"attack": ("violence", "violence/graphic"), "insult": ("harassment",)}
    config = _config(database_url, tmp_path, terms_file, openai=True, openai_base_url=url,
                     openai_api_key=MODERATION_KEY, openai_model="omni-moderation-latest")
    images = images_for(config)
    alice = await make_user(database, config)

    with pytest.raises(PromptRefused) as caught:
        await service.request_generation(images, alice, "a dragon attack on a village")
    assert str(caught.value) == ("your prompt was refused: it was flagged by the moderation "
                                 "service for: violence, violence/graphic")
    assert fake.received == [{"input": "a dragon attack on a village",
                              "model": "omni-moderation-latest"}]
    assert fake.auth == [f"Bearer {MODERATION_KEY}"]

    # The blocklist answers first: no call to the service for a blocked term.
    with pytest.raises(PromptRefused, match="blocked term: gore"):
        await service.request_generation(images, alice, "gore")
    assert len(fake.received) == 1

    # An unflagged prompt is generated.
    queued = await service.request_generation(images, alice, "a lighthouse in fog")
    await service.run_generation(images, queued.id)
    assert (await service.get_generation(images, queued.id)).state == "done"
    assert await _counts(database, alice) == (2, 1, 3)
    async with database.reader() as session:
        row = (await session.execute(select(PromptRefusal).where(
            PromptRefusal.source == "openai"))).scalar_one()
    assert row.reason == "violence, violence/graphic"

    # The service fails: the request fails closed, clearly; nothing is made or counted.
    fake.status = 500
    with pytest.raises(ModerationUnavailable) as unavailable:
        await service.request_generation(images, alice, "a quiet harbour")
    message = str(unavailable.value)
    assert message.startswith("moderation unavailable: your prompt could not be checked")
    assert "HTTP 500" in message and "try again" in message
    assert await _counts(database, alice) == (2, 1, 3)


async def test_generator_key_is_used_only_for_openai(database_url: str, tmp_path: Path,
                                                     terms_file: Path) -> None:
    def client_key(**generator: Any) -> str | None:
        config = make_test_config(database_url, tmp_path, generator=generator)
        client = prompt_moderation.moderation_client(config)
        return None if client is None else client.endpoint.api_key

    assert client_key() is None  # the embedded generator: no key, no check
    assert client_key(api_key="sk-openai") == "sk-openai"
    assert client_key(api_key="sk-openai", base_url="https://api.openai.com/v1") == "sk-openai"
    # The key of another OpenAI-compatible service never goes to OpenAI.
    assert client_key(api_key="localai-key", base_url="http://127.0.0.1:8080/v1") is None
    off = make_test_config(database_url, tmp_path, generator={"api_key": "sk-openai"},
                           moderation={"openai": False})
    assert prompt_moderation.moderation_client(off) is None


async def test_admins_switch_generation_off_per_user(
        database: Database, database_url: str, tmp_path: Path, terms_file: Path,
        images_for: Callable[[Config], Services]) -> None:
    config = _config(database_url, tmp_path, terms_file)
    images = images_for(config)
    alice = await make_user(database, config)

    assert await prompt_moderation.set_generation(database, "alice", enabled=False,
                                                  reason="spam")
    assert not await prompt_moderation.set_generation(database, "Alice", enabled=False)
    with pytest.raises(GenerationDisabled, match="image generation is disabled for your "
                       "account by an administrator"):
        await service.request_generation(images, alice, "a lighthouse")
    assert await _counts(database, alice) == (0, 0, 0)
    assert await prompt_moderation.set_generation(database, "alice", enabled=True)
    await service.request_generation(images, alice, "a lighthouse")

    async with database.reader() as session:
        entries = await audit.entries(session, Page())
    assert [(e.action, e.target_type, e.target, e.detail) for e in entries] == [
        ("generation.enable", "account", "alice", {}),
        ("generation.disable", "account", "alice", {"reason": "spam"}),
    ]
    with pytest.raises(NotFound, match="no local user named 'nobody'"):
        await prompt_moderation.set_generation(database, "nobody", enabled=False)


async def test_generation_safety_commands(database: Database, database_url: str,
                                          tmp_path: Path) -> None:
    env = cli_env(database_url, tmp_path, DREAMFEED_MODERATION_BLOCKED_TERMS="gore,kraken",
                  DREAMFEED_MODERATION_OPENAI="false")
    for name in ("alice", "bob"):
        assert run_cli(["user", "add", name, "--password-stdin"], env,
                       stdin="a long password\n").returncode == 0

    result = run_cli(["generate", "alice", "--prompt", "GORE", "--size", "64x64"], env)
    assert result.returncode == 1
    assert result.stderr.strip() == \
        "dreamfeed: your prompt was refused: it contains a blocked term: gore"
    for prompt in ("a kraken", "more gore"):
        assert run_cli(["generate", "bob", "--prompt", prompt], env).returncode == 1

    listing = run_cli(["admin", "generation", "refusals"], env)
    assert listing.returncode == 0, listing.stderr
    assert "refusals per user:\n  bob  2\n  alice  1\n" in listing.stdout
    assert "bob  blocklist: gore\n    prompt: more gore" in listing.stdout
    only = run_cli(["admin", "generation", "refusals", "--user", "alice", "--limit", "1"], env)
    assert "  alice  1\n" in only.stdout and "bob" not in only.stdout

    result = run_cli(["admin", "generation", "disable", "alice", "--reason", "abuse"], env)
    assert (result.returncode, result.stdout) == (0, "generation disabled for alice\n")
    result = run_cli(["generate", "alice", "--prompt", "a lighthouse", "--size", "64x64"], env)
    assert result.returncode == 1
    assert "image generation is disabled for your account" in result.stderr
    assert run_cli(["admin", "generation", "enable", "alice"], env).stdout == \
        "generation enabled for alice\n"
    result = run_cli(["generate", "alice", "--prompt", "a lighthouse", "--size", "64x64"], env)
    assert result.returncode == 0, result.stderr

    log = run_cli(["admin", "audit"], env).stdout
    assert "generation.enable  account:alice" in log
    assert 'generation.disable  account:alice {"reason": "abuse"}' in log
    result = run_cli(["admin", "generation", "disable", "nobody"], env)
    assert result.returncode == 1
    assert result.stderr.strip() == "dreamfeed: there is no local user named 'nobody'"
