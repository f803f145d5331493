"""Actor documents (served to anyone, no signature required). The HTML profile at
`/@{username}` is the web app's (server.handlers.web.profiles), which hands requests for
JSON back to `user_actor`."""

from __future__ import annotations

import json

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import builders
from activitypub.documents import ACTIVITY_JSON
from server import appkeys
from server.handlers.responses import activity_response, wants_activity
from server.render.to_activitypub import local_actor
from server.services.accounts import users as account_service
from storage import accounts as account_queries
from storage.models import Account


async def _load_person(request: web.Request, session: AsyncSession) -> Account:
    username = request.match_info["username"]
    account = await account_service.find_local_account(session, username)
    if account is None:
        raise web.HTTPNotFound(text=f"no account named {username!r} here")
    if account.deleted_at is not None:
        if wants_activity(request):
            # A Tombstone in place of the actor, as for deleted posts; the 410 itself is what
            # Mastodon and GoToSocial act on (they drop the account).
            raise web.HTTPGone(text=json.dumps(builders.tombstone(account.uri, "Person")),
                               content_type=ACTIVITY_JSON, headers={"Vary": "Accept"})
        raise web.HTTPGone(text="this account was deleted")
    return account


async def _actor_response(request: web.Request, session: AsyncSession,
                          account: Account) -> web.Response:
    key = await account_queries.public_key(session, account.id)
    if key is None:  # every local account is created with a key; this is a broken row
        raise web.HTTPInternalServerError(text="account has no key")
    return activity_response(local_actor(account, key, request.app[appkeys.CONFIG]))


async def user_actor(request: web.Request) -> web.StreamResponse:
    """`/users/{username}`: the actor to servers, a redirect to the profile for browsers."""
    async with request.app[appkeys.DATABASE].reader() as session:
        account = await _load_person(request, session)
        if wants_activity(request):
            return await _actor_response(request, session, account)
    raise web.HTTPFound(account.url or request.app[appkeys.URLS].profile(account.username))


async def instance_actor(request: web.Request) -> web.StreamResponse:
    async with request.app[appkeys.DATABASE].reader() as session:
        account = await account_queries.account_by_id(
            session, request.app[appkeys.INSTANCE_ACTOR_ID])
        if account is None:
            raise web.HTTPNotFound()
        if wants_activity(request):
            return await _actor_response(request, session, account)
    raise web.HTTPFound(request.app[appkeys.URLS].about)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/users/{username}", user_actor)
    app.router.add_get("/actor", instance_actor)
