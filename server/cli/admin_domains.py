"""`dreamfeed admin domain ...`: domain blocks and the allow-list. Every change is audited
(domain.block, domain.unblock, domain.allow, domain.disallow) as the operator's."""

from __future__ import annotations

import argparse

from server.cli.common import run_with_services
from server.services.context import Services
from server.services.moderation import domain_blocks
from server.services.moderation.domain_policy import SEVERITIES, SILENCE, normalize_domain


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's sub-commands to `dreamfeed admin`."""
    parser = commands.add_parser("domain", help="block remote servers, or allow only some")
    actions = parser.add_subparsers(dest="domain_command", required=True, metavar="ACTION")
    block = actions.add_parser(
        "block", help="block a domain and its subdomains (again: change the block)")
    block.add_argument("domain")
    block.add_argument("--severity", choices=SEVERITIES, default=SILENCE,
                       help="silence: hidden from public timelines, follows need approval; "
                            "suspend: nothing in or out, its data removed; noop: only "
                            "--reject-media (default: silence)")
    block.add_argument("--reject-media", action="store_true",
                       help="never cache or show its images and avatars")
    block.add_argument("--public-comment", help="a reason you may show to anyone")
    block.add_argument("--private-comment", help="a note for moderators only")
    block.set_defaults(handler=_block)
    unblock = actions.add_parser("unblock", help="lift a domain block (removed data stays "
                                                 "removed)")
    unblock.add_argument("domain")
    unblock.set_defaults(handler=_unblock)
    listing = actions.add_parser("list", help="list domain blocks")
    listing.set_defaults(handler=_list)
    allow = actions.add_parser("allow", help="add a domain to the allow-list (used when "
                                             "[federation] allowlist_mode is on)")
    allow.add_argument("domain")
    allow.set_defaults(handler=_allow)
    disallow = actions.add_parser("disallow", help="remove a domain from the allow-list")
    disallow.add_argument("domain")
    disallow.set_defaults(handler=_disallow)
    allowed = actions.add_parser("allowed", help="list the allow-list")
    allowed.set_defaults(handler=_allowed)



def _block(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        result = await domain_blocks.block_domain(
            services, args.domain, severity=args.severity, reject_media=args.reject_media,
            public_comment=args.public_comment, private_comment=args.private_comment)
        block = result.block
        media = ", media rejected" if block.reject_media else ""
        verb = "blocked" if result.created else "block updated" if result.changed \
            else "already blocked"
        print(f"{block.domain} {verb}: {block.severity}{media}")

    return run_with_services(args, action)


def _unblock(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        view = await domain_blocks.unblock_domain(services, args.domain)
        print(f"{view.domain} unblocked (was {view.severity})")

    return run_with_services(args, action)


def _list(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        blocks = await domain_blocks.list_blocks(services)
        if not blocks:
            print("no blocked domains")
        for b in blocks:
            flags = "  reject-media" if b.reject_media else ""
            comments = "".join(f"  {label}: {text}" for label, text in
                               (("public", b.public_comment), ("private", b.private_comment))
                               if text)
            print(f"{b.domain}  {b.severity}{flags}  since {b.created_at:%Y-%m-%d}{comments}")

    return run_with_services(args, action)


def _allow(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        added = await domain_blocks.allow_domain(services, args.domain)
        print(f"{normalize_domain(args.domain)} "
              f"{'allowed' if added else 'was already allowed'}")
        if not services.config.federation.allowlist_mode:
            print("note: [federation] allowlist_mode is off; the allow-list has no effect")

    return run_with_services(args, action)


def _disallow(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        await domain_blocks.disallow_domain(services, args.domain)
        print(f"{normalize_domain(args.domain)} removed from the allow-list")

    return run_with_services(args, action)


def _allowed(args: argparse.Namespace) -> int:
    async def action(services: Services) -> None:
        domains = await domain_blocks.list_allows(services)
        mode = "on" if services.config.federation.allowlist_mode else "off"
        print(f"allow-list mode is {mode}; {len(domains)} domain(s) allowed")
        for domain in domains:
            print(domain)

    return run_with_services(args, action)
