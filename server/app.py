"""`create_app(config)`: the one application factory. Resources are opened and closed in
cleanup contexts, in order: database, instance identity, services (HTTP client, media store,
image backend, rate limiter, caches), inbox writer, workers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.abc import AbstractResolver

from activitypub.addresses import AddressPolicy
from activitypub.http import SafeHttpClient
from server import __version__, appkeys, i18n
from server.compression import compress_text
from server.config import Config
from server.handlers import (
    actors,
    auth,
    authorizations,
    caching,
    collections,
    inbox,
    media,
    operations,
    pages,
    static_files,
    statuses,
    wellknown,
)
from server.handlers import export as export_routes
from server.handlers import remote_media as remote_media_routes
from server.handlers import web as web_app
from server.handlers.api import routes as api_routes
from server.handlers.api.common import api_middleware
from server.handlers.ratelimits import fetch_limit_middleware
from server.handlers.session import csrf_middleware, session_middleware
from server.handlers.web.aside import aside_context
from server.handlers.web.error_pages import error_pages
from server.handlers.web.settings_language import language_middleware
from server.images import decode_slots
from server.images.embedded import open_image_backend
from server.jobs.handlers import default_registry
from server.jobs.registry import JobResources
from server.jobs.worker import WorkerPool
from server.middlewares import make_middlewares
from server.ratelimit import RateLimiter
from server.render import bidi
from server.services.context import Services, load_instance_key
from server.services.errors import ServiceError
from server.services.federation.inbound import inbox_retention
from server.services.federation.inbound.inbox_writer import InboxWriter
from server.services.federation.instance import prepare_instance
from server.services.media.stores import open_media_store
from server.services.streaming.bus import BusUnavailable, StreamBus
from server.services.streaming.dispatch import Dispatcher
from server.urls import Urls
from storage.database import Database, DatabaseUnavailable, check_connection
from storage.media_files import MediaStoreUnavailable
from storage.migrate import upgrade

PACKAGE_DIR = Path(__file__).parent


class StartupError(Exception):
    """The instance cannot start; the message is one line for the operator."""


def user_agent(config: Config) -> str:
    """Mastodon-style: software/version plus the instance URL, so admins can reach us."""
    return f"Dreamfeed/{__version__} (+{config.base_url}/)"


def make_http_client(config: Config, *,
                     resolver: AbstractResolver | None = None) -> SafeHttpClient:
    fed = config.federation
    return SafeHttpClient(user_agent(config),
                          policy=AddressPolicy(allow_private=fed.allow_private_addresses),
                          timeout=fed.request_timeout, max_response_size=fed.max_response_size,
                          max_redirects=fed.max_redirects, resolver=resolver)


def create_app(config: Config, *, migrate: bool = True,
               resolver: AbstractResolver | None = None) -> web.Application:
    """The application. `resolver` replaces DNS for outgoing requests (tests point test
    host names at loopback with it)."""
    # After the request context (client address): the browser session, the request's
    # language (it reads the account's choice from the session), the CSRF check (its refusal
    # page in that language), then the rate limit on ActivityPub document fetches.
    # The client API's middleware (bearer token, CORS, JSON errors) comes before the
    # session's, so even a refusal there is JSON. Request metrics, when on, outermost.
    config = operations.with_metrics_token(config, announce=False)
    if i18n.supported(config.instance.interface_language) is None:
        raise StartupError("instance.interface_language must be one of "
                           f"{', '.join(i18n.LANGUAGES)}, not "
                           f"{config.instance.interface_language!r}")
    app = web.Application(middlewares=[*operations.metrics_middlewares(config),
                                       *make_middlewares(config), compress_text,
                                       api_middleware,
                                       session_middleware, language_middleware,
                                       csrf_middleware, error_pages, aside_context,
                                       fetch_limit_middleware],
                          client_max_size=config.server.max_body_size)
    app[appkeys.CONFIG] = config
    app[appkeys.URLS] = Urls(config.base_url)
    # Process-wide: requests, in-process workers and generation share the decode slots.
    decode_slots.configure(config.media.decode_concurrency)
    filters: dict[str, Callable[..., str]] = {
        "isolate": bidi.isolate, "bdi": bidi.bdi,
        # Dates and numbers as the request's language writes them (server.i18n).
        "date": i18n.format_date, "datetime": i18n.format_datetime,
        "number": i18n.format_number}
    env = aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(PACKAGE_DIR / "templates"),
                               autoescape=jinja2.select_autoescape(default=True),
                               filters=filters, extensions=["jinja2.ext.i18n"])
    # `_`, ngettext and {% trans %} in every template, in the request's language: installed
    # once, they read the language the middleware set for the request (server.i18n).
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.jinja_gettext, i18n.jinja_ngettext, newstyle=True)
    i18n.preload()

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

    async def services_ctx(app: web.Application) -> AsyncIterator[None]:
        limiter = RateLimiter(config.ratelimits)
        # With no [generator] base_url and no key, the image backend is the generator
        # service started on a loopback port inside this process.
        async with make_http_client(config, resolver=resolver) as client, \
                open_media_store(config) as media_store, \
                open_image_backend(config) as backend:
            try:
                await media_store.check()
            except MediaStoreUnavailable as exc:
                raise StartupError(f"media: {exc}") from None
            services = Services(config=config, db=app[appkeys.DATABASE], http=client,
                                media=media_store, image_backend=backend, limiter=limiter)
            await load_instance_key(services, app[appkeys.INSTANCE_ACTOR_ID])
            bus = StreamBus(services.hub, services.db, redis_url=config.streaming.redis_url)
            try:
                await bus.start()
            except BusUnavailable as exc:
                raise StartupError(f"streaming: {exc}") from None
            services.stream = bus
            app[appkeys.SERVICES] = services
            # Rendered documents and anonymous pages, dropped by the bus's events (every
            # process's) when what they show changes; this process's own at their commit.
            documents = caching.setup(app)
            services.hub.listen(documents.on_event)
            services.hub.listen_at_commit(documents.on_event)
            services.hub.listen_resync(documents.clear)
            streaming = Dispatcher(services)
            streaming.start()
            app[appkeys.STREAMING] = streaming
            try:
                yield
            finally:
                await streaming.stop()
                await bus.stop()
        await limiter.close()

    async def inbox_writer_ctx(app: web.Application) -> AsyncIterator[None]:
        writer = InboxWriter(app[appkeys.DATABASE])
        await writer.start()
        # Received activities are kept for a bounded time: seed the hourly purge.
        await inbox_retention.schedule_purge(app[appkeys.DATABASE])
        app[appkeys.INBOX_WRITER] = writer
        yield
        await writer.stop()

    async def workers_ctx(app: web.Application) -> AsyncIterator[None]:
        # Built even with jobs.workers = 0, so tests can run the queue with one call.
        pool = WorkerPool(JobResources(config=config, sessionmaker=app[appkeys.DATABASE].writer,
                                       services=app[appkeys.SERVICES]),
                          default_registry(), concurrency=max(config.jobs.workers, 1))
        app[appkeys.WORKER_POOL] = pool
        if config.jobs.workers > 0:
            await pool.start()
        yield
        await pool.stop()

    app.cleanup_ctx.extend([database_ctx, instance_ctx, services_ctx, inbox_writer_ctx,
                            workers_ctx])

    static_files.setup(app, PACKAGE_DIR / "static", env)
    for module in (operations, wellknown, actors, collections, authorizations, inbox, statuses,
                   pages, media, remote_media_routes, auth, export_routes, api_routes, web_app):
        module.setup_routes(app)
    return app
