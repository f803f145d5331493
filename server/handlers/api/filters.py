"""Client API: filters, v1 (/api/v1/filters, Mastodon's api/v1/filters_controller.rb) and v2
(/api/v2/filters and its keywords, api/v2/filters_controller.rb, filters/keywords_controller.rb)
over the user's real filters (server.services.social.filters).

A Dreamfeed filter is one phrase, so each is a v2 filter with exactly one keyword, and the
v1 filter, the v2 filter and its keyword share one id. What that model cannot hold is refused
with 422 and says why: a v2 filter with no keyword or several, a second keyword, deleting the
only one (delete the filter instead), status filters, the "blur" action. The v2 title is the
phrase: a title sent without a keyword change is not stored.

v1's `irreversible` is the hide action; without it a v1 filter warns, as Mastodon creates it.
Scopes: read:filters to look, write:filters to change.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import Any

from aiohttp import web

from server import appkeys
from server.handlers.api.common import (
    ApiError,
    ApiUser,
    Params,
    api_json,
    params,
    parse_id_param,
    require_user,
)
from server.render.to_mastodon.filters import filter_v1, filter_v2, keyword
from server.services.errors import InvalidInput
from server.services.social import filters
from server.services.social.filters import FilterChange, FilterView

READ = "read:filters"
WRITE = "write:filters"
ONE_KEYWORD = ("a filter here holds exactly one keyword: send keywords_attributes with one "
               "keyword (make one filter per keyword)")
KEEPS_KEYWORD = "a filter here keeps its one keyword: delete the filter instead"
# keywords_attributes[0][keyword] or keywords_attributes[][keyword] in a form.
_ATTRIBUTE = re.compile(r"keywords_attributes\[(\d*)\]\[(\w+)\]")


def _invalid(message: str, field: str = "base") -> ApiError:
    """422 with Rails' per-field details beside the message (what Mastodon's schema gives
    some filter endpoints; clients read `error`)."""
    return ApiError(422, message,
                    details={field: [{"error": "ERR_INVALID", "description": message}]})


async def _saved(made: Awaitable[FilterView]) -> FilterView:
    """A create or an edit, its refusals as _invalid."""
    try:
        return await made
    except InvalidInput as exc:
        raise _invalid(str(exc)) from None


# --- parameters --------------------------------------------------------------------------------


def _expiry(p: Params) -> tuple[bool, int | None]:
    """(given, seconds): expires_in="" or null means "never"; absent leaves it as it is."""
    if not p.has("expires_in"):
        return False, None
    raw = p.get("expires_in")
    if raw is None or raw.strip() == "":
        return True, None
    try:
        return True, int(float(raw))
    except ValueError:
        raise _invalid("expires_in must be a number of seconds", "expires_in") from None


def _action(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if raw not in filters.ACTIONS:
        raise _invalid(f"filter_action is one of {', '.join(filters.ACTIONS)} here, "
                       f"not {raw!r}", "filter_action")
    return raw


def _flag(value: Any, default: bool) -> bool:
    """A boolean inside keywords_attributes (JSON true, or Rails' "1", "false"...)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() not in ("0", "f", "false", "off", "no", "n")


async def _keyword_entries(request: web.Request, p: Params) -> list[dict[str, Any]]:
    """keywords_attributes as a list of objects, from JSON (a list, or an object keyed by
    index) or from a form (indexed, or Rails' `[]` form where a repeated key starts the next
    entry)."""
    raw = p.raw("keywords_attributes")
    if isinstance(raw, list):
        return [entry for entry in raw if isinstance(entry, dict)]
    if isinstance(raw, dict):
        return [entry for _, entry in sorted(raw.items(), key=lambda kv: _index(kv[0]))
                if isinstance(entry, dict)]
    pairs: list[tuple[str, Any]] = list(request.query.items())
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        pairs += list((await request.post()).items())  # parsed once already: cached
    indexed: dict[int, dict[str, Any]] = {}
    listed: list[dict[str, Any]] = []
    for key, value in pairs:
        match = _ATTRIBUTE.fullmatch(key)
        if match is None:
            continue
        index, name = match.groups()
        if index:
            indexed.setdefault(int(index), {})[name] = value
        elif not listed or name in listed[-1]:
            listed.append({name: value})
        else:
            listed[-1][name] = value
    return [indexed[i] for i in sorted(indexed)] + listed


def _index(key: str) -> int:
    return int(key) if key.isdigit() else 0


def _contexts(p: Params) -> list[str] | None:
    return p.list("context") if p.has("context") else None


async def _mine(request: web.Request, user: ApiUser) -> FilterView:
    filter_id = parse_id_param(request.match_info["id"])
    return await filters.get_filter(request.app[appkeys.SERVICES], user.username, filter_id)


# --- v1 ---------------------------------------------------------------------------------------


async def v1_index(request: web.Request) -> web.Response:
    user = require_user(request, READ)
    views = await filters.list_filters(request.app[appkeys.SERVICES], user.username)
    return api_json([filter_v1(view) for view in views])


async def v1_create(request: web.Request) -> web.Response:
    user = require_user(request, WRITE)
    p = await params(request)
    _, expires_in = _expiry(p)
    view = await _saved(filters.add_filter(
        request.app[appkeys.SERVICES], user.username, p.text("phrase"),
        contexts=p.list("context"), action="hide" if p.boolean("irreversible") else "warn",
        whole_word=p.boolean("whole_word", True), expires_in=expires_in))
    return api_json(filter_v1(view))


async def v1_show(request: web.Request) -> web.Response:
    user = require_user(request, READ)
    return api_json(filter_v1(await _mine(request, user)))


async def v1_update(request: web.Request) -> web.Response:
    user = require_user(request, WRITE)
    p = await params(request)
    view = await _mine(request, user)
    set_expiry, expires_in = _expiry(p)
    change = FilterChange(
        phrase=p.get("phrase"), contexts=_contexts(p),
        whole_word=p.boolean("whole_word") if p.has("whole_word") else None,
        action=("hide" if p.boolean("irreversible") else "warn")
        if p.has("irreversible") else None,
        set_expiry=set_expiry, expires_in=expires_in)
    return api_json(filter_v1(await _saved(filters.update_filter(
        request.app[appkeys.SERVICES], user.username, view.id, change))))


async def destroy(request: web.Request) -> web.Response:
    """v1 and v2 alike: the filter goes, with its keyword."""
    user = require_user(request, WRITE)
    view = await _mine(request, user)
    await filters.remove_filter(request.app[appkeys.SERVICES], user.username, view.id)
    return api_json({})


# --- v2 ---------------------------------------------------------------------------------------


async def v2_index(request: web.Request) -> web.Response:
    user = require_user(request, READ)
    views = await filters.list_filters(request.app[appkeys.SERVICES], user.username)
    return api_json([filter_v2(view) for view in views])


async def v2_create(request: web.Request) -> web.Response:
    user = require_user(request, WRITE)
    p = await params(request)
    entries = [e for e in await _keyword_entries(request, p) if not _flag(e.get("_destroy"),
                                                                             False)]
    if len(entries) != 1:
        raise _invalid(ONE_KEYWORD, "keywords")
    _, expires_in = _expiry(p)
    view = await _saved(filters.add_filter(
        request.app[appkeys.SERVICES], user.username, str(entries[0].get("keyword") or ""),
        contexts=p.list("context"), action=_action(p.get("filter_action")) or "warn",
        whole_word=_flag(entries[0].get("whole_word"), True), expires_in=expires_in))
    return api_json(filter_v2(view))


async def v2_show(request: web.Request) -> web.Response:
    user = require_user(request, READ)
    return api_json(filter_v2(await _mine(request, user)))


async def v2_update(request: web.Request) -> web.Response:
    user = require_user(request, WRITE)
    p = await params(request)
    view = await _mine(request, user)
    phrase: str | None = None
    whole_word: bool | None = None
    for entry in await _keyword_entries(request, p):
        # Only the filter's own keyword (its id is the filter's) can be named.
        if str(entry.get("id") or "") != str(view.id):
            if entry.get("id"):
                raise ApiError(404, "Record not found")
            raise _invalid(ONE_KEYWORD, "keywords")
        if _flag(entry.get("_destroy"), False):
            raise _invalid(KEEPS_KEYWORD, "keywords")
        if "keyword" in entry:
            phrase = str(entry["keyword"] or "")
        if "whole_word" in entry:
            whole_word = _flag(entry["whole_word"], view.whole_word)
    set_expiry, expires_in = _expiry(p)
    change = FilterChange(phrase=phrase, whole_word=whole_word, contexts=_contexts(p),
                          action=_action(p.get("filter_action")), set_expiry=set_expiry,
                          expires_in=expires_in)
    return api_json(filter_v2(await _saved(filters.update_filter(
        request.app[appkeys.SERVICES], user.username, view.id, change))))


# --- v2 keywords and statuses -----------------------------------------------------------------


async def keywords_index(request: web.Request) -> web.Response:
    user = require_user(request, READ)
    return api_json([keyword(await _mine(request, user))])


async def keywords_create(request: web.Request) -> web.Response:
    user = require_user(request, WRITE)
    await _mine(request, user)  # 404 for a filter that is not the user's
    raise _invalid("a filter here holds exactly one keyword and this one has it: make "
                   "another filter for another keyword", "keyword")


async def keyword_show(request: web.Request) -> web.Response:
    user = require_user(request, READ)
    return api_json(keyword(await _mine(request, user)))


async def keyword_update(request: web.Request) -> web.Response:
    user = require_user(request, WRITE)
    p = await params(request)
    view = await _mine(request, user)
    change = FilterChange(phrase=p.get("keyword"),
                          whole_word=p.boolean("whole_word") if p.has("whole_word") else None)
    return api_json(keyword(await _saved(filters.update_filter(
        request.app[appkeys.SERVICES], user.username, view.id, change))))


async def keyword_destroy(request: web.Request) -> web.Response:
    user = require_user(request, WRITE)
    await _mine(request, user)
    raise _invalid(KEEPS_KEYWORD, "keywords")


async def statuses_index(request: web.Request) -> web.Response:
    """Filters here match words, never single statuses: always none."""
    user = require_user(request, READ)
    await _mine(request, user)
    return api_json([])


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/filters", v1_index)
    app.router.add_post("/api/v1/filters", v1_create)
    app.router.add_get("/api/v1/filters/{id}", v1_show)
    app.router.add_put("/api/v1/filters/{id}", v1_update)
    app.router.add_delete("/api/v1/filters/{id}", destroy)
    app.router.add_get("/api/v2/filters", v2_index)
    app.router.add_post("/api/v2/filters", v2_create)
    app.router.add_get("/api/v2/filters/keywords/{id}", keyword_show)
    app.router.add_put("/api/v2/filters/keywords/{id}", keyword_update)
    app.router.add_delete("/api/v2/filters/keywords/{id}", keyword_destroy)
    app.router.add_get("/api/v2/filters/{id}", v2_show)
    app.router.add_put("/api/v2/filters/{id}", v2_update)
    app.router.add_delete("/api/v2/filters/{id}", destroy)
    app.router.add_get("/api/v2/filters/{id}/keywords", keywords_index)
    app.router.add_post("/api/v2/filters/{id}/keywords", keywords_create)
    app.router.add_get("/api/v2/filters/{id}/statuses", statuses_index)
