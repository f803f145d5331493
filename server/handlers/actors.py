"""Actor documents (served to anyone, no signature required) and HTML profiles."""

from __future__ import annotations

import json

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import builders
from activitypub.documents import ACTIVITY_JSON
from server import appkeys
from server.handlers.responses import activity_response, wants_activity
from server.render.to_activitypub import local_actor, note_to_html
from server.services import accounts as account_service
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
            raise web.HTTPGone(body=json.dumps(builders.tombstone(account.uri, "Person")),
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


async def profile_page(request: web.Request) -> web.StreamResponse:
    """`/@{username}`: HTML for browsers; the actor for servers that ask for JSON."""
    async with request.app[appkeys.DATABASE].reader() as session:
        account = await _load_person(request, session)
        if wants_activity(request):
            return await _actor_response(request, session, account)
    if account.suspended_at is not None:
        # Mastodon answers 403 for a suspended account's page, but keeps serving its actor
        # (with `suspended: true`) to servers.
        raise web.HTTPForbidden(text="this account is suspended")
    config = request.app[appkeys.CONFIG]
    context = {
        "instance_name": config.instance.name,
        "account": account,
        "display_name": account.display_name or account.username,
        "handle": f"@{account.username}@{config.instance.domain}",
        "bio_html": note_to_html(account.note),
        "actor_url": account.uri,
    }
    return aiohttp_jinja2.render_template("profile.html", request, context)


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
    app.router.add_get("/@{username}", profile_page)
    app.router.add_get("/actor", instance_actor)
