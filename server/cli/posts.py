"""`dreamfeed post USER --prompt ...` (generate, then post) and `dreamfeed posts ...`
(edit, delete, like, boost): the same services the web UI and client API call."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from server.cli.common import CommandError, image_backend_opened, open_services, run_command
from server.cli.images import add_generation_arguments, generate_now
from server.config import Config
from server.logs import setup_logging
from server.services.context import Services
from server.services.errors import ServiceError
from server.services.federation.remote import RemoteError
from server.services.statuses import boosts, favourites, posts, remix


def register(subparsers: Any) -> None:
    post = subparsers.add_parser("post", help="generate images from a prompt and post them")
    add_generation_arguments(post)
    post.add_argument("--caption", default="", help="the text shown with the images")
    post.add_argument("--alt", action="append", default=[],
                      help="alt text, once per image in order (default: none)")
    post.add_argument("--alt-from-prompt", action="store_true",
                      help="use the prompt as every image's alt text (this makes the prompt "
                      "public, even without --publish-prompt)")
    post.add_argument("--visibility", choices=posts.VISIBILITIES, default="public")
    post.add_argument("--cw", default="", help="content warning (hides the images)")
    post.add_argument("--sensitive", action="store_true", help="hide the images until clicked")
    post.add_argument("--publish-prompt", action="store_true",
                      help="publish the prompt, model and seed with the post")
    post.add_argument("--reply-to", help="id or URL of the post this replies to")
    post.add_argument("--remix-of", help="id or URL of the post this remixes")
    post.add_argument("--remix-image", action="store_true",
                      help="with --remix-of: start from the post's image (edits API), "
                      "not only from a prompt")
    post.add_argument("--language", help="ISO 639-1 language of the caption, e.g. en")
    post.set_defaults(handler=_post_command)

    group = subparsers.add_parser("posts", help="edit, delete, like or boost posts")
    actions = group.add_subparsers(dest="posts_command", required=True, metavar="ACTION")
    edit = actions.add_parser("edit", help="change caption, alt text or content warning")
    edit.add_argument("user")
    edit.add_argument("id", type=int)
    edit.add_argument("--caption")
    edit.add_argument("--alt", action="append", help="alt text, once per image in order")
    edit.add_argument("--cw")
    edit.set_defaults(handler=_edit_command)
    for name, func in (("delete", _delete), ("like", favourites.favourite),
                       ("unlike", favourites.unfavourite), ("boost", boosts.boost),
                       ("unboost", boosts.unboost)):
        action = actions.add_parser(name, help=f"{name} a post")
        action.add_argument("user", help="local username")
        action.add_argument("post", help="post id (ours) or URL")
        action.set_defaults(handler=_simple_command, action=func, action_name=name)


async def _delete(services: Services, username: str, ref: str) -> None:
    if not ref.isdigit():
        raise CommandError("give the id of one of your posts")
    await posts.delete_status(services, username, int(ref))


def _run(args: argparse.Namespace, work: Callable[[Services], Awaitable[str]]) -> int:
    config: Config = args.config_obj
    setup_logging("WARNING", config.logging.format)

    async def body() -> None:
        async with open_services(config) as services:
            try:
                print(await work(services))
            except (ServiceError, RemoteError) as exc:
                raise CommandError(str(exc)) from None

    return run_command(body)


def _post_command(args: argparse.Namespace) -> int:
    async def work(services: Services) -> str:
        args.source_media_id = None
        if args.remix_of:
            source = await remix.remix_source(services, args.remix_of)
            if args.remix_image:
                if source.media_id is None:
                    raise CommandError("that post's image is not stored here; remix its "
                                       "prompt instead")
                args.source_media_id = source.media_id
        async with image_backend_opened(services):
            generation = await generate_now(services, args)
        if generation.state != "done":
            raise CommandError(f"generation {generation.id} failed: {generation.error}")
        alts = [args.prompt] * len(generation.media) if args.alt_from_prompt else args.alt
        view = await posts.create_status(services, args.user, posts.NewStatus(
            media_ids=[int(m.id) for m in generation.media], caption=args.caption,
            alt_texts=alts, spoiler_text=args.cw, sensitive=args.sensitive,
            visibility=args.visibility, language=args.language, in_reply_to=args.reply_to,
            remix_of=args.remix_of, publish_prompt=args.publish_prompt))
        return f"posted {view.id} ({view.visibility}): {view.url}\n  id {view.uri}"

    return _run(args, work)


def _edit_command(args: argparse.Namespace) -> int:
    async def work(services: Services) -> str:
        view = await posts.edit_status(services, args.user, args.id, caption=args.caption,
                                       alt_texts=args.alt, spoiler_text=args.cw)
        return f"edited {view.id}: {view.url}"

    return _run(args, work)


def _simple_command(args: argparse.Namespace) -> int:
    async def work(services: Services) -> str:
        await args.action(services, args.user, args.post)
        return f"{args.action_name}: done"

    return _run(args, work)
