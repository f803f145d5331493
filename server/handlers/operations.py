"""For operators and load balancers: `/metrics` (Prometheus, when [metrics] enabled, behind
a bearer token), `/livez` and `/readyz` (GoToSocial's names: the process answers; the
process and its database, and Redis when used, answer) and `/health` (Mastodon's name, the
same check as /readyz, so a load balancer configured for Mastodon works unchanged).

The probes are never cached (Cache-Control: no-store), never rate limited, and their
successes are logged at debug only (server/middlewares.py's QUIET_PATHS): a load balancer
asks every few seconds."""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import logging
import os
import secrets
import time
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from server import appkeys, metrics
from server.config import Config
from server.services.reading import operations

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}


@dataclass
class _Readiness:
    # The last answer's failure, to log changes only (the app's state is frozen once it
    # runs: this object is what changes).
    failing: bool = False


_READINESS = web.AppKey("readiness", _Readiness)


def with_metrics_token(config: Config, *, announce: bool = True) -> Config:
    """The config with [metrics] token filled: a random one when metrics are on and none
    is set, logged in the line that says metrics are on (the operator needs it for the
    scraper). `dreamfeed serve` calls it once before it starts its processes (they must
    share one token), and says metrics are on with a configured token too (`announce`);
    the app calls it again, which changes nothing then."""
    if not config.metrics.enabled:
        return config
    if config.metrics.token:
        if announce:
            log.info("metrics on at %s/metrics; bearer token: [metrics] token", config.base_url)
        return config
    token = secrets.token_urlsafe(32)
    log.info("metrics on at %s/metrics; bearer token (made at start; set [metrics] token to "
             "keep one): %s", config.base_url, token)
    return dataclasses.replace(config, metrics=dataclasses.replace(config.metrics,
                                                                  token=token))


def metrics_middlewares(config: Config) -> list[Middleware]:
    """The request latency histogram's middleware, outermost (it sees the status every other
    middleware settled on); none when metrics are off."""
    if not config.metrics.enabled:
        return []

    @web.middleware
    async def request_metrics(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        except asyncio.CancelledError:
            status = 499  # the client went away (nginx's code for it)
            raise
        finally:
            # The route's pattern (/users/{username}), never the path: bounded labels.
            resource = request.match_info.route.resource
            metrics.observe_request(resource.canonical if resource is not None
                                    else "unmatched", request.method, status,
                                    time.perf_counter() - started)

    return [request_metrics]


async def metrics_endpoint(request: web.Request) -> web.Response:
    config = request.app[appkeys.CONFIG]
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), config.metrics.token.encode()):
        raise web.HTTPUnauthorized(text="a bearer token ([metrics] token) is required",
                                   headers={"WWW-Authenticate": 'Bearer realm="metrics"',
                                            **NO_STORE})
    state = await operations.cluster_state(request.app[appkeys.SERVICES])
    # Summing N processes' files reads them from disk: off the event loop.
    body = await asyncio.to_thread(metrics.render, state) \
        if os.environ.get(metrics.MULTIPROC_ENV) else metrics.render(state)
    return web.Response(body=body, headers={"Content-Type": metrics.CONTENT_TYPE,
                                            **NO_STORE})


async def livez(_request: web.Request) -> web.Response:
    return web.Response(text="ok\n", headers=NO_STORE)


async def readyz(request: web.Request) -> web.Response:
    result = await operations.readiness(request.app[appkeys.SERVICES])
    failing = not result.ready
    # A warning when the answer changes, not one per probe.
    last = request.app[_READINESS]
    if failing != last.failing:
        last.failing = failing
        if failing:
            log.warning("not ready: %s", "; ".join(
                f"{name}: {problem}" for name, problem in result.checks.items() if problem))
        else:
            log.info("ready again")
    return web.json_response(
        {"status": "unavailable" if failing else "ok",
         "checks": {name: problem or "ok" for name, problem in result.checks.items()}},
        status=503 if failing else 200, headers=NO_STORE)


def setup_routes(app: web.Application) -> None:
    app[_READINESS] = _Readiness()
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/health", readyz)
    if app[appkeys.CONFIG].metrics.enabled:
        app.router.add_get("/metrics", metrics_endpoint)
