"""GET /web/stream: the web app's live events for the signed-in user, as server-sent events
(static/app.js and compose.js listen with EventSource; every page works without it).

The page says what it shows: `?timeline=home|local|federated|tag:NAME` for a timeline's
"N new posts" pill, `?post=ID` for a post page's counts. Events (JSON data):
`timeline` {status_id}, `notifications` {unread}, `counts` {post_id, replies_count,
favourites_count, reblogs_count}, `generation` {generation_id, state}. A comment line every
HEARTBEAT_SECONDS keeps proxies from closing an idle stream and finds a gone client; the
decisions are server.services.reading.live's."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from server import appkeys
from server.handlers.session import current_user
from server.handlers.web.common import said
from server.i18n import gettext as _
from server.services.errors import InvalidInput, NotFound
from server.services.reading import live
from storage.ids import parse_id

# How often an idle stream says it is alive (tests set it lower).
HEARTBEAT_SECONDS = 15.0
# The browser waits this long before reconnecting after the stream ends.
RETRY_MS = 5000

_STREAMS: web.AppKey[set[web.StreamResponse]] = web.AppKey("web_streams")


def _post_id(request: web.Request) -> int | None:
    raw = request.query.get("post")
    if raw is None:
        return None
    post_id = parse_id(raw)
    if post_id is None:
        raise web.HTTPBadRequest(text=_("post must be a post id"))
    return post_id


def _frame(message: live.LiveMessage) -> bytes:
    data = json.dumps(message.data, separators=(",", ":"))
    return f"event: {message.name}\ndata: {data}\n\n".encode()


async def stream(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    if user is None:
        # EventSource cannot follow a sign-in page: a plain 401 ends its retries' purpose.
        raise web.HTTPUnauthorized(text=_("sign in first"))
    services = request.app[appkeys.SERVICES]
    try:
        watch = await live.open_watch(services, user, timeline=request.query.get("timeline"),
                                      post_id=_post_id(request))
    except InvalidInput as exc:
        raise web.HTTPBadRequest(text=said(exc)) from None
    except NotFound:
        raise web.HTTPNotFound(text=_("no such post")) from None
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-store",
        # nginx and friends must pass each event on at once.
        "X-Accel-Buffering": "no"})
    # Subscribed before the headers go: nothing committed after the page's answer is lost.
    async with services.hub.subscribe() as subscription:
        await response.prepare(request)
        request.app[_STREAMS].add(response)
        await response.write(f"retry: {RETRY_MS}\n\n".encode())
        try:
            while True:
                try:
                    event = await asyncio.wait_for(subscription.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    await response.write(b": heartbeat\n\n")
                    continue
                for message in await live.messages(services, watch, event):
                    await response.write(_frame(message))
        except ConnectionResetError:
            pass  # the browser left: the subscription closes with the block
        finally:
            request.app[_STREAMS].discard(response)
    return response


async def _end_streams(app: web.Application) -> None:
    """On shutdown, end every open stream so the server need not wait for them."""
    streams: set[web.StreamResponse] = app[_STREAMS]
    for response in list(streams):
        task = response.task
        if task is not None:
            task.cancel()


def setup_routes(app: web.Application) -> None:
    app[_STREAMS] = set()
    app.on_shutdown.append(_end_streams)
    app.router.add_get("/web/stream", stream, name="web_stream")
