"""Every web.AppKey of the application, in one place."""

from __future__ import annotations

from aiohttp import web

from server.config import Config
from server.jobs.worker import WorkerPool
from server.services.context import Services
from server.services.federation.inbound.inbox_writer import InboxWriter
from server.services.streaming.dispatch import Dispatcher
from server.urls import Urls
from storage.database import Database

CONFIG = web.AppKey("config", Config)
URLS = web.AppKey("urls", Urls)
# Database.reader() for queries, Database.writer.begin() for changes.
DATABASE = web.AppKey("database", Database)
INSTANCE_ACTOR_ID = web.AppKey("instance_actor_id", int)
# The one resource object: HTTP client, media store, image backend, rate limiter, caches.
SERVICES = web.AppKey("services", Services)
INBOX_WRITER = web.AppKey("inbox_writer", InboxWriter)
# The client API's streams held by this process.
STREAMING = web.AppKey("streaming", Dispatcher)
# The worker pool; started only when jobs.workers > 0 (tests run it with run_until_empty()).
WORKER_POOL = web.AppKey("worker_pool", WorkerPool)
