"""`dreamfeed generate USER --prompt ...` and `dreamfeed generator serve`."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import signal
import sys
from typing import Any

from server.cli.common import CommandError, image_backend_opened, open_services, run_command
from server.config import Config
from server.images.embedded import load_engine, serving_alone
from server.jobs.queue import RetryAfter
from server.logs import setup_logging
from server.services.accounts import users as account_service
from server.services.context import Services
from server.services.errors import ServiceError
from server.services.generation import generate as generation_service
from server.services.generation.generate import GenerationView

# Longest pause between in-process retries of a failed attempt.
MAX_RETRY_PAUSE = 10.0


def add_generation_arguments(gen: argparse.ArgumentParser) -> None:
    """The prompt and image options shared by `generate` and `post`."""
    gen.add_argument("user", help="the local user the images belong to")
    gen.add_argument("--prompt", required=True, help="what to make (kept private)")
    gen.add_argument("--size", help="WIDTHxHEIGHT or auto (default: generator.size)")
    gen.add_argument("--quality", choices=generation_service.QUALITIES,
                     help="default: generator.quality")
    gen.add_argument("--style", help="a style of Dreamfeed's generator, e.g. nebula, "
                     "landscape, mosaic, marble (default: chosen by the prompt)")
    gen.add_argument("--seed", type=int, help="same prompt and seed, same image "
                     "(Dreamfeed's generator)")
    gen.add_argument("-n", type=int, default=1, dest="n",
                     help=f"number of images, 1 to {generation_service.MAX_IMAGES}")


def register(subparsers: Any) -> None:
    gen = subparsers.add_parser("generate", help="make images from a prompt for a local user")
    add_generation_arguments(gen)
    gen.set_defaults(handler=_generate_command)

    service = subparsers.add_parser("generator", help="Dreamfeed's image generator service")
    sub = service.add_subparsers(dest="generator_command", required=True, metavar="ACTION")
    serve = sub.add_parser("serve", help="serve the OpenAI-compatible Images API alone")
    serve.add_argument("--host", default="127.0.0.1", help="listen address (default: loopback)")
    serve.add_argument("--port", type=int, default=8100, help="listen port (default: 8100)")
    serve.add_argument("--token", help="bearer token clients must send (default: "
                       "generator.token or $DREAMFEED_GENERATOR_TOKEN; else a random one)")
    serve.set_defaults(handler=_serve_command)


def _generate_command(args: argparse.Namespace) -> int:
    config: Config = args.config_obj
    setup_logging("WARNING", config.logging.format)

    async def body() -> None:
        async with open_services(config) as services, image_backend_opened(services):
            view = await generate_now(services, args)
        _print(view)
        if view.state != "done":
            raise CommandError(f"generation {view.id} failed: {view.error}")

    return run_command(body)


async def generate_now(services: Services, args: argparse.Namespace) -> GenerationView:
    """Request a generation for args.user and run it in this process (worker or not)."""
    try:
        account = await account_service.local_user_account(services.db, args.user)
        # The queued job is only a backstop (see request_generation): this process makes
        # the images itself, so the command works with or without a running worker.
        backstop = services.config.generator.timeout * generation_service.MAX_ATTEMPTS + 60
        view = await generation_service.request_generation(
            services, account.id, args.prompt, size=args.size, quality=args.quality,
            style=args.style, seed=args.seed, n=args.n, job_delay=backstop,
            source_media_id=getattr(args, "source_media_id", None))
    except ServiceError as exc:
        raise CommandError(str(exc)) from None
    for attempt in range(1, generation_service.MAX_ATTEMPTS + 1):
        try:
            await generation_service.generation_job(services, view.id, attempt)
            break
        except RetryAfter as exc:
            print(f"attempt {attempt} failed ({exc}); retrying", file=sys.stderr)
            await asyncio.sleep(min(max(exc.seconds, 1.0), MAX_RETRY_PAUSE))
    return await generation_service.get_generation(services, view.id)


def _print(view: GenerationView) -> None:
    print(f"generation {view.id}: {view.state}"
          + (f" (style {view.style}, seed {view.seed})" if view.style else ""))
    for media in view.media:
        print(f"  {media.url}  {media.width}x{media.height}  blurhash {media.blurhash}")
        print(f"    webp {media.webp_url}")
        print(f"    thumbnail {media.preview_url}")


def _serve_command(args: argparse.Namespace) -> int:
    config: Config = args.config_obj
    setup_logging(config.logging.level, config.logging.format)
    engine = load_engine(config.generator)
    token = args.token or config.generator.token
    if not token:
        token = secrets.token_urlsafe(32)
        print(f"no token configured; clients must send: Authorization: Bearer {token}",
              flush=True)

    async def body() -> None:
        try:
            async with serving_alone(engine, token, host=args.host, port=args.port) as url:
                print(f"generator ({engine.name}) serving the Images API at {url}; "
                      "SIGTERM or Ctrl-C stops it", flush=True)
                await _wait_for_signal()
        except OSError as exc:
            raise CommandError(f"cannot listen on {args.host}:{args.port}: "
                               f"{exc.strerror}") from None
        print("generator stopped", flush=True)

    return run_command(body)


async def _wait_for_signal() -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
