"""Page figures of the web app in a real browser, beside the same page's HTML alone.

    .venv/bin/python bench/pages.py [--runs 3] [--database URL] [--screenshots DIR]

Seeds a small instance (alice, bob and carol; posts with 1 to 4 images drawn by the embedded
generator at the composer's sizes, square, landscape and portrait; bob follows alice and
carol), starts a real `dreamfeed serve` on loopback, and loads the landing page (signed out),
home, compose (signed in as bob), alice's profile and one of her posts in Debian's Chromium
(/usr/bin/chromium, through Playwright, headless) at desktop (1280x900) and phone (390x844)
widths. For each it prints the median of --runs loads of:

- cold: a fresh browser context (empty cache);
- warm: the same page visited again in that context (cache filled);
- HTML: the same page with its static files and media (/static/, /media/) refused, the
  ceiling: what the server's HTML alone weighs and costs, so the rest is what the page's CSS,
  JS and images add (its "all" requests are what the document asked for, the refused ones
  included; with no CSS, lazy images are all in view and asked for too; "over the network"
  above 1 would be a subresource from elsewhere).

Figures: bytes transferred (Resource Timing's transferSize: headers and the body as sent,
gzip included; 0 for a cache hit, and logged-out pages are cached for 15 s, so their
warm visit may send nothing) and decoded (decodedBodySize), requests (over the network /
all, cache hits included), largest contentful paint (PerformanceObserver
'largest-contentful-paint', and its element), DOMContentLoaded and load, all in ms from
navigation start, beside the in-load ceiling "HTML ms": when the document's last byte arrived
(the navigation's responseEnd; nothing of the page can be shown before its HTML is in, and it
is measured in the same load, so the machine's noise falls on both alike). Loopback, so no
network latency: a page's figures are its weight and the browser's and server's work on this
(shared, noisy) machine. The HTML row's times come from separate loads and are noisier.
Figures, not assertions. With --screenshots DIR it also saves each page (and search,
notifications and settings) at both widths in light and dark as DIR/<page>-<width>-<scheme>.png,
to be looked at; --runs 0 takes the screenshots alone.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchapp import loopback_app
from benchdb import database
from benchserve import free_port, serving
from playwright.async_api import Browser, BrowserContext, async_playwright

from server import appkeys
from server.services.accounts.users import create_local_user
from server.services.context import Services
from server.services.generation import generate
from server.services.social.follows import follow
from server.services.statuses.posts import NewStatus, create_status

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "bench password"  # noqa: S105 - a throwaway instance's users
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SIZES = ("1024x1024", "1536x1024", "1024x1536")

# Read once the page has loaded: the navigation and resource entries, and the last LCP
# candidate (buffered, so the entries from before this script ran are delivered too).
METRICS_JS = """
async () => {
  const lcp = await new Promise(resolve => {
    let last = null;
    new PerformanceObserver(list => { for (const e of list.getEntries()) last = e; })
      .observe({type: 'largest-contentful-paint', buffered: true});
    setTimeout(() => resolve(last), 100);
  });
  const nav = performance.getEntriesByType('navigation')[0];
  const entries = [nav, ...performance.getEntriesByType('resource')];
  const el = lcp && lcp.element;
  return {
    transferred: entries.reduce((sum, e) => sum + e.transferSize, 0),
    decoded: entries.reduce((sum, e) => sum + e.decodedBodySize, 0),
    requests: entries.length,
    network: entries.filter(e => e.transferSize > 0).length,
    lcp: lcp ? lcp.startTime : 0,
    lcp_element: el ? el.tagName.toLowerCase() + (el.className ? '.' +
      String(el.className).split(' ')[0] : '') : (lcp ? '(removed)' : '-'),
    html: nav.responseEnd,
    dcl: nav.domContentLoadedEventEnd,
    load: nav.loadEventEnd,
  };
}
"""


@dataclass
class Load:
    """One page load's figures (bytes, counts, milliseconds from navigation start)."""

    transferred: int
    decoded: int
    requests: int
    network: int
    lcp: float
    lcp_element: str
    html: float
    dcl: float
    load: float


