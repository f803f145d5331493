from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from server import appkeys
from server.app import create_app
from server.config import Config
from server.services.accounts.users import NewUser, create_local_user

Client = TestClient[Any, Any]


@pytest.fixture
async def client(config: Config, aiohttp_client: Callable[..., Awaitable[Client]]) -> Client:
    """A running instance (domain dreamfeed.test, scheme http) on each database."""
    return await aiohttp_client(create_app(config))


async def add_user(client: Client, username: str, **kwargs: Any) -> NewUser:
    app = client.app
    assert app is not None
    return await create_local_user(app[appkeys.DATABASE].writer, app[appkeys.CONFIG],
                                   username=username, password="correct horse", **kwargs)
