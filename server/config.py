"""The one reader of configuration: a TOML file plus DREAMFEED_* overrides -> frozen dataclasses.

Nothing reads configuration at import time; `load_config()` is called once by the CLI and the
result is handed to `create_app()`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import sys
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "DREAMFEED_"
# The directory relative paths in configuration are resolved against (see instance_home).
HOME_ENV = "DREAMFEED_HOME"
# Environment variables that are not single-key overrides.
ENV_RESERVED = frozenset({"DREAMFEED_CONFIG", HOME_ENV})
SQLITE_PREFIX = "sqlite+aiosqlite:///"

REGISTRATION_MODES = ("open", "approval", "invite", "closed")
# A language tag as posts carry it (contentMap's key, the status's `language`): ISO 639-1/3
# with an optional region or script (en, pt-BR, zh-Hant).
LANGUAGE_CODE_RE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?")


# The `limits` notation: N per [M] second|minute|hour|day, or N/unit.
RATE_RE = re.compile(r"\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day)s?", re.IGNORECASE)


class ConfigError(Exception):
    """Bad configuration; the message is one line naming the offending key."""


@dataclass(frozen=True)
class InstanceConfig:
    # Public host[:port] embedded in every id this instance mints. Never changes after first start.
    domain: str = "localhost:8000"
    # "http" or "https"; empty means: http for localhost/loopback domains, https otherwise.
    scheme: str = ""
    name: str = "Dreamfeed"
    registrations: str = "open"
    # What apps and the about page say of this instance: a short plain-text description, an
    # address for questions (apps show it; empty: none given), and the rules, one per entry.
    description: str = ""
    contact_email: str = ""
    rules: tuple[str, ...] = ()
    # The language (ISO 639) a post is marked with when neither it nor its author's
    # settings name one (Mastodon's I18n.default_locale); empty: such posts have none.
    default_language: str = "en"
    # The web interface's language for visitors whose account, cookie and browser name none
    # of the languages offered (server.i18n.LANGUAGES: en, fr, ar).
    interface_language: str = "en"


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    # Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For / Forwarded we believe.
    trusted_proxies: tuple[str, ...] = ()
    # Largest request body accepted, in bytes.
    max_body_size: int = 1_048_576
    # Web processes sharing the port (SO_REUSEPORT), each with its own `jobs.workers`; 0:
    # one per core on PostgreSQL, 1 on SQLite (more there need [streaming] redis_url).
    processes: int = 0


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite+aiosqlite:///data/dreamfeed.db"
    # Connection pool size for PostgreSQL (SQLite uses one writer connection).
    pool_size: int = 10


@dataclass(frozen=True)
class MediaConfig:
    path: str = "data/media"
    # Public URL prefix of media files (a CDN); empty: <instance base URL>/media.
    base_url: str = ""
    # Largest image accepted, in pixels (checked before decoding) and in bytes.
    max_pixels: int = 33_177_600
    max_size: int = 16_777_216
    # Lower pixel limits (also checked before decoding) for images of remote posts and remote
    # avatars, and for local avatars and headers: 4096x4096, what Mastodon accepted before
    # 4.2 (Attachmentable::MAX_MATRIX_LIMIT); it serves originals of at most 3840x2160.
    remote_max_pixels: int = 16_777_216
    profile_max_pixels: int = 16_777_216
    # Images decoded at once in this process; each may hold ~4 bytes per pixel while it runs.
    decode_concurrency: int = 2
    # Keep our own copy of remote posts' images and avatars (visitors never reach other
    # servers); false: proxy them through this server on every request instead.
    cache_remote: bool = True
    # Accept images uploaded through the client API (POST /api/v2/media); false: every image
    # on this instance is generated here.
    allow_uploads: bool = True
    # Where media files are kept: "disk" (under `path`) or "s3" (an S3-compatible bucket).
    # The other store, when configured too, is read for files not copied yet (while
    # `dreamfeed media migrate` runs); media URLs are the same with either.
    backend: str = "disk"
    # The S3 API's endpoint (https://s3.eu-west-1.amazonaws.com, an R2/MinIO/Garage URL);
    # empty: AWS's endpoint for s3_region. Empty keys and region fall back to the usual
    # AWS_ENDPOINT_URL, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
    s3_endpoint: str = ""
    s3_region: str = ""
    s3_bucket: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    # Content credentials (C2PA): the signing certificate chain (PEM: the end-entity
    # certificate first, then its issuers) and its private key. Both empty: the instance
    # signs with its own self-signed chain, made at first start and kept in the database.
    c2pa_certificate: str = ""
    c2pa_private_key: str = ""


GENERATOR_QUALITIES = ("auto", "low", "medium", "high")


@dataclass(frozen=True)
class GeneratorConfig:
    # An OpenAI-compatible Images API. Empty: OpenAI when an API key is set, otherwise
    # Dreamfeed's own generator started in-process on a loopback port.
    base_url: str = ""
    # Bearer token for base_url; empty falls back to $OPENAI_API_KEY.
    api_key: str = ""
    model: str = "gpt-image-2"
    # Default size (WIDTHxHEIGHT or "auto") and quality (auto, low, medium, high).
    size: str = "1024x1024"
    quality: str = "auto"
    # Seconds one image request may take before it is given up (and retried).
    timeout: float = 120.0
    # Images one user may generate per UTC day, refusals included; 0: no limit.
    daily_limit: int = 50
    # Engine of Dreamfeed's own generator service (in-process or `dreamfeed generator serve`):
    # "procedural" (drawn by code, no model) or "diffusers" (a real model; optional extra).
    engine: str = "procedural"
    # The diffusers engine: a model directory or hub id, where it runs, in what precision,
    # its denoising steps (0: by quality) and guidance scale, and whether a hub id may be
    # downloaded at start (otherwise it must already be on this machine).
    model_path: str = ""
    device: str = "auto"
    dtype: str = "auto"
    steps: int = 0
    guidance: float = 0.0
    allow_download: bool = False
    # Bearer token `dreamfeed generator serve` requires; empty: a random one, printed at start.
    token: str = ""

    @property
    def embedded(self) -> bool:
        """True when `dreamfeed serve` runs the generator itself."""
        return not self.base_url and not self.api_key


@dataclass(frozen=True)
class DescribeConfig:
    # "Describe this image": alt text drafted by a vision model behind any OpenAI-compatible
    # chat endpoint that takes image input. Empty base_url: OpenAI when a key is known.
    base_url: str = ""
    # Bearer token; empty: OpenAI's key ([generator] api_key or $OPENAI_API_KEY) when
    # base_url is OpenAI's, none otherwise (Ollama, LocalAI and vLLM need none).
    api_key: str = ""
    model: str = "gpt-4.1-mini"
    # Seconds one description may take.
    timeout: float = 60.0
    # Descriptions one user may ask for per UTC day; 0: no limit.
    daily_limit: int = 100
    # false: off, even with a key or a base_url.
    enabled: bool = True


@dataclass(frozen=True)
class FederationConfig:
    # Allow outgoing requests to loopback, private, link-local addresses (tests and LAN instances).
    allow_private_addresses: bool = False
    # Seconds for one outgoing request, connect to last byte.
    request_timeout: float = 20.0
    # Largest response body read from a remote server, in bytes.
    max_response_size: int = 5_242_880
    max_redirects: int = 3
    # Federate only with domains on the allow-list (`dreamfeed admin domain allow`).
    allowlist_mode: bool = False
    # Days a received activity's record is kept (its body goes once applied): the window in
    # which a redelivery is recognised. Longer than senders retry (Mastodon ~3 days).
    inbox_retention_days: int = 7
    # A signed-in person opening a remote post fetches its thread from the other servers (a
    # job, as Mastodon 4.4): its parent chain and its `replies` collections. At most once per
    # post per cooldown, as far as `depth` levels up and down, `max_posts` posts (0: threads
    # are never fetched) and `max_pages` collection pages per fetch (Mastodon: 15 minutes,
    # 1000 posts, 500 pages).
    context_fetch_cooldown_minutes: int = 15
    context_fetch_depth: int = 20
    context_fetch_max_posts: int = 100
    context_fetch_max_pages: int = 50


@dataclass(frozen=True)
class ModerationConfig:
    # Check prompts with OpenAI's moderation endpoint when an OpenAI API key is known
    # (openai_api_key, else [generator] api_key, else $OPENAI_API_KEY).
    openai: bool = True
    openai_base_url: str = "https://api.openai.com/v1"
    openai_api_key: str = ""
    openai_model: str = "omni-moderation-latest"
    # Words and phrases refused in prompts (case-insensitive, whole words), always checked,
    # plus those in blocked_terms_file (one per line, # comments).
    blocked_terms: tuple[str, ...] = ()
    blocked_terms_file: str = ""


@dataclass(frozen=True)
class RateLimitsConfig:
    enabled: bool = True
    # Where counters live: "memory://" (one process) or "redis://host:port" (shared).
    storage: str = "memory://"
    # Limits in the `limits` notation ("5 per hour", "10/minute").
    signup: str = "5 per hour"
    login: str = "10 per 5 minutes"
    generation: str = "30 per 10 minutes"
    posting: str = "60 per 10 minutes"
    inbox: str = "3000 per 5 minutes"
    fetch: str = "3000 per 5 minutes"
    # Accounts looked up on other servers from search, per user.
    lookup: str = "100 per 10 minutes"
    # Client API requests, per account (or per address without a token): Mastodon's default.
    api: str = "300 per 5 minutes"


@dataclass(frozen=True)
class JobsConfig:
    # Worker tasks started inside `dreamfeed serve` (0: run `dreamfeed worker` separately).
    workers: int = 2
    # Seconds a claimed job stays leased to its worker before another may take it over.
    lease_seconds: int = 300
    # Seconds after a job's creation during which failures are retried; then it is dead-lettered.
    retry_window_seconds: int = 172_800
    # Base and cap of the exponential backoff between attempts, in seconds.
    backoff_base_seconds: float = 15.0
    backoff_max_seconds: float = 21_600.0
    # Seconds an idle worker sleeps before polling again.
    poll_interval: float = 1.0


@dataclass(frozen=True)
class StreamingConfig:
    # Live events cross processes over Redis pub/sub when set ("redis://host:port"); else over
    # PostgreSQL LISTEN/NOTIFY on PostgreSQL, or within the one process on SQLite.
    redis_url: str = ""


@dataclass(frozen=True)
class MetricsConfig:
    # Serve /metrics in Prometheus' text format (off: the route does not exist).
    enabled: bool = False
    # Bearer token a scraper must send; empty: a random one, made and logged at start.
    token: str = ""


@dataclass(frozen=True)
class LoggingConfig:
    level: str = "INFO"
    # "text" for humans, "json" for log collectors.
    format: str = "text"


@dataclass(frozen=True)
class Config:
    instance: InstanceConfig = field(default_factory=InstanceConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    media: MediaConfig = field(default_factory=MediaConfig)
    federation: FederationConfig = field(default_factory=FederationConfig)
    jobs: JobsConfig = field(default_factory=JobsConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    describe: DescribeConfig = field(default_factory=DescribeConfig)
    moderation: ModerationConfig = field(default_factory=ModerationConfig)
    ratelimits: RateLimitsConfig = field(default_factory=RateLimitsConfig)
    streaming: StreamingConfig = field(default_factory=StreamingConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)

    @property
    def base_url(self) -> str:
        """The public origin every URL we mint starts with (never taken from a request)."""
        return f"{self.instance.scheme}://{self.instance.domain}"


def load_config(path: str | os.PathLike[str] | None = None,
                env: Mapping[str, str] | None = None) -> Config:
    """Read `path` (or $DREAMFEED_CONFIG, or nothing) and apply DREAMFEED_<SECTION>_<KEY>."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    path = path or env.get("DREAMFEED_CONFIG") or None
    if path is not None:
        raw = _read_toml(Path(path))
    raw = _apply_env(raw, env)
    config = build_config(raw)
    if not config.generator.api_key and env.get("OPENAI_API_KEY"):
        # The name every OpenAI client reads; [generator] api_key wins when both are set.
        config = dataclasses.replace(config, generator=dataclasses.replace(
            config.generator, api_key=env["OPENAI_API_KEY"]))
    config = _media_from_aws_env(config, env)
    return resolve_paths(config, instance_home(Path(path) if path else None, env))