async def images(services: Services, pool: Any, account_id: int, prompt: str,
                 count: int, size: str) -> list[int]:
    """`count` images made through the real generation pipeline (the embedded engine)."""
    view = await generate.request_generation(services, account_id, prompt, size=size, n=count)
    await pool.run_until_empty()
    done = await generate.get_generation(services, view.id)
    return [media.id for media in done.media]


async def seed(url: str, tmp: Path, port: int) -> tuple[str, str]:
    """The instance's data, written by the app in this process on the port the server will
    use (its domain is 127.0.0.1:PORT); the domain and alice's newest post's path."""
    async with loopback_app(url, tmp, port=port) as (app, _):
        services: Services = app[appkeys.SERVICES]
        pool = app[appkeys.WORKER_POOL]
        domain = services.config.instance.domain
        ids = {}
        for name in ("alice", "bob", "carol"):
            user = await create_local_user(services.db.writer, services.config, username=name,
                                           password=PASSWORD)
            ids[name] = user.account_id
        prompts = ("snowy mountains over a lake at dawn", "a violet nebula around a planet",
                   "a lighthouse on a cliff at dusk", "blue and gold marble swirl")
        path = ""
        for n, (name, prompt) in enumerate(
                [("carol", p) for p in prompts[:3]] + [("alice", p) for p in prompts]):
            media = await images(services, pool, ids[name], prompt, n % 4 + 1, SIZES[n % 3])
            view = await create_status(services, name, NewStatus(
                media_ids=media, caption=f"{prompt.capitalize()} #bench",
                alt_texts=[prompt] * len(media)))
            path = f"/@{name}/{view.id}"
        for target in ("alice", "carol"):
            await follow(services, "bob", f"{target}@{domain}")
        await follow(services, "carol", f"alice@{domain}")
    return domain, path


async def measure(context: BrowserContext, url: str) -> tuple[Load, Load]:
    """A cold load of `url` in a fresh context, then a warm visit to it in the same one."""
    page = await context.new_page()
    loads = []
    for _ in range(2):
        await page.goto(url, wait_until="load")
        # Late work (lazy images coming into view, load handlers) before reading.
        await page.wait_for_timeout(300)
        loads.append(Load(**await page.evaluate(METRICS_JS)))
        await page.goto("about:blank")
    await page.close()
    return loads[0], loads[1]


async def html_alone(context: BrowserContext, base: str, path: str) -> Load:
    """The ceiling: the page with its static files and media refused, by the browser itself
    (DevTools' blocked URLs: no round trip to this script per request, as routing has)."""
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.setBlockedURLs",
                   {"urls": [f"{base}/static/*", f"{base}/media/*"]})
    await page.goto(base + path, wait_until="load")
    await page.wait_for_timeout(300)
    load = Load(**await page.evaluate(METRICS_JS))
    await page.close()
    return load


