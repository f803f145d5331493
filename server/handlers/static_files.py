"""/static/: the app's CSS, scripts and images, read once at start with a content hash each.

Pages link `static_url("app.js")` = `/static/app.js?v=<hash>`: that URL never changes
content, so it is cached for a year (`immutable`), and a deploy that changes a file changes
its URL, so nobody is served a stale stylesheet or script. A request without the current
hash (an old page, a hand-typed URL, the default avatar federated by URL) is answered the
current file with `no-cache` and an ETag: revalidated every time, 304 when unchanged.
Text files are gzipped once here, not per request."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2
from aiohttp import web

from server.compression import COMPRESSIBLE, MIN_SIZE, accepts_gzip

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
_FILES = web.AppKey("static_files", dict)


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    gzipped: bytes | None  # None: not worth compressing (images, tiny files)
    content_type: str
    version: str  # the first 16 hex digits of its SHA-256

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def load(directory: Path) -> dict[str, StaticFile]:
    files: dict[str, StaticFile] = {}
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        body = path.read_bytes()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type == "application/javascript":
            content_type = "text/javascript"  # RFC 9239
        packed = gzip.compress(body, 9, mtime=0) \
            if content_type in COMPRESSIBLE and len(body) >= MIN_SIZE else None
        files[path.name] = StaticFile(body, packed if packed and len(packed) < len(body)
                                      else None, content_type,
                                      hashlib.sha256(body).hexdigest()[:16])
    return files


def url_function(files: dict[str, StaticFile]) -> Callable[[str], str]:
    def static_url(name: str) -> str:
        found = files.get(name)
        if found is None:
            raise ValueError(f"no static file {name!r}")  # a typo in a template: fail loudly
        return f"/static/{name}?v={found.version}"
    return static_url


async def serve(request: web.Request) -> web.StreamResponse:
    found = request.app[_FILES].get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound(text="no such file")
    cache = IMMUTABLE if request.query.get("v") == found.version else REVALIDATE
    headers = {"Cache-Control": cache, "ETag": found.etag}
    if found.gzipped is not None:
        headers["Vary"] = "Accept-Encoding"
    inm = request.headers.get("If-None-Match", "")
    if found.etag in (tag.strip().removeprefix("W/") for tag in inm.split(",")):
        return web.Response(status=304, headers=headers)
    body = found.body
    if found.gzipped is not None and accepts_gzip(request.headers.get("Accept-Encoding", "")):
        body = found.gzipped
        headers["Content-Encoding"] = "gzip"
    text = found.content_type.startswith("text/") or found.content_type.endswith(("+xml", "json"))
    return web.Response(body=body, content_type=found.content_type, headers=headers,
                        charset="utf-8" if text else None)


def setup(app: web.Application, directory: Path, env: jinja2.Environment) -> None:
    """Serve `directory` at /static/ and give templates `static_url(name)`."""
    files = load(directory)
    app[_FILES] = files
    env.globals["static_url"] = url_function(files)
    app.router.add_get("/static/{name}", serve, name="static")
