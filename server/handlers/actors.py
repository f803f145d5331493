"""Actor documents (served to anyone, no signature required). The HTML profile at
`/@{username}` is the web app's (server.handlers.web.profiles), which hands requests for
JSON back to `user_actor`."""

from __future__ import annotations

import json

from aiohttp import web

from activitypub import builders
from activitypub.documents import ACTIVITY_JSON
from server import appkeys
from server.handlers.responses import activity_response, wants_activity
from server.render.to_activitypub import local_actor
from server.services.reading import actors as actor_reading
from server.services.reading.actors import ActorRecord


def _check_person(request: web.Request, found: ActorRecord | None) -> ActorRecord:
    username = request.match_info["username"]
    if found is None:
        raise web.HTTPNotFound(text=f"no account named {username!r} here")
    account = found.account
    if account.deleted_at is not None:
        if wants_activity(request):
            # A Tombstone in place of the actor, as for deleted posts; the 410 itself is what
            # Mastodon and GoToSocial act on (they drop the account).
            raise web.HTTPGone(text=json.dumps(builders.tombstone(account.uri, "Person")),
                               content_type=ACTIVITY_JSON, headers={"Vary": "Accept"})
        raise web.HTTPGone(text="this account was deleted")
    return found


def _actor_response(request: web.Request, found: ActorRecord) -> web.Response:
    if found.key is None:  # every local account is created with a key; this is a broken row
        raise web.HTTPInternalServerError(text="account has no key")
    return activity_response(local_actor(found.account, found.key, request.app[appkeys.CONFIG],
                                         mentions=found.mentions))


async def user_actor(request: web.Request) -> web.StreamResponse:
    """`/users/{username}`: the actor to servers, a redirect to the profile for browsers."""
    activity = wants_activity(request)
    found = _check_person(request, await actor_reading.local_person(
        request.app[appkeys.DATABASE], request.match_info["username"], with_key=activity,
        config=request.app[appkeys.CONFIG]))
    if activity:
        return _actor_response(request, found)
    account = found.account
    raise web.HTTPFound(account.url or request.app[appkeys.URLS].profile(account.username))


async def instance_actor(request: web.Request) -> web.StreamResponse:
    activity = wants_activity(request)
    found = await actor_reading.instance_actor(
        request.app[appkeys.DATABASE], request.app[appkeys.INSTANCE_ACTOR_ID], with_key=activity)
    if found is None:
        raise web.HTTPNotFound()
    if activity:
        return _actor_response(request, found)
    raise web.HTTPFound(request.app[appkeys.URLS].about)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/users/{username}", user_actor)
    app.router.add_get("/actor", instance_actor)
