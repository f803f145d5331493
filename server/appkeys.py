"""Every web.AppKey of the application, in one place."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from activitypub.http import SafeHttpClient
from server.config import Config
from server.urls import Urls
from storage.database import Database

CONFIG = web.AppKey("config", Config)
URLS = web.AppKey("urls", Urls)
# Database.reader() for queries, Database.writer.begin() for changes.
DATABASE = web.AppKey("database", Database)
INSTANCE_ACTOR_ID = web.AppKey("instance_actor_id", int)
HTTP_CLIENT = web.AppKey("http_client", SafeHttpClient)
# The in-process worker pool (server.jobs.worker.WorkerPool), absent when jobs.workers = 0.
WORKER_POOL = web.AppKey("worker_pool", Any)