def median(loads: Sequence[Load]) -> Load:
    """Each figure's median over the runs (the element of the median LCP)."""
    def mid(values: Sequence[float]) -> float:
        return statistics.median(values)

    middle = sorted(loads, key=lambda x: x.lcp)[len(loads) // 2]
    return Load(transferred=round(mid([x.transferred for x in loads])),
                decoded=round(mid([x.decoded for x in loads])),
                requests=round(mid([x.requests for x in loads])),
                network=round(mid([x.network for x in loads])),
                lcp=mid([x.lcp for x in loads]), lcp_element=middle.lcp_element,
                html=mid([x.html for x in loads]), dcl=mid([x.dcl for x in loads]),
                load=mid([x.load for x in loads]))


def row(label: str, load: Load) -> str:
    return (f"  {label:6s} {load.transferred / 1024:9.1f} {load.decoded / 1024:9.1f} "
            f"{load.network:4d}/{load.requests:<4d} {load.html:7.0f} {load.lcp:7.0f} "
            f"{load.dcl:7.0f} {load.load:7.0f}   {load.lcp_element}")


async def signed_in_state(browser: Browser, base: str, login: str) -> Any:
    """The cookies of `login` signed in through the sign-in form."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{base}/auth/sign_in")
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", PASSWORD)
    async with page.expect_navigation():
        await page.click("form[action='/auth/sign_in'] button[type=submit]")
    if "/auth/sign_in" in page.url:
        raise SystemExit(f"signing in as {login} failed")
    state = await context.storage_state()
    await context.close()
    return state


async def screenshots(browser: Browser, base: str, pages: dict[str, tuple[str, Any]],
                      out: Path) -> None:
    """Full-page pictures of each page at each width in light and dark (`out` exists)."""
    for name, (path, state) in pages.items():
        for width, viewport in VIEWPORTS.items():
            for scheme in ("light", "dark"):
                context = await browser.new_context(viewport=viewport, storage_state=state,
                                                    color_scheme=scheme)
                page = await context.new_page()
                await page.goto(base + path, wait_until="load")
                await page.wait_for_timeout(300)
                await page.screenshot(path=str(out / f"{name}-{width}-{scheme}.png"),
                                      full_page=True)
                await context.close()
    print(f"screenshots: {len(pages) * len(VIEWPORTS) * 2} in {out}")


async def run(database_url: str | None, runs: int, shots: Path | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with database(database_url, Path(tmp)) as url:
            port = free_port()
            domain, post_path = await seed(url, Path(tmp), port)
            env = {"DREAMFEED_DATABASE_URL": url, "DREAMFEED_INSTANCE_DOMAIN": domain,
                   "DREAMFEED_INSTANCE_SCHEME": "http", "DREAMFEED_INSTANCE_NAME": "Bench",
                   "DREAMFEED_MEDIA_PATH": str(Path(tmp) / "media"),
                   "DREAMFEED_RATELIMITS_ENABLED": "false"}
            async with serving(env, port, 1, Path(tmp) / "serve.log"), \
                    async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
                base = f"http://{domain}"
                bob = await signed_in_state(browser, base, "bob")
                pages = {"landing": ("/", None), "home": ("/home", bob),
                         "profile": ("/@alice", None), "post": (post_path, None),
                         "compose": ("/compose", bob)}
                print(f"database: {url.split('://')[0]}; dreamfeed serve on {base}; "
                      f"Chromium headless; median of {runs} runs")
                print(f"  {'':6s} {'KB sent':>9s} {'KB body':>9s} {'req':>9s} {'HTML ms':>7s} "
                      f"{'LCP ms':>7s} {'DCL ms':>7s} {'load ms':>7s}   LCP element")
                for name, (path, state) in pages.items() if runs else ():
                    for width, viewport in VIEWPORTS.items():
                        cold, warm, bare = [], [], []
                        for _ in range(runs):
                            options: dict[str, Any] = {"viewport": viewport,
                                                       "storage_state": state}
                            context = await browser.new_context(**options)
                            first, again = await measure(context, base + path)
                            await context.close()
                            context = await browser.new_context(**options)
                            bare.append(await html_alone(context, base, path))
                            await context.close()
                            cold.append(first)
                            warm.append(again)
                        print(f"{name} ({path}), {width}:")
                        for label, loads in (("cold", cold), ("warm", warm), ("HTML", bare)):
                            print(row(label, median(loads)), flush=True)
                if shots is not None:
                    pages |= {"search": ("/search?q=lighthouse", bob),
                              "notifications": ("/notifications", bob),
                              "settings": ("/settings/preferences", bob)}
                    await screenshots(browser, base, pages, shots)
                await browser.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="loads per figure (the median)")
    parser.add_argument("--database", help="sqlite (default) or a PostgreSQL URL")
    parser.add_argument("--screenshots", type=Path, metavar="DIR",
                        help="also save pictures of the pages here (light and dark)")
    args = parser.parse_args()
    if args.screenshots is not None:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    # SQLite's migrations reflect expression indexes SQLAlchemy cannot: noise, not news.
    warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
    asyncio.run(run(args.database, args.runs, args.screenshots))