def instance_home(config_path: Path | None, env: Mapping[str, str]) -> Path:
    """Where relative paths in configuration point, the same wherever a command is typed
    (a `user add` typed in another directory once created a second, empty instance there):
    $DREAMFEED_HOME; else the configuration file's directory; else, with built-in defaults,
    the directory holding the virtualenv Dreamfeed runs from (the checkout, for `make run`:
    its `data/`), or $XDG_DATA_HOME/dreamfeed (~/.local/share/dreamfeed) outside one."""
    if env.get(HOME_ENV):
        return Path(env[HOME_ENV]).expanduser().absolute()
    if config_path is not None:
        return config_path.expanduser().absolute().parent
    if sys.prefix != sys.base_prefix:
        return Path(sys.prefix).absolute().parent
    data_home = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home).expanduser().absolute() / "dreamfeed"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL (None for PostgreSQL and in-memory databases)."""
    if not url.startswith(SQLITE_PREFIX):
        return None
    name = url[len(SQLITE_PREFIX):].partition("?")[0]
    if not name or name.startswith((":memory:", "file:")):
        return None
    return Path(name)


def resolve_paths(config: Config, home: Path) -> Config:
    """Make the SQLite file, media.path (and the C2PA files) and
    moderation.blocked_terms_file absolute under
    `home` when they are relative."""
    url = config.database.url
    if url.startswith(SQLITE_PREFIX):
        rest = url[len(SQLITE_PREFIX):]
        if rest and not rest.startswith(("/", ":memory:", "file:", "?")):
            url = SQLITE_PREFIX + str(home / rest)

    def absolute(value: str) -> str:
        return str(home / Path(value).expanduser()) if value else value

    return dataclasses.replace(
        config,
        database=dataclasses.replace(config.database, url=url),
        media=dataclasses.replace(
            config.media, path=absolute(config.media.path),
            c2pa_certificate=absolute(config.media.c2pa_certificate),
            c2pa_private_key=absolute(config.media.c2pa_private_key)),
        moderation=dataclasses.replace(
            config.moderation, blocked_terms_file=absolute(config.moderation.blocked_terms_file)),
    )


# [media] s3_* key -> the environment variable every AWS SDK reads; the key wins when set.
_AWS_ENV = {"s3_endpoint": "AWS_ENDPOINT_URL", "s3_region": "AWS_DEFAULT_REGION",
            "s3_access_key": "AWS_ACCESS_KEY_ID", "s3_secret_key": "AWS_SECRET_ACCESS_KEY"}


def _media_from_aws_env(config: Config, env: Mapping[str, str]) -> Config:
    media = config.media
    found: dict[str, Any] = {key: env[var] for key, var in _AWS_ENV.items()
             if not getattr(media, key) and env.get(var)}
    if not found:
        return config
    return dataclasses.replace(config, media=dataclasses.replace(media, **found))


def build_config(raw: Mapping[str, Any]) -> Config:
    """Turn a nested mapping into a validated Config; every error names its key."""
    sections: dict[str, Any] = {}
    known = {f.name: f for f in dataclasses.fields(Config)}
    for section, values in raw.items():
        if section not in known:
            raise ConfigError(f"unknown section [{section}]")
        if not isinstance(values, Mapping):
            raise ConfigError(f"[{section}] must be a table")
        cls = _section_class(section)
        sections[section] = _build_section(section, cls, values)
    config = Config(**sections)
    return _finish(config)


def _section_class(section: str) -> type[Any]:
    hints = typing.get_type_hints(Config)
    cls: type[Any] = hints[section]
    return cls


def _build_section(section: str, cls: type[Any], values: Mapping[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in hints:
            raise ConfigError(f"unknown key {section}.{key}")
        kwargs[key] = _coerce(f"{section}.{key}", hints[key], value)
    return cls(**kwargs)


def _coerce(name: str, hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{name} must be true or false, not {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{name} must be an integer, not {value!r}")
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{name} must be a number, not {value!r}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{name} must be a string, not {value!r}")
    if origin is tuple:
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ConfigError(f"{name} must be a list of strings, not {value!r}")
    if isinstance(hint, types.UnionType):  # pragma: no cover - no optional keys yet
        return value
    raise ConfigError(f"{name} has an unsupported type")  # pragma: no cover


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None


def _apply_env(raw: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """Overlay DREAMFEED_<SECTION>_<KEY>=value; values are parsed by the key's type."""
    merged = {k: dict(v) if isinstance(v, Mapping) else v for k, v in raw.items()}
    sections = {f.name for f in dataclasses.fields(Config)}
    for var, text in env.items():
        if not var.startswith(ENV_PREFIX) or var in ENV_RESERVED:
            continue
        rest = var[len(ENV_PREFIX):].lower()
        section, _, key = rest.partition("_")
        if section not in sections or not key:
            raise ConfigError(f"unknown setting in environment variable {var}")
        hints = typing.get_type_hints(_section_class(section))
        if key not in hints:
            raise ConfigError(f"unknown key {section}.{key} (from environment variable {var})")
        target = merged.setdefault(section, {})
        if not isinstance(target, dict):
            raise ConfigError(f"[{section}] must be a table")
        target[key] = _parse_env_value(f"{section}.{key} (from {var})", hints[key], text)
    return merged


