"""Request middlewares: request id, client address, one log line per request, errors, the
security headers every response gets, and the redirect of a path's trailing-slash form."""

from __future__ import annotations

import logging
import re
import time
import uuid
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from server.client_ip import client_ip, parse_networks
from server.config import Config
from storage.database import unavailable_reason

log = logging.getLogger("dreamfeed.request")

REQUEST_ID = web.RequestKey("request_id", str)
CLIENT_IP = web.RequestKey("client_ip", str)
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
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

    def add_security_headers(response: web.StreamResponse) -> None:
        # A handler that needs another policy (a page posting to another origin) sets its
        # own header first; setdefault keeps it.
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if response.content_type == "text/html":
            headers.setdefault("Content-Security-Policy", policy)
            headers.setdefault("X-Frame-Options", "DENY")

    @web.middleware
    async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            add_security_headers(exc)
            raise
        # A response streamed by its handler (proxied media) has sent its headers already.
        if not response.prepared:
            add_security_headers(response)
        return response

    @web.middleware
    async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
        # A proxy's X-Request-Id is kept when it looks sane, so logs can be joined up.
        incoming = request.headers.get("X-Request-Id", "")
        request[REQUEST_ID] = incoming if _REQUEST_ID_RE.fullmatch(incoming) \
            else uuid.uuid4().hex
        request[CLIENT_IP] = client_ip(request.remote, request.headers.get("X-Forwarded-For"),
                                       request.headers.get("Forwarded"), trusted) or ""
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
        except web.HTTPException as exc:
            status = exc.status
            exc.headers["X-Request-Id"] = request[REQUEST_ID]
            raise
        except Exception:
            log.exception("unhandled error", extra={"request_id": request[REQUEST_ID],
                                                    "path": request.path})
            response = web.json_response(
                {"error": "internal server error", "request_id": request[REQUEST_ID]},
                status=500)
        finally:
            log.info("%s %s", request.method, request.path_qs, extra={
                "request_id": request[REQUEST_ID], "client": request[CLIENT_IP],
                "status": status, "ms": round((time.perf_counter() - started) * 1000, 1),
            })
        response.headers["X-Request-Id"] = request[REQUEST_ID]
        return response

    @web.middleware
    async def database_unavailable(request: web.Request,
                                   handler: Handler) -> web.StreamResponse:
        # An unreachable database is an outage, not a bug: 503 with Retry-After (senders and
        # proxies retry it) and one warning line, instead of a 500 with a traceback per
        # request. Any other exception goes on to request_context's 500.
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception as exc:
            reason = unavailable_reason(exc)
            if reason is None:
                raise
            log.warning("database unavailable: %s", reason, extra={
                "request_id": request[REQUEST_ID], "path": request.path})
            raise web.HTTPServiceUnavailable(
                text="the database is unavailable; retry later",
                headers={"Retry-After": str(DATABASE_RETRY_AFTER)}) from None

    # database_unavailable sits inside request_context (request id, the request's log line)
    # and before the app's own middlewares (the session middleware reads the database).
    return [security_headers, request_context, database_unavailable, trailing_slash]


@web.middleware
async def trailing_slash(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A GET of `/tags/comet/` (Takahē links every hashtag with a trailing slash), `/@alice/`
    or `/users/alice/` that matches no route is redirected to the path without the slash when
    that one matches: every route answers both forms, registered once."""
    path = request.rel_url.path
    if (request.method in ("GET", "HEAD") and len(path) > 1 and path.endswith("/")
            and request.match_info.http_exception is not None):
        canonical = path.rstrip("/")
        # `//host/` would become `//host`, a redirect to another site: never.
        if canonical.startswith("/") and not canonical.startswith("//"):
            target = request.rel_url.with_path(canonical).with_query(request.rel_url.query)
            match = await request.app.router.resolve(request.clone(rel_url=target))
            if match.http_exception is None:
                raise web.HTTPMovedPermanently(str(target))
    return await handler(request)
