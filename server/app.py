"""`create_app(config)`: the one application factory. Resources are opened and closed in
cleanup contexts, in order: database, instance identity, HTTP client, workers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from activitypub.addresses import AddressPolicy
from activitypub.http import SafeHttpClient
from server import __version__, appkeys
from server.config import Config
from server.handlers import actors, pages, wellknown
from server.middlewares import make_middlewares
from server.services.errors import ServiceError
from server.services.instance import prepare_instance
from server.urls import Urls
from storage.database import Database, DatabaseUnavailable, check_connection
from storage.migrate import upgrade

PACKAGE_DIR = Path(__file__).parent


class StartupError(Exception):
    """The instance cannot start; the message is one line for the operator."""


def user_agent(config: Config) -> str:
    """Mastodon-style: software/version plus the instance URL, so admins can reach us."""
    return f"Dreamfeed/{__version__} (+{config.base_url}/)"


def make_http_client(config: Config) -> SafeHttpClient:
    fed = config.federation
    return SafeHttpClient(user_agent(config),
                          policy=AddressPolicy(allow_private=fed.allow_private_addresses),
                          timeout=fed.request_timeout, max_response_size=fed.max_response_size,
                          max_redirects=fed.max_redirects)


def create_app(config: Config, *, migrate: bool = True) -> web.Application:
    app = web.Application(middlewares=make_middlewares(config),
                          client_max_size=config.server.max_body_size)
    app[appkeys.CONFIG] = config
    app[appkeys.URLS] = Urls(config.base_url)
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(PACKAGE_DIR / "templates"),
                         autoescape=jinja2.select_autoescape(default=True))

    async def database_ctx(app: web.Application) -> AsyncIterator[None]:
        database = Database(config.database.url, pool_size=config.database.pool_size)
        try:
            await check_connection(database.write_engine)
            if migrate:
                await upgrade(database.write_engine)
        except DatabaseUnavailable as exc:
            await database.dispose()
            raise StartupError(f"database.url: cannot open the database: {exc}") from None
        app[appkeys.DATABASE] = database
        yield
        await database.dispose()

    async def instance_ctx(app: web.Application) -> AsyncIterator[None]:
        try:
            app[appkeys.INSTANCE_ACTOR_ID] = await prepare_instance(
                app[appkeys.DATABASE].writer, config)
        except ServiceError as exc:
            raise StartupError(str(exc)) from None
        yield

    async def http_client_ctx(app: web.Application) -> AsyncIterator[None]:
        client = make_http_client(config)
        await client.start()
        app[appkeys.HTTP_CLIENT] = client
        yield
        await client.close()

    app.cleanup_ctx.extend([database_ctx, instance_ctx, http_client_ctx])

    app.router.add_static("/static", PACKAGE_DIR / "static", name="static")
    for module in (wellknown, actors, pages):
        module.setup_routes(app)
    return app
