"""What `dreamfeed doctor` checks on this machine: the keys that decide how other servers see
the instance, the database `serve` would open, and the image generator."""

from __future__ import annotations

import asyncio

import aiohttp

from server.config import Config, ConfigError, is_local_host, split_domain, sqlite_file
from server.images.backend import BackendError, ImageRequest
from server.images.embedded import open_image_backend
from server.services.doctor.findings import Finding, ok, problem, warning
from server.services.federation.instance import recorded_domain
from storage.database import DatabaseUnavailable, check_connection, make_engine, make_sessionmaker
from storage.migrate import current_revision, head_revision


def check_configuration(config: Config) -> list[Finding]:
    instance = config.instance
    host, _port = split_domain(instance.domain)
    findings: list[Finding] = []
    if is_local_host(host):
        findings.append(problem(
            "domain", f"instance.domain is {instance.domain}, which only this machine can "
            "reach: other servers cannot follow anyone here. Set [instance] domain to the "
            "public name (such as social.example) before the first start: it can never change "
            "afterwards."))
    elif instance.scheme != "https":
        findings.append(problem(
            "scheme", f"instance.scheme is {instance.scheme}: Mastodon and most other servers "
            "only fetch and deliver over https. Put a reverse proxy with a TLS certificate "
            "(Caddy, or nginx with Let's Encrypt) in front and leave instance.scheme empty."))
    else:
        findings.append(ok("domain", f"the public URL is {config.base_url}"))
    server_host = config.server.host
    if (not is_local_host(host) and is_local_host(server_host)
            and not config.server.trusted_proxies):
        findings.append(warning(
            "proxy", f"server.host is {server_host}, so a reverse proxy on this machine "
            "forwards to it, but server.trusted_proxies is empty: every request seems to come "
            "from the proxy, and rate limits count all visitors as one. Add the proxy's "
            f"address ({server_host}) to [server] trusted_proxies."))
    return findings


async def check_database(config: Config) -> list[Finding]:
    path = sqlite_file(config.database.url)
    if path is not None and not path.exists():
        # Opening it would create an empty one: say so instead.
        return [problem(
            "database", f"there is no database at {path}: this configuration's instance has "
            "never started (`dreamfeed serve` creates it), or the server runs with another "
            "configuration.")]
    where = str(path) if path is not None else "PostgreSQL"
    engine = make_engine(config.database.url, pool_size=1)
    try:
        try:
            await check_connection(engine)
        except DatabaseUnavailable as exc:
            return [problem("database", f"cannot open the database ({where}): {exc}.")]
        current, head = await current_revision(engine), head_revision()
        recorded = await recorded_domain(make_sessionmaker(engine))
    finally:
        await engine.dispose()
    if current != head:
        return [problem(
            "database", f"the database ({where}) is at schema {current or 'none'}, this "
            f"version needs {head}: run `dreamfeed db upgrade` (`dreamfeed serve` does it "
            "at start).")]
    if recorded is not None and recorded != config.instance.domain:
        return [problem(
            "database", f"the database ({where}) belongs to the instance {recorded}, but "
            f"instance.domain is {config.instance.domain}: this is not its configuration, "
            "and a domain can never change.")]
    return [ok("database", f"the database ({where}) opens and its schema is current")]


async def check_generator(config: Config, seconds: float) -> list[Finding]:
    gen = config.generator
    if gen.embedded:
        # The built-in generator costs nothing: make one small image to prove it works.
        try:
            async with open_image_backend(config) as backend:
                await asyncio.wait_for(backend.generate(
                    ImageRequest(prompt="a test card", size="64x64")), seconds)
        except (BackendError, ConfigError, TimeoutError) as exc:
            return [problem("generator", f"the built-in generator ({gen.engine}) failed to "
                            f"make a test image: {exc or 'it took too long'}.")]
        return [ok("generator", f"the built-in generator ({gen.engine}) makes images")]
    # A paid service is not asked for an image: its model list says whether it is there
    # and takes the key.
    base = gen.base_url or "https://api.openai.com/v1"
    url = base.rstrip("/") + "/models"
    headers = {"Authorization": f"Bearer {gen.api_key}"} if gen.api_key else {}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds)) as s, \
                s.get(url, headers=headers) as resp:
            status = resp.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        return [problem("generator", f"the image generator at {base} cannot be reached "
                        f"({_reason(exc)}): generation requests will fail.")]
    if status in (401, 403):
        return [problem("generator", f"the image generator at {base} refuses the key "
                        "(generator.api_key or $OPENAI_API_KEY).")]
    if status >= 500:
        return [warning("generator", f"the image generator at {base} answered {status}: "
                        "it is there but failing now.")]
    return [ok("generator", f"the image generator at {base} answers")]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return exc.strerror or str(exc.os_error)
    return str(exc) or type(exc).__name__
