"""The browser-facing web app: server-rendered pages (aiohttp-jinja2) with progressive
enhancement. Each module registers its own routes; every action is a plain form POST that
redirects back (303), and answers JSON instead when the page's script asks for it."""

from __future__ import annotations

from aiohttp import web

from server.handlers.web import (
    admin,
    compose,
    feeds,
    interactions,
    live,
    oauth,
    posts,
    profiles,
    quotes,
    settings,
    social,
)


def setup_routes(app: web.Application) -> None:
    for module in (feeds, compose, settings, posts, profiles, social, admin, oauth, live,
                   quotes, interactions):
        module.setup_routes(app)
