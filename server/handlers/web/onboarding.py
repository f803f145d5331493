"""Getting started (/welcome): where a new account lands right after sign-up, and the panel
home shows while the account is new (server.services.accounts.onboarding decides). Three
steps, each done or not: a profile picture and a display name (the profile settings form),
a few people to follow (follow buttons, static/app.js), a first image (the compose page).
"Put this away" (POST /welcome/dismiss) hides it from home for good."""

from __future__ import annotations

from aiohttp import web

from server import appkeys
from server.handlers.session import render, require_user
from server.handlers.web.common import done, refused
from server.services.accounts import onboarding
from server.services.errors import ServiceError


async def welcome_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    steps = await onboarding.state(request.app[appkeys.SERVICES], user.account_id)
    return render(request, "welcome.html", {"onboarding": steps, "active_page": "home"})


async def dismiss(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    try:
        await onboarding.dismiss(request.app[appkeys.SERVICES], user.account_id)
    except ServiceError as exc:
        return refused(request, exc)
    return done(request, form, default="/home", dismissed=True)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/welcome", welcome_page, name="welcome")
    app.router.add_post("/welcome/dismiss", dismiss)
