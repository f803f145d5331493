"""The safe outgoing HTTP client every server-to-server request goes through.

Remote servers pick the URLs we fetch, so each hop is checked before it is sent: scheme,
no credentials, literal IP hosts against the `AddressPolicy`, and every DNS answer through
`FilteringResolver` (the connector then connects to exactly the addresses that passed, so a
rebinding DNS server cannot swap them afterwards). Redirects are followed here, not by
aiohttp, so each hop is checked and signed for the exact URL sent. Bodies are size-capped and
requests time-boxed; every failure is a `FetchError`, never a raw aiohttp exception.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from activitypub import jsonbody
from activitypub.addresses import AddressPolicy, parse_ip
from activitypub.jsonbody import JSONInputError

__all__ = [
    "BlockedAddressError",
    "ConnectError",
    "FetchError",
    "FetchTimeoutError",
    "FilteringResolver",
    "HttpResponse",
    "InvalidUrlError",
    "ResponseTooLargeError",
    "SafeHttpClient",
    "SignHook",
    "TooManyRedirectsError",
]

MIB = 1024 * 1024
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK_SIZE = 64 * 1024
# WHATWG URL parsing treats a host whose last label is a number as IPv4 ("127.1",
# "0x7f.1", "2130706433"); getaddrinfo agrees. They are never real peers' names.
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)

# Called before every hop (redirects included) with (method, url, headers, body); returns
# headers to add or replace, e.g. Date, Digest and Signature computed for this very URL.
SignHook = Callable[
    [str, str, dict[str, str], bytes | None],
    Awaitable[Mapping[str, str]] | Mapping[str, str],
]


class FetchError(Exception):
    """An outgoing request failed. `retryable` says whether trying later may help."""

    retryable: bool = False

    def __init__(self, message: str, url: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.url = url

    def __str__(self) -> str:
        return f"{self.message} ({self.url})" if self.url else self.message


class InvalidUrlError(FetchError):
    """Malformed URL, a scheme other than http/https, credentials in it, or a numeric host."""


class BlockedAddressError(FetchError):
    """The host is, or resolves only to, addresses the `AddressPolicy` refuses."""


class TooManyRedirectsError(FetchError):
    """More redirects than `max_redirects`."""


class ResponseTooLargeError(FetchError):
    """The response body exceeds `max_response_size`."""


class FetchTimeoutError(FetchError):
    """The request did not complete within the timeout."""

    retryable = True


class ConnectError(FetchError):
    """DNS failure, connection refused or reset, malformed HTTP from the peer."""

    retryable = True


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    url: str  # after redirects

    def json(self) -> Any:
        try:
            return jsonbody.loads(self.body)
        except JSONInputError as exc:
            raise FetchError(f"response body is not valid JSON: {exc}", self.url) from exc


class FilteringResolver(AbstractResolver):
    """Resolves through `inner`, then drops the addresses `policy` refuses.

    Raises `BlockedAddressError` when nothing is left. Must be created inside a running
    loop when `inner` is None (aiohttp's default resolver binds to it); it then owns and
    closes that default resolver, while a resolver passed in stays the caller's to close.
    """

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._owns_inner = inner is None
        self._inner: AbstractResolver = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family=family)
        if not results:
            # An OSError, so aiohttp reports it like any other DNS failure.
            raise OSError(None, f"no addresses for {host}")
        allowed = [r for r in results if self._policy.is_allowed(r["host"])]
        if not allowed:
            refused = ", ".join(sorted({r["host"] for r in results}))
            # Not an OSError: aiohttp lets it through unwrapped, so callers see the cause.
            raise BlockedAddressError(f"{host} resolves only to refused addresses ({refused})")
        return allowed

    async def close(self) -> None:
        if self._owns_inner:
            await self._inner.close()


class SafeHttpClient:
    """One shared aiohttp session for all server-to-server traffic, checked at every hop.

    Use `async with SafeHttpClient(...)`, or `await start()` / `await close()`; the session is
    also created on first use inside a running loop. `resolver` is the inner DNS resolver
    (tests map names to loopback with one); the policy filters whatever it answers.
    """

    def __init__(
        self,
        user_agent: str,
        *,
        policy: AddressPolicy,
        timeout: float = 20,
        max_response_size: int = 5 * MIB,
        max_redirects: int = 3,
        resolver: AbstractResolver | None = None,
        limit: int = 100,
        limit_per_host: int = 8,
        ttl_dns_cache: int = 300,
    ) -> None:
        self.user_agent = user_agent
        self.policy = policy
        self.timeout = timeout
        self.max_response_size = max_response_size
        self.max_redirects = max_redirects
        self._inner_resolver = resolver
        self._limits = (limit, limit_per_host, ttl_dns_cache)
        self._client_timeout = aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 10))
        self._session: aiohttp.ClientSession | None = None
        self._resolver: FilteringResolver | None = None
        self._closed = False

    async def start(self) -> None:
        self._ensure_session()

    async def close(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()  # closes the connector too
            self._session = None
        if self._resolver is not None:
            await self._resolver.close()
            self._resolver = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        _exc_type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _ensure_session(self) -> aiohttp.ClientSession:
        # No await in here, so concurrent first requests cannot create two sessions.
        if self._closed:
            raise RuntimeError("SafeHttpClient is closed")
        if self._session is None:
            limit, limit_per_host, ttl_dns_cache = self._limits
            self._resolver = FilteringResolver(self.policy, self._inner_resolver)
            connector = aiohttp.TCPConnector(
                resolver=self._resolver,
                limit=limit,
                limit_per_host=limit_per_host,
                ttl_dns_cache=ttl_dns_cache,  # caches only answers that passed the filter
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # No cookies between servers; no proxy from the environment, as a proxy
                # would resolve and connect for us, past the filter.
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
            )
        return self._session

    async def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        sign: SignHook | None = None,
        max_size: int | None = None,
    ) -> HttpResponse:
        return await self.request("GET", url, headers=headers, sign=sign, max_size=max_size)

    async def post(
        self,
        url: str,
        data: bytes,
        *,
        headers: Mapping[str, str] | None = None,
        sign: SignHook | None = None,
    ) -> HttpResponse:
        return await self.request("POST", url, headers=headers, data=data, sign=sign)

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        data: bytes | None = None,
        sign: SignHook | None = None,
        max_size: int | None = None,
    ) -> HttpResponse:
        """Send the request, following up to `max_redirects` redirects.

        Any status is returned as a response; only failures to get one raise `FetchError`.
        `sign`, if given, is called before each hop and its headers are sent with it.
        `max_size` replaces `max_response_size` for this request (e.g. media files).
        """
        session = self._ensure_session()
        target = self._check_url(url, url)
        base: CIMultiDict[str] = CIMultiDict({"User-Agent": self.user_agent})
        if headers:
            base.update(headers)
        try:
            # Bounds the whole chain, hooks included; ClientTimeout also bounds each hop.
            async with asyncio.timeout(self.timeout):
                return await self._follow(session, method.upper(), target, base, data, sign,
                                          max_size or self.max_response_size)
        except TimeoutError as exc:
            raise FetchTimeoutError(f"timed out after {self.timeout}s", url) from exc

    async def _follow(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: URL,
        headers: CIMultiDict[str],
        body: bytes | None,
        sign: SignHook | None,
        max_size: int,
    ) -> HttpResponse:
        for hop in range(self.max_redirects + 1):
            sent = await _signed_headers(sign, method, str(url), headers, body)
            status, location, response = await self._send(session, method, url, sent, body,
                                                       max_size)
            if response is not None:
                return response
            if hop == self.max_redirects:
                break
            assert location is not None
            next_url = self._check_url(_join(url, location), str(url))
            if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
                method, body = "GET", None  # as browsers do; the body headers go with the body
                for name in [n for n in headers if _is_body_header(n)]:
                    del headers[name]
            if next_url.origin() != url.origin():
                # Credentials the caller meant for one origin must not follow to another.
                headers.popall("Authorization", None)
                headers.popall("Cookie", None)
            url = next_url
        raise TooManyRedirectsError(f"more than {self.max_redirects} redirects", str(url))

    async def _send(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: URL,
        headers: CIMultiDict[str],
        body: bytes | None,
        max_size: int,
    ) -> tuple[int, str | None, HttpResponse | None]:
        """One hop: (status, redirect location, None) or (status, None, final response)."""
        url_text = str(url)
        try:
            async with session.request(
                method,
                url,
                headers=headers,
                data=body,
                allow_redirects=False,
                timeout=self._client_timeout,
            ) as resp:
                location = resp.headers.get("Location")
                if resp.status in _REDIRECT_STATUSES and location:
                    return resp.status, location, None
                # HEAD, 204 and 304 have no body, whatever Content-Length announces.
                bodiless = method == "HEAD" or resp.status in (204, 304)
                content = b"" if bodiless else await self._read_body(resp, url_text, max_size)
                return resp.status, None, HttpResponse(resp.status, resp.headers, content, url_text)
        except FetchError as exc:
            if exc.url:
                raise
            # The resolver's error knows the host only; the same object may be shared by
            # concurrent lookups, so raise a fresh one with this URL.
            raise type(exc)(exc.message, url_text) from exc
        except TimeoutError as exc:  # before ClientError: ServerTimeoutError is both
            raise FetchTimeoutError(f"timed out after {self.timeout}s", url_text) from exc
        except aiohttp.InvalidURL as exc:
            raise InvalidUrlError(f"invalid URL: {exc}", url_text) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise ConnectError(f"{type(exc).__name__}: {exc}", url_text) from exc

    async def _read_body(self, resp: aiohttp.ClientResponse, url: str, limit: int) -> bytes:
        too_large = f"response body larger than {limit} bytes"
        if resp.content_length is not None and resp.content_length > limit:
            resp.close()
            raise ResponseTooLargeError(too_large, url)
        chunks: list[bytes] = []
        size = 0
        # Counts decompressed bytes, so a small gzip bomb is capped too.
        async for chunk in resp.content.iter_chunked(_CHUNK_SIZE):
            size += len(chunk)
            if size > limit:
                resp.close()  # drop the connection rather than drain the rest
                raise ResponseTooLargeError(too_large, url)
            chunks.append(chunk)
        return b"".join(chunks)

    def _check_url(self, url: str | URL, context: str) -> URL:
        """The URL to send, or raise if it may not be fetched. `context` names it in errors."""
        try:
            parsed = url if isinstance(url, URL) else URL(url)
        except (ValueError, TypeError) as exc:
            raise InvalidUrlError(f"invalid URL: {exc}", context) from exc
        text = str(parsed)
        if parsed.scheme not in ("http", "https"):
            raise InvalidUrlError(f"scheme {parsed.scheme!r} is not allowed", text)
        if parsed.user is not None or parsed.password is not None:
            raise InvalidUrlError("credentials in the URL are not allowed", text)
        host = parsed.host
        if not host:
            raise InvalidUrlError("URL has no host", text)
        # aiohttp skips the resolver for literal IPs, so they are judged here.
        ip = parse_ip(host)
        if ip is not None:
            if not self.policy.is_allowed(ip):
                raise BlockedAddressError(f"address {host} is not allowed", text)
        elif _NUMERIC_LABEL.fullmatch(host.rstrip(".").rsplit(".", 1)[-1]):
            raise InvalidUrlError(f"numeric host {host!r} is not a canonical IP address", text)
        return parsed.with_fragment(None)


def _join(base: URL, location: str) -> URL:
    try:
        return base.join(URL(location))
    except (ValueError, TypeError) as exc:
        raise InvalidUrlError(f"invalid redirect location {location!r}: {exc}", str(base)) from exc


def _is_body_header(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("content-") or lowered == "digest"


async def _signed_headers(
    sign: SignHook | None, method: str, url: str, headers: CIMultiDict[str], body: bytes | None
) -> CIMultiDict[str]:
    sent = CIMultiDict(headers)
    if sign is not None:
        extra = sign(method, url, dict(sent), body)
        if inspect.isawaitable(extra):
            extra = await extra
        sent.update(extra)
    return sent
