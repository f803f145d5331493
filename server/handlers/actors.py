"""Actor documents (served to anyone, no signature required). The HTML profile at
`/@{username}` is the web app's (server.handlers.web.profiles), which hands requests for
JSON back to `user_actor`."""

from __future__ import annotations

import json

from aiohttp import web

from activitypub import builders
from activitypub.documents import ACTIVITY_JSON
from server import appkeys
from server.handlers.caching import Built, shared
from server.handlers.responses import activity_response, wants_activity
from server.render.to_activitypub import local_actor
from server.services.caching.documents import account_tag
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


def _actor_document(found: ActorRecord, request: web.Request) -> Built:
    if found.key is None:  # every local account is created with a key; this is a broken row
        raise web.HTTPInternalServerError(text="account has no key")
    return activity_response(local_actor(found.account, found.key, request.app[appkeys.CONFIG],
                                         mentions=found.mentions)), \
        [account_tag(found.account.id)]


async def user_actor(request: web.Request) -> web.StreamResponse:
    """`/users/{username}`: the actor to servers, a redirect to the profile for browsers."""
    username = request.match_info["username"]
    if wants_activity(request):
        # The same document for every server that asks: kept until the account changes.
        async def build() -> Built:
            return _actor_document(_check_person(request, await actor_reading.local_person(
                request.app[appkeys.DATABASE], username, with_key=True,
                config=request.app[appkeys.CONFIG])), request)

        return await shared(request, ("actor", username), build)
    account = _check_person(request, await actor_reading.local_person(
        request.app[appkeys.DATABASE], username, with_key=False,
        config=request.app[appkeys.CONFIG])).account
    raise web.HTTPFound(account.url or request.app[appkeys.URLS].profile(account.username))


async def instance_actor(request: web.Request) -> web.StreamResponse:
    if not wants_activity(request):
        raise web.HTTPFound(request.app[appkeys.URLS].about)

    async def build() -> Built:
        found = await actor_reading.instance_actor(
            request.app[appkeys.DATABASE], request.app[appkeys.INSTANCE_ACTOR_ID],
            with_key=True)
        if found is None:
            raise web.HTTPNotFound()
        return _actor_document(found, request)

    return await shared(request, ("actor", ""), build)  # no person has an empty name


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/users/{username}", user_actor)
    app.router.add_get("/actor", instance_actor)
