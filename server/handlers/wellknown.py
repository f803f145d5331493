"""Discovery: WebFinger, host-meta and NodeInfo."""

from __future__ import annotations

import json
from urllib.parse import unquote

from aiohttp import web

from activitypub.documents import (
    JRD_JSON,
    XRD_XML,
    host_meta_json,
    host_meta_xml,
    nodeinfo_discovery,
    nodeinfo_document,
    webfinger_document,
)
from server import SOFTWARE_NAME, __version__, appkeys
from server.handlers.caching import Built, cached_usage, shared
from server.handlers.responses import json_response
from server.services.accounts import users as account_service
from server.services.caching.documents import USAGE_SECONDS, account_tag
from server.services.federation import instance as instance_service

NODEINFO_VERSIONS = ("2.0", "2.1")
# The order of /.well-known/nodeinfo's links. GoToSocial (transport/derefinstance.go,
# callNodeInfoWellKnown) takes the LAST schema/2.x link and accepts only a document served as
# plain JSON or with the 2.0 profile, so 2.0 goes last; readers that look for 2.1 by its rel
# (Misskey) or take the first link (Akkoma) get 2.1, which they accept.
NODEINFO_LINK_ORDER = ("2.1", "2.0")
CORS = {"Access-Control-Allow-Origin": "*"}


# resource -> username (or None), per app: servers ask for the same few resources again
# and again. Bounded: a flood of made-up resources empties it.
_NAMES = web.AppKey("webfinger_names", dict)
_MAX_NAMES = 4096


def _username_from_resource(request: web.Request, resource: str) -> str | None:
    names: dict[str, str | None] = request.app[_NAMES]
    try:
        return names[resource]
    except KeyError:
        pass
    if len(names) >= _MAX_NAMES:
        names.clear()
    username = names[resource] = _parse_resource(request, resource)
    return username


def _parse_resource(request: web.Request, resource: str) -> str | None:
    """`acct:user@domain`, `user@domain`, or one of our actor/profile URLs -> username.

    Returns None for resources that are not ours. The instance actor answers to its
    acct (domain@domain), its URL, and the bare instance origin (FEP-d556).
    """
    config = request.app[appkeys.CONFIG]
    urls = request.app[appkeys.URLS]
    domain = config.instance.domain
    resource = unquote(resource.strip())
    if resource in (urls.instance_actor, urls.base, urls.base + "/"):
        return instance_service.instance_actor_username(config)
    if resource.lower().startswith("acct:"):
        resource = resource[5:]
    if resource.startswith("@"):
        resource = resource[1:]
    if "://" in resource:
        for prefix in (urls.base + "/users/", urls.base + "/@"):
            if resource.startswith(prefix):
                name = resource[len(prefix):]
                return name if name and "/" not in name else None
        return None
    user, sep, host = resource.rpartition("@")
    if not sep or host.lower() != domain:
        return None
    return user


async def webfinger(request: web.Request) -> web.StreamResponse:
    resource = request.query.get("resource", "")
    if not resource:
        raise web.HTTPBadRequest(text="the resource parameter is required", headers=CORS)
    username = _username_from_resource(request, resource)
    if username is None:
        raise web.HTTPNotFound(text="no such resource on this instance", headers=CORS)
    # Every spelling of the resource that names this account answers the same document.
    return await shared(request, ("webfinger", username),
                        lambda: _webfinger_document(request, username))


async def _webfinger_document(request: web.Request, username: str) -> Built:
    config = request.app[appkeys.CONFIG]
    urls = request.app[appkeys.URLS]
    instance_actor_name = instance_service.instance_actor_username(config)
    if username == instance_actor_name:
        document = webfinger_document(
            subject=f"acct:{instance_actor_name}@{config.instance.domain}",
            actor_id=urls.instance_actor, profile_url=urls.about, subscribe_template=None)
        return json_response(document, content_type=JRD_JSON, cors=True,
                             max_age=3 * 86400), ()
    account = await account_service.local_account(request.app[appkeys.DATABASE], username)
    if account is None:
        raise web.HTTPNotFound(text="no such account on this instance", headers=CORS)
    if account.deleted_at is not None:
        raise web.HTTPGone(text="this account was deleted", headers=CORS)
    document = webfinger_document(
        subject=f"acct:{account.username}@{config.instance.domain}",
        actor_id=account.uri, profile_url=account.url or urls.profile(account.username),
        subscribe_template=urls.authorize_interaction_template)
    return (json_response(document, content_type=JRD_JSON, cors=True, max_age=3 * 86400),
            [account_tag(account.id)])


async def host_meta(request: web.Request) -> web.Response:
    template = request.app[appkeys.URLS].webfinger_template
    if request.path.endswith(".json") or "json" in request.headers.get("Accept", ""):
        return json_response(host_meta_json(template), content_type=JRD_JSON, cors=True)
    return web.Response(text=host_meta_xml(template), content_type=XRD_XML, headers=CORS)


async def nodeinfo_index(request: web.Request) -> web.Response:
    urls = request.app[appkeys.URLS]
    return json_response(nodeinfo_discovery({v: urls.nodeinfo(v) for v in NODEINFO_LINK_ORDER}),
                         cors=True, max_age=3 * 86400)


async def nodeinfo(request: web.Request) -> web.StreamResponse:
    version = request.match_info["version"]
    if version not in NODEINFO_VERSIONS:
        raise web.HTTPNotFound(text=f"NodeInfo {version} is not served here")
    # The whole document for 30 minutes, counts included, as Mastodon renders it
    # (render_with_cache expires_in: 30.minutes): counting is the costly part.
    return await shared(request, ("nodeinfo", version),
                        lambda: _nodeinfo_document(request, version), ttl=USAGE_SECONDS)


async def _nodeinfo_document(request: web.Request, version: str) -> Built:
    config = request.app[appkeys.CONFIG]
    usage = await cached_usage(request)
    document = nodeinfo_document(
        version, software_name=SOFTWARE_NAME, software_version=__version__, usage=usage,
        open_registrations=config.instance.registrations != "closed",
        # upstream: megalodon-based apps (h3poteto/megalodon detector.ts) refuse software
        # they do not know unless it names the API it speaks.
        metadata={"nodeName": config.instance.name,
                  "registrations": config.instance.registrations,
                  "upstream": {"name": "mastodon"}},
        homepage=request.app[appkeys.URLS].base)
    profile = f"http://nodeinfo.diaspora.software/ns/schema/{version}#"
    return web.Response(body=json.dumps(document).encode(), headers={
        **CORS, "Cache-Control": "public, max-age=1800",
        "Content-Type": f'application/json; profile="{profile}"; charset=utf-8'}), ()


def setup_routes(app: web.Application) -> None:
    app[_NAMES] = {}
    app.router.add_get("/.well-known/webfinger", webfinger)
    app.router.add_get("/.well-known/host-meta", host_meta)
    app.router.add_get("/.well-known/host-meta.json", host_meta)
    app.router.add_get("/.well-known/nodeinfo", nodeinfo_index)
    app.router.add_get("/nodeinfo/{version}", nodeinfo)
