"""Peak memory of a real `dreamfeed serve` process under hostile images, beside the cost of
decoding the same image once in a bare Python process, in the same run.

    .venv/bin/python bench/media_memory.py [--gets 12] [--uploads 8] [--keep]

The payload is tests/data/hostile/png-5760x5760-rgba-decode-bomb.png: 144 KB on disk, under
`[media] max_pixels` (33,177,600), about 130 MB per copy once decoded (RGBA). Then the same
work with the largest image each kind accepts (`[media] remote_max_pixels` and
`profile_max_pixels`, RGBA), which must be decoded: the decode slots bound what it costs.

How: a fake remote server (an aiohttp app on 127.0.0.1 in this process) serves the image. A
temporary instance (SQLite, in-process workers and generator) gets, before it starts, a
remote account with a followers-only post carrying that image (not cached yet) and
`--uploads` local users. Then, with the server running as its own process:

- gets: `--gets` concurrent anonymous GETs of the post's cached-image URL (what a page full
  of visitors does the moment the post arrives), then waiting until the caching job ends.
- uploads: `--uploads` signed-in users each POST the image as their avatar at once.

Figures: the server's RSS when idle, its peak during each phase (VmRSS sampled every 5 ms,
and VmHWM, reset between phases through /proc/PID/clear_refs) and its RSS after; the ceiling
is "idle + one bare decode", what a single visitor alone could cost. Goal: peak < 400 MB.
Figures, not assertions; Linux only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web
from benchserve import dreamfeed, free_port, status_kb, wait_until_up
from PIL import Image

from server.config import build_config
from server.services.accounts.users import create_local_user
from server.services.federation.remote_media import remote_media_url
from storage.database import Database
from storage.models import Account, RemoteMedia, Status

ROOT = Path(__file__).resolve().parent.parent
BOMB = ROOT / "tests/data/hostile/png-5760x5760-rgba-decode-bomb.png"
PASSPHRASE = "correct horse battery"  # noqa: S105 (the bench users' own)
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
MB = 1024 * 1024


def rgba_png(side: int) -> bytes:
    """A compressible RGBA PNG of side x side (gradients): small file, full-size decode."""
    ramp = Image.linear_gradient("L").resize((side, side))
    image = Image.merge("RGBA", (ramp, ramp.transpose(Image.Transpose.ROTATE_90), ramp,
                                 ramp.transpose(Image.Transpose.FLIP_TOP_BOTTOM)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


# --- the server's memory -----------------------------------------------------------------


class Sampler:
    """Peak VmRSS of a process, sampled in a thread, and VmHWM reset at each start."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with contextlib.suppress(OSError):  # "5" resets VmHWM to the current RSS (Linux 4+)
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        self.peak_kb, self._stop = status_kb(self.pid, "VmRSS"), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak_kb = max(self.peak_kb, status_kb(self.pid, "VmRSS"))

    def stop(self) -> int:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return max(self.peak_kb, status_kb(self.pid, "VmHWM"))


def bare_decode_peak(data: bytes) -> tuple[int, float]:
    """Peak RSS (MB) of a fresh Python process that only decodes `data`, and its seconds."""
    code = ("import sys, io, time, resource\nfrom PIL import Image\n"
            "Image.MAX_IMAGE_PIXELS = None\ndata = sys.stdin.buffer.read()\n"
            "start = time.perf_counter()\nImage.open(io.BytesIO(data)).load()\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
            " time.perf_counter() - start)\n")
    out = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True,
                         check=True).stdout.split()
    return int(out[0]) // 1024, float(out[1])


# --- the instance ------------------------------------------------------------------------


def write_config(tmp: Path, port: int) -> Path:
    limits = "\n".join(f'{name} = "100000 per minute"' for name in
                       ("signup", "login", "generation", "posting", "inbox", "fetch",
                        "lookup"))
    path = tmp / "dreamfeed.toml"
    path.write_text(f"""
[instance]
domain = "127.0.0.1:{port}"
scheme = "http"
[database]
url = "sqlite+aiosqlite:///{tmp / 'bench.db'}"
[media]
path = "{tmp / 'media'}"
[federation]
allow_private_addresses = true
[jobs]
poll_interval = 0.05
[ratelimits]
{limits}
""")
    return path


async def seed(config_path: Path, remote: str, users: int, image_path: str) -> str:
    """The remote post (followers-only, its image not cached) and the local users; returns
    the path of the post's cached-image URL."""
    if dreamfeed(config_path, "db", "upgrade", stdout=subprocess.DEVNULL).wait() != 0:
        raise SystemExit("dreamfeed db upgrade failed")
    config = build_config(tomllib.loads(await asyncio.to_thread(config_path.read_text)))
    db = Database(config.database.url)
    try:
        for n in range(users):
            await create_local_user(db.writer, config, username=f"user{n}", password=PASSPHRASE)
        async with db.writer.begin() as session:
            account = Account(username="carol", domain=remote.split("//")[1],
                              uri=f"{remote}/users/carol", inbox_url=f"{remote}/inbox")
            session.add(account)
            await session.flush()
            status = Status(uri=f"{remote}/statuses/1", account_id=account.id, local=False,
                            visibility="private", content="<p>hello</p>")
            session.add(status)
            await session.flush()
            media = RemoteMedia(status_id=status.id, url=remote + image_path)
            session.add(media)
            await session.flush()
            return remote_media_url(config, media).removeprefix(config.base_url)
    finally:
        await db.dispose()


