"""gzip for text responses (HTML, CSS, JavaScript, JSON and ActivityPub JSON), in one
middleware: pages shrink to a fifth of their size on the wire. Media are already compressed
and tiny bodies are not worth it; a streamed response (proxied media, EventSource) has sent
its headers before we see it, and static files carry their own precompressed copy
(server/handlers/static_files.py)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

# Below this a gzip header and a round of CPU cost more than the bytes they save.
MIN_SIZE = 1024
COMPRESSIBLE = frozenset({
    "text/html", "text/css", "text/plain", "text/javascript", "application/javascript",
    "application/json", "application/activity+json", "application/ld+json",
    "application/jrd+json", "application/xrd+xml", "application/manifest+json",
    "image/svg+xml"})


def accepts_gzip(header: str) -> bool:
    """Whether Accept-Encoding lists gzip (or *) without refusing it with q=0."""
    for item in header.lower().split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip() in ("gzip", "x-gzip", "*"):
            quality = params.strip().removeprefix("q=")
            return not params or quality.strip() not in ("0", "0.0", "0.00", "0.000")
    return False


def add_vary(response: web.StreamResponse, name: str) -> None:
    vary = response.headers.get("Vary", "")
    if name.lower() not in (v.strip().lower() for v in vary.split(",")):
        response.headers["Vary"] = f"{vary}, {name}" if vary else name


def compressible(response: web.StreamResponse) -> bool:
    # The cheapest tests first: most API and discovery answers are under MIN_SIZE.
    if not isinstance(response, web.Response) or response.prepared:
        return False
    body = response.body
    return (isinstance(body, bytes) and len(body) >= MIN_SIZE
            and response.status not in (204, 304)
            and response.content_type in COMPRESSIBLE
            and "Content-Encoding" not in response.headers)


@web.middleware
async def compress_text(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if not compressible(response):
        return response
    add_vary(response, "Accept-Encoding")
    if request.method != "HEAD" and accepts_gzip(request.headers.get("Accept-Encoding", "")):
        # The gzipped body is another representation: a strong validator becomes weak
        # (If-None-Match compares weakly, so 304s still answer).
        etag = response.headers.get("ETag")
        if etag and not etag.startswith("W/"):
            response.headers["ETag"] = f"W/{etag}"
        response.enable_compression(web.ContentCoding.gzip)
    return response
