"""The middleware every request goes through (`front`): request id, client address, one log
line per request, errors, the database-unavailable 503, the security headers every response
gets, and the redirect of a path's trailing-slash form. One middleware, not one each: every
one more costs every request a coroutine and its exception handling."""

from __future__ import annotations

import functools
import itertools
import logging
import os
import re
import time
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from server.client_ip import client_ip, parse_networks
from server.config import Config
from server.logs import log_request
from storage.database import unavailable_reason

log = logging.getLogger("dreamfeed.request")

REQUEST_ID = web.RequestKey("request_id", str)
CLIENT_IP = web.RequestKey("client_ip", str)
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
# A request id made here: this process's random prefix and a counter, unique like a UUID's
# 128 random bits would be for joining logs up, without a random read per request.
_ID_PREFIX = os.urandom(8).hex()
_ID_COUNTER = itertools.count(1)


def _new_id_prefix() -> None:
    # A forked web process ([server] processes) must not repeat its parent's ids.
    global _ID_PREFIX
    _ID_PREFIX = os.urandom(8).hex()


os.register_at_fork(after_in_child=_new_id_prefix)
# Paths whose requests are logged at debug only (server/handlers/operations.py).
QUIET_PATHS = frozenset({"/livez", "/readyz", "/health", "/metrics"})
# Seconds a client is asked to wait while the database is unreachable: long enough not to
# hammer a database coming back up, short enough that a brief outage costs little.
DATABASE_RETRY_AFTER = 30


def content_security_policy(config: Config) -> str:
    """The policy of our HTML pages: scripts, styles, fonts and connections only from this
    origin (static files; no inline code, so injected markup cannot run), images also from
    the configured origin and the media CDN's (remote media are cached or proxied by us, so
    no remote hosts), never framed (clickjacking), forms only to us, no <base> rewriting."""
    # Media URLs are absolute, on the configured origin: a page reached under another name
    # (127.0.0.1 for localhost, a second host name behind the proxy) must still show them.
    origins = ["'self'"]
    for url in (config.base_url, config.media.base_url):
        if url:
            parts = urlsplit(url)
            origins.append(f"{parts.scheme}://{parts.netloc}")
    media = " ".join(dict.fromkeys(origins))
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self'",
        f"img-src {media} data: blob:", f"media-src {media}", "font-src 'self'",
        "connect-src 'self'", "object-src 'none'", "frame-ancestors 'none'",
        "form-action 'self'", "base-uri 'none'"])


def make_middlewares(config: Config) -> list[Middleware]:
    trusted = parse_networks(config.server.trusted_proxies)
    policy = content_security_policy(config)

    # The same few peers (a proxy, the busiest servers) ask again and again: their address
    # is parsed once, not per request.
    @functools.lru_cache(maxsize=1024)
    def client_address(peer: str | None, x_forwarded_for: str | None,
                       forwarded: str | None) -> str:
        return client_ip(peer, x_forwarded_for, forwarded, trusted) or ""

    def add_security_headers(response: web.StreamResponse) -> None:
        # A handler that needs another policy (a page posting to another origin) sets its
        # own header first; setdefault keeps it.
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        # The header's media type, without parsing its parameters (content_type would).
        media_type = headers.get("Content-Type", "").partition(";")[0]
        if media_type.strip().lower() == "text/html":
            headers.setdefault("Content-Security-Policy", policy)
            headers.setdefault("X-Frame-Options", "DENY")

    @web.middleware
    async def front(request: web.Request, handler: Handler) -> web.StreamResponse:
        """From the outside in: the security headers, the request id and client address
        with the request's log line (and a JSON 500 for what nothing else handled), the
        database-unavailable 503, and the trailing-slash redirect of an unmatched path."""
        headers = request.headers
        # A proxy's X-Request-Id is kept when it looks sane, so logs can be joined up.
        incoming = headers.get("X-Request-Id")
        request_id = incoming if incoming and _REQUEST_ID_RE.fullmatch(incoming) \
            else f"{_ID_PREFIX}{next(_ID_COUNTER):x}"
        client = client_address(request.remote, headers.get("X-Forwarded-For"),
                                headers.get("Forwarded"))
        request[REQUEST_ID] = request_id
        request[CLIENT_IP] = client
        started = time.perf_counter()
        status = 500
        try:
            try:
                if request.match_info.http_exception is not None:
                    await _trailing_slash(request)
                response = await handler(request)
            except web.HTTPException:
                raise
            except Exception as exc:
                unavailable = _database_unavailable(exc, request, request_id)
                if unavailable is None:
                    raise
                raise unavailable from None
            status = response.status
        except web.HTTPException as exc:
            status = exc.status
            exc.headers["X-Request-Id"] = request_id
            add_security_headers(exc)
            raise
        except Exception:
            log.exception("unhandled error", extra={"request_id": request_id,
                                                    "path": request.path})
            response = web.json_response(
                {"error": "internal server error", "request_id": request_id}, status=500)
        finally:
            # A load balancer's probes and Prometheus' scrapes, every few seconds: at debug
            # (/readyz logs its own change of answer).
            log_request(log, logging.DEBUG if request.path in QUIET_PATHS else logging.INFO,
                        request.method, request.path_qs, (
                            ("request_id", request_id), ("client", client),
                            ("status", status),
                            ("ms", round((time.perf_counter() - started) * 1000, 1))))
        # A response streamed by its handler (proxied media) has sent its headers already.
        if not response.prepared:
            response.headers["X-Request-Id"] = request_id
            add_security_headers(response)
        return response

    return [front]


def _database_unavailable(exc: Exception, request: web.Request,
                         request_id: str) -> web.HTTPServiceUnavailable | None:
    """An unreachable database is an outage, not a bug: 503 with Retry-After (senders and
    proxies retry it) and one warning line, instead of a 500 with a traceback per request.
    None for any other exception (it goes on to the 500 of `front`). Inside `front`: the
    request's id and its log line; before the app's own middlewares (the session middleware
    reads the database)."""
    reason = unavailable_reason(exc)
    if reason is None:
        return None
    log.warning("database unavailable: %s", reason, extra={
        "request_id": request_id, "path": request.path})
    return web.HTTPServiceUnavailable(
        text="the database is unavailable; retry later",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)})


async def _trailing_slash(request: web.Request) -> None:
    """A GET of `/tags/comet/` (Takahē links every hashtag with a trailing slash), `/@alice/`
    or `/users/alice/` that matches no route is redirected to the path without the slash when
    that one matches: every route answers both forms, registered once."""
    path = request.rel_url.path
    if request.method in ("GET", "HEAD") and len(path) > 1 and path.endswith("/"):
        canonical = path.rstrip("/")
        # `//host/` would become `//host`, a redirect to another site: never.
        if canonical.startswith("/") and not canonical.startswith("//"):
            target = request.rel_url.with_path(canonical).with_query(request.rel_url.query)
            match = await request.app.router.resolve(request.clone(rel_url=target))
            if match.http_exception is None:
                raise web.HTTPMovedPermanently(str(target))