async def fake_remote(payloads: dict[str, bytes]) -> tuple[web.AppRunner, str]:
    async def serve(request: web.Request) -> web.Response:
        return web.Response(body=payloads[request.match_info["name"]],
                            content_type="image/png")
    app = web.Application()
    app.router.add_get("/media/{name}", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


# --- the work ----------------------------------------------------------------------------


async def fire_gets(base: str, path: str, count: int) -> list[int]:
    async with aiohttp.ClientSession() as session:
        async def one() -> int:
            async with session.get(base + path) as response:
                await response.read()
                return response.status
        return list(await asyncio.gather(*(one() for _ in range(count))))


async def signed_in(base: str, username: str) -> tuple[aiohttp.ClientSession, str]:
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.get(base + "/auth/sign_in") as response:
        token = CSRF_RE.search(await response.text())
    assert token, "no CSRF token on the sign-in page"
    async with session.post(base + "/auth/sign_in", allow_redirects=False, data={
            "login": username, "password": PASSPHRASE, "csrf_token": token.group(1)}) as response:
        assert response.status == 303, f"sign-in failed: {response.status}"
    async with session.get(base + "/settings/profile") as response:
        token = CSRF_RE.search(await response.text())
    assert token, "no CSRF token on the profile page"
    return session, token.group(1)


async def fire_uploads(sessions: list[tuple[aiohttp.ClientSession, str]], base: str,
                       image: bytes) -> list[int]:
    async def one(session: aiohttp.ClientSession, token: str) -> int:
        form = aiohttp.FormData()
        form.add_field("csrf_token", token)
        form.add_field("avatar", image, filename="avatar.png", content_type="image/png")
        async with session.post(base + "/settings/profile", data=form,
                                allow_redirects=False) as response:
            await response.read()
            return response.status
    return list(await asyncio.gather(*(one(s, t) for s, t in sessions)))


async def measured(label: str, sampler: Sampler,
                   work: Callable[[], Awaitable[list[int]]]) -> int:
    sampler.start()
    started = time.perf_counter()
    statuses = await work()
    await asyncio.sleep(0.5)  # the caching job (in-process worker) picks up what was queued
    seconds = time.perf_counter() - started
    peak = sampler.stop() // 1024
    answers = ", ".join(f"{statuses.count(s)}x{s}" for s in sorted(set(statuses)))
    print(f"  {label:<44} peak {peak:>5} MB   {seconds:5.1f} s   answers {answers}")
    return peak


async def run_phase(title: str, image: bytes, args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="media-memory-"))
    remote_runner, remote = await fake_remote({"image.png": image})
    port = free_port()
    config = write_config(tmp, port)
    base = f"http://127.0.0.1:{port}"
    server: subprocess.Popen[bytes] | None = None
    try:
        path = await seed(config, remote, args.uploads, "/media/image.png")
        # One web process: its RSS is what this bench reads (PostgreSQL would start one per core).
        server = dreamfeed(config, "serve", "--host", "127.0.0.1", "--port", str(port),
                           "--processes", "1", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await wait_until_up(base, server)
        await asyncio.sleep(1.0)
        idle = status_kb(server.pid, "VmRSS") // 1024
        bare, seconds = bare_decode_peak(image)
        print(f"{title} ({len(image) // 1024} KB file)")
        print(f"  {'server idle':<44} rss  {idle:>5} MB")
        print(f"  {'ceiling: idle + one bare decode':<44} ~    {idle + bare:>5} MB"
              f"   (bare process peak {bare} MB, decode {seconds:.1f} s)")
        sampler = Sampler(server.pid)
        peaks = [await measured(f"{args.gets} concurrent GETs of the uncached image",
                                sampler, lambda: fire_gets(base, path, args.gets))]
        # Signed in first: password hashing is not what is measured.
        sessions = [await signed_in(base, f"user{n}") for n in range(args.uploads)]
        try:
            peaks.append(await measured(f"{args.uploads} concurrent avatar uploads", sampler,
                                        lambda: fire_uploads(sessions, base, image)))
        finally:
            for session, _ in sessions:
                await session.close()
        after = status_kb(server.pid, "VmRSS") // 1024
        print(f"  {'server after':<44} rss  {after:>5} MB   "
              f"(whole-run peak {status_kb(server.pid, 'VmHWM') // 1024} MB since last reset)")
        return max(peaks)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        await remote_runner.cleanup()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


async def main(args: argparse.Namespace) -> None:
    from server.config import MediaConfig
    media = MediaConfig()
    # The largest image each kind accepts: it gets decoded, under the decode slots.
    largest: dict[int, str] = {}
    for label, pixels in (("remote image", media.remote_max_pixels),
                          ("avatar", media.profile_max_pixels)):
        largest[pixels] = f"{largest[pixels]} and {label}" if pixels in largest else label
    worst = await run_phase("5760x5760 RGBA PNG (33.2 Mpx, under max_pixels)",
                            BOMB.read_bytes(), args)
    for pixels, kinds in largest.items():
        label = f"largest accepted {kinds}"
        if pixels:
            side = int(pixels ** 0.5)
            worst = max(worst, await run_phase(f"{side}x{side} RGBA PNG ({label})",
                                               rgba_png(side), args))
    verdict = "under" if worst < 400 else "OVER"
    print(f"worst peak {worst} MB: {verdict} the 400 MB goal "
          f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gets", type=int, default=12)
    parser.add_argument("--uploads", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    asyncio.run(main(parser.parse_args()))