def _parse_env_value(name: str, hint: Any, text: str) -> Any:
    if hint is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be true or false, not {text!r}")
    if hint is int:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, not {text!r}") from None
    if hint is float:
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {text!r}") from None
    if typing.get_origin(hint) is tuple:
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def is_local_host(host: str) -> bool:
    """True for localhost and loopback literals: the domains that may default to plain http."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_domain(domain: str) -> tuple[str, int | None]:
    """'host:port' -> (host, port); IPv6 literals are bracketed."""
    if domain.startswith("["):
        host, _, rest = domain[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = domain.partition(":")
    return host, (int(port) if port else None)


def _check_media_and_generator(config: Config) -> None:
    for name, url in (("media.base_url", config.media.base_url),
                      ("generator.base_url", config.generator.base_url)):
        if url and not (url.startswith("http://") or url.startswith("https://")):
            raise ConfigError(f"{name} must start with http:// or https://, not {url!r}")
    if config.media.max_pixels < 1 or config.media.max_size < 1:
        raise ConfigError("media.max_pixels and media.max_size must be positive")
    if min(config.media.remote_max_pixels, config.media.profile_max_pixels) < 1:
        raise ConfigError("media.remote_max_pixels and media.profile_max_pixels must be "
                          "positive")
    if config.media.decode_concurrency < 1:
        raise ConfigError("media.decode_concurrency must be at least 1")
    if config.media.backend not in ("disk", "s3"):
        raise ConfigError(f"media.backend must be disk or s3, not {config.media.backend!r}")
    if config.media.backend == "s3" and not config.media.s3_bucket:
        raise ConfigError("media.backend = \"s3\" needs media.s3_bucket")
    endpoint = config.media.s3_endpoint
    if endpoint and not endpoint.startswith(("http://", "https://")):
        raise ConfigError(f"media.s3_endpoint must start with http:// or https://, "
                          f"not {endpoint!r}")
    gen = config.generator
    width, sep, height = gen.size.partition("x")
    if gen.size != "auto" and not (sep and width.isdigit() and height.isdigit()):
        raise ConfigError(f"generator.size must be WIDTHxHEIGHT or auto, not {gen.size!r}")
    if gen.quality not in GENERATOR_QUALITIES:
        raise ConfigError(f"generator.quality must be one of {', '.join(GENERATOR_QUALITIES)}, "
                          f"not {gen.quality!r}")
    if not 0 <= gen.steps <= 100:
        raise ConfigError("generator.steps must be between 0 (by quality) and 100")
    if not 0.0 <= gen.guidance <= 30.0:
        raise ConfigError("generator.guidance must be between 0 and 30")
    if gen.timeout <= 0:
        raise ConfigError("generator.timeout must be positive")
    if gen.daily_limit < 0:
        raise ConfigError("generator.daily_limit must not be negative")
    describe = config.describe
    if describe.base_url and not describe.base_url.startswith(("http://", "https://")):
        raise ConfigError(f"describe.base_url must start with http:// or https://, "
                          f"not {describe.base_url!r}")
    if describe.timeout <= 0:
        raise ConfigError("describe.timeout must be positive")
    if describe.daily_limit < 0:
        raise ConfigError("describe.daily_limit must not be negative")


def _check_moderation_and_limits(config: Config) -> None:
    url = config.moderation.openai_base_url
    if not (url.startswith("http://") or url.startswith("https://")):
        raise ConfigError(f"moderation.openai_base_url must start with http:// or https://, "
                          f"not {url!r}")
    redis_url = config.streaming.redis_url
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"streaming.redis_url must be empty or redis://..., "
                          f"not {redis_url!r}")
    limits = config.ratelimits
    if not limits.storage.startswith(("memory://", "redis://", "rediss://")):
        raise ConfigError(f"ratelimits.storage must be memory:// or redis://..., "
                          f"not {limits.storage!r}")
    for field_ in dataclasses.fields(RateLimitsConfig):
        if field_.name in ("enabled", "storage"):
            continue
        value = getattr(limits, field_.name)
        if not RATE_RE.fullmatch(value.strip()):
            raise ConfigError(f"ratelimits.{field_.name} must look like \"10 per minute\" or "
                              f"\"5/hour\", not {value!r}")


def _finish(config: Config) -> Config:
    """Validate values across keys and fill derived defaults."""
    inst = config.instance
    domain = inst.domain.strip().lower()
    if not domain or "/" in domain or "@" in domain or " " in domain:
        raise ConfigError(f"instance.domain must be a host[:port], not {inst.domain!r}")
    try:
        host, port = split_domain(domain)
    except ValueError:
        raise ConfigError(f"instance.domain has a bad port: {inst.domain!r}") from None
    if not host or (port is not None and not 0 < port < 65536):
        raise ConfigError(f"instance.domain must be a host[:port], not {inst.domain!r}")
    scheme = inst.scheme or ("http" if is_local_host(host) else "https")
    if scheme not in ("http", "https"):
        raise ConfigError(f"instance.scheme must be http or https, not {inst.scheme!r}")
    if inst.default_language and not LANGUAGE_CODE_RE.fullmatch(inst.default_language):
        raise ConfigError("instance.default_language must be a language code such as en or "
                          f"pt-BR, not {inst.default_language!r}")
    if inst.registrations not in REGISTRATION_MODES:
        raise ConfigError(
            f"instance.registrations must be one of {', '.join(REGISTRATION_MODES)}, "
            f"not {inst.registrations!r}")
    if not 0 < config.server.port < 65536:
        raise ConfigError(f"server.port must be between 1 and 65535, not {config.server.port}")
    if config.server.processes < 0:
        raise ConfigError("server.processes must not be negative (0: one per core on "
                          "PostgreSQL, 1 on SQLite)")
    for proxy in config.server.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                f"server.trusted_proxies has {proxy!r}, which is not an address or network"
            ) from None
    url = config.database.url
    if not (url.startswith("sqlite+aiosqlite://") or url.startswith("postgresql+asyncpg://")):
        raise ConfigError(
            "database.url must start with sqlite+aiosqlite:// or postgresql+asyncpg://, "
            f"not {url.split('://')[0]!r}")
    if config.federation.inbox_retention_days < 1:
        raise ConfigError("federation.inbox_retention_days must be at least 1")
    if min(config.federation.context_fetch_cooldown_minutes,
           config.federation.context_fetch_depth, config.federation.context_fetch_max_posts,
           config.federation.context_fetch_max_pages) < 0:
        raise ConfigError("federation.context_fetch_* must not be negative")
    if config.jobs.workers < 0:
        raise ConfigError("jobs.workers must not be negative")
    if config.jobs.lease_seconds < 1:
        raise ConfigError("jobs.lease_seconds must be at least 1")
    if config.logging.level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"logging.level must be DEBUG, INFO, WARNING or ERROR, "
                          f"not {config.logging.level!r}")
    if config.logging.format not in ("text", "json"):
        raise ConfigError(f"logging.format must be text or json, not {config.logging.format!r}")
    _check_media_and_generator(config)
    _check_moderation_and_limits(config)
    return dataclasses.replace(
        config,
        instance=dataclasses.replace(inst, domain=domain, scheme=scheme),
        logging=dataclasses.replace(config.logging, level=config.logging.level.upper()),
    )
