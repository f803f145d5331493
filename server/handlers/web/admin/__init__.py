"""The admin area (/admin/...): reports, accounts, domain blocks, sign-ups, invites,
generation, dead-letter deliveries and the audit log. Admins only: visitors are sent to
sign in, other users get 403. Every action calls the same service function as
`dreamfeed admin ...`, so both are checked and audited alike."""

from __future__ import annotations

from aiohttp import web

from server.handlers.web.admin import (
    accounts,
    deliveries,
    domains,
    overview,
    reports,
    signups,
)


def setup_routes(app: web.Application) -> None:
    for module in (overview, reports, accounts, domains, signups, deliveries):
        module.setup_routes(app)
