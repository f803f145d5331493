"""Followed hashtags in the web app: the Follow/Unfollow button on a tag's page (POST
/web/tags/NAME/follow|unfollow) and the "Followed hashtags" page (/followed_tags), where
one can be followed by name and each let go. Public posts carrying a followed tag show in
home (server.services.social.tag_follows)."""

from __future__ import annotations

from aiohttp import web

from server import appkeys
from server.handlers.session import render, require_user
from server.handlers.web.common import done, field, refused
from server.services.errors import ServiceError
from server.services.social import tag_follows
from storage.pagination import Page

# Mastodon pages followed tags by 100 at most; a person's list fits one page here.
PAGE_SIZE = 200


async def followed_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    tags = await tag_follows.followed(request.app[appkeys.SERVICES], user.account_id,
                                      Page(limit=PAGE_SIZE))
    return render(request, "followed_tags.html", {"tags": tags, "active_page": "settings",
                                                  "section": "tags"})


async def follow_action(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    services = request.app[appkeys.SERVICES]
    raw = request.match_info.get("tag") or field(form, "tag", 300)
    follow = request.match_info["action"] == "follow"
    try:
        if follow:
            name = (await tag_follows.follow_tag(services, user.account_id, raw)).name
        else:
            name = tag_follows.tag_name(raw)
            await tag_follows.unfollow_tag(services, user.account_id, name)
    except ServiceError as exc:
        return refused(request, exc)
    return done(request, form, default=f"/tags/{name}", following=follow, tag=name)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/followed_tags", followed_page, name="followed_tags")
    app.router.add_post("/web/tags/{action:follow|unfollow}", follow_action)
    app.router.add_post("/web/tags/{tag}/{action:follow|unfollow}", follow_action)
