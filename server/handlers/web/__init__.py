"""The browser-facing web app: server-rendered pages (aiohttp-jinja2) with progressive
enhancement. Each module registers its own routes; every action is a plain form POST that
redirects back (303), and answers JSON instead when the page's script asks for it."""

from __future__ import annotations

from aiohttp import web

from server.handlers.web import (
    admin,
    alt_text,
    compose,
    credentials,
    drafts,
    feeds,
    interactions,
    lists,
    live,
    oauth,
    onboarding,
    posts,
    profiles,
    quotes,
    settings,
    settings_account,
    settings_filters,
    settings_language,
    settings_lists,
    social,
    tags,
)


def setup_routes(app: web.Application) -> None:
    # Describe this image (compose) and the alt text reminder's setting.
    alt_text.setup_routes(app)
    for module in (settings_language, feeds, compose, drafts, settings, posts, profiles, social,
                   admin, oauth, live, quotes, interactions, settings_lists, settings_filters,
                   settings_account):
        module.setup_routes(app)
    # Getting started, followed hashtags and lists.
    for module in (onboarding, tags, lists):
        module.setup_routes(app)
    # An image's content credentials (C2PA).
    credentials.setup_routes(app)
