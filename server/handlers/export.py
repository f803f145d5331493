"""`GET /settings/export`: the signed-in user downloads their archive (a zip, see
server.services.accounts.account_export). Built into a private temporary file, streamed out in
chunks, and removed once sent."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from aiohttp import web

from server import appkeys
from server.handlers.errors import status_for
from server.handlers.session import require_user
from server.services.accounts import account_export
from server.services.errors import ServiceError
from storage.types import utcnow

CHUNK = 256 * 1024


async def download_archive(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    workdir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="dreamfeed-export-"))
    try:
        archive = workdir / "archive.zip"
        try:
            size = await account_export.write_archive(
                request.app[appkeys.SERVICES], request.app[appkeys.SERVICES].media,
                user.username, archive)
        except ServiceError as exc:
            return web.Response(status=status_for(exc), text=str(exc))
        filename = f"dreamfeed-{user.username}-{utcnow():%Y%m%d%H%M%S}.zip"
        response = web.StreamResponse(headers={
            "Content-Type": "application/zip",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Length": str(size),
            "Cache-Control": "private, no-store",
        })
        await response.prepare(request)
        source: BinaryIO = await asyncio.to_thread(archive.open, "rb")
        try:
            while chunk := await asyncio.to_thread(source.read, CHUNK):
                await response.write(chunk)
        finally:
            await asyncio.to_thread(source.close)
        await response.write_eof()
        return response
    finally:
        await asyncio.to_thread(shutil.rmtree, workdir, True)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/settings/export", download_archive, name="settings_export")
