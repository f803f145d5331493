"""How pages and static files travel, over real HTTP: gzip on HTML, CSS, JavaScript and
JSON (never on images or tiny bodies), static files under versioned URLs cached for a year,
the unversioned URL revalidated."""

from __future__ import annotations

import gzip
import re

import aiohttp
import pytest

from tests.federation.conftest import StartInstance

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


async def _raw(session: aiohttp.ClientSession, url: str,
               headers: dict[str, str] | None = None) -> tuple[aiohttp.ClientResponse, bytes]:
    # auto_decompress off: we look at the bytes as they came over the wire.
    async with session.get(url, headers=headers or GZIP) as response:
        return response, await response.read()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_text_is_gzipped_and_static_files_versioned(start: StartInstance) -> None:
    a = await start("a", host="127.0.0.1")
    await a.add_user("alice")
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        page, body = await _raw(session, f"{a.base}/@alice")
        assert page.status == 200 and page.headers["Content-Encoding"] == "gzip"
        html = gzip.decompress(body).decode()
        assert "Accept-Encoding" in page.headers["Vary"]
        assert len(body) < len(html) / 2

        # every static link carries the file's hash; that URL is immutable for a year
        links = re.findall(r'(?:href|src)="(/static/([a-z.]+)\?v=([0-9a-f]{16}))"', html)
        assert {name for _, name, _ in links} >= {"style.css", "app.js"}
        for url, name, _version in links:
            served, data = await _raw(session, a.base + url)
            assert served.status == 200, url
            assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            if name.endswith((".css", ".js")):
                assert served.headers["Content-Encoding"] == "gzip"
                assert served.headers["Vary"] == "Accept-Encoding"
                assert gzip.decompress(data)
        css = next(url for url, name, _ in links if name == "style.css")

        # no hash, or an old one: the current file, revalidated each time (304 unchanged)
        for url in ("/static/style.css", "/static/style.css?v=0000000000000000"):
            served, _ = await _raw(session, a.base + url)
            assert served.headers["Cache-Control"] == "public, no-cache"
            etag = served.headers["ETag"]
            again, again_body = await _raw(session, a.base + url, {"If-None-Match": etag})
            assert again.status == 304 and again_body == b""
        plain, data = await _raw(session, a.base + css, {"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers and b"{" in data
        assert plain.headers["Content-Type"].startswith("text/css")

        # images are not gzipped; JSON is; a tiny body is not
        png, _ = await _raw(session, f"{a.base}/static/avatar.png")
        assert "Content-Encoding" not in png.headers
        api, data = await _raw(session, f"{a.base}/api/v2/instance")
        assert api.headers["Content-Encoding"] == "gzip" and gzip.decompress(data)[:1] == b"{"
        tiny, _ = await _raw(session, f"{a.base}/livez")
        assert "Content-Encoding" not in tiny.headers
        missing, _ = await _raw(session, f"{a.base}/static/nothing.css")
        assert missing.status == 404
        refused, _ = await _raw(session, f"{a.base}/@alice", {"Accept-Encoding": "gzip;q=0"})
        assert "Content-Encoding" not in refused.headers
