"""Every web.AppKey of the application, in one place."""

from __future__ import annotations

from aiohttp import web

from activitypub.http import SafeHttpClient
from server.config import Config
from server.jobs.worker import WorkerPool
from server.ratelimit import RateLimiter
from server.services.context import Services
from server.services.federation.inbound.inbox_writer import InboxWriter
from server.services.generation.generate import ImageServices
from server.urls import Urls
from storage.database import Database
from storage.media_files import MediaStore

CONFIG = web.AppKey("config", Config)
URLS = web.AppKey("urls", Urls)
# Database.reader() for queries, Database.writer.begin() for changes.
DATABASE = web.AppKey("database", Database)
INSTANCE_ACTOR_ID = web.AppKey("instance_actor_id", int)
HTTP_CLIENT = web.AppKey("http_client", SafeHttpClient)
SERVICES = web.AppKey("services", Services)
INBOX_WRITER = web.AppKey("inbox_writer", InboxWriter)
# The worker pool; started only when jobs.workers > 0 (tests run it with run_until_empty()).
WORKER_POOL = web.AppKey("worker_pool", WorkerPool)
# Where media files are read from (served at /media/{id}/{file}).
MEDIA_STORE = web.AppKey("media_store", MediaStore)
# Image generation: the backend (in-process generator or a configured service) and store.
IMAGES = web.AppKey("images", ImageServices)
# Rate limit counters ([ratelimits]); the same object is Services.limiter.
RATE_LIMITER = web.AppKey("rate_limiter", RateLimiter)
