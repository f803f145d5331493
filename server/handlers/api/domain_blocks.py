"""Client API: the servers the user blocks (Mastodon's api/v1/domain_blocks_controller.rb).

GET lists the domains as strings, newest first, paged by the block rows' ids in the Link
header (max_id, since_id, min_id; limit 100 by default, 200 at most); POST blocks and DELETE
unblocks the `domain` given in the query, a form or JSON, both answering `{}` as Mastodon's
render_empty, blocking or unblocking again included. Scopes read:blocks and write:blocks (or
their parents read and write, or the legacy follow).
"""

from __future__ import annotations

from aiohttp import web

from server import appkeys
from server.handlers.api.common import api_json, page, paginated, params, require_user
from server.services.social import domain_blocks

PAGE_DEFAULT, PAGE_MAX = 100, 200


async def index(request: web.Request) -> web.Response:
    user = require_user(request, "read:blocks")
    found = await domain_blocks.blocks_page(
        request.app[appkeys.SERVICES], user.account_id,
        page(request, default=PAGE_DEFAULT, maximum=PAGE_MAX))
    return paginated(request, [block.domain for block in found], [block.id for block in found])


async def create(request: web.Request) -> web.Response:
    user = require_user(request, "write:blocks")
    domain = (await params(request)).text("domain")
    await domain_blocks.block_domain(request.app[appkeys.SERVICES], user.username, domain)
    return api_json({})


async def destroy(request: web.Request) -> web.Response:
    user = require_user(request, "write:blocks")
    domain = (await params(request)).text("domain")
    await domain_blocks.unblock_domain(request.app[appkeys.SERVICES], user.username, domain)
    return api_json({})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/domain_blocks", index)
    app.router.add_post("/api/v1/domain_blocks", create)
    app.router.add_delete("/api/v1/domain_blocks", destroy)
