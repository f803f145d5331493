"""The pin limit in the web app (issue 18): five pins at most, as Mastodon's
StatusPinValidator; the sixth is refused with Mastodon's words, as a page for the form and as
JSON for the script, and the profile still shows the five."""

from __future__ import annotations

import re

from server import appkeys
from server.services.statuses import pins
from server.services.statuses.pins import LIMIT, PIN_LIMIT
from storage.models import Status
from tests.federation.conftest import StartInstance
from tests.server.web_helpers import browser

PASSWORD = "correct horse"


async def test_a_sixth_pin_is_refused_with_a_clear_error(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        made = [Status(uri=f"{a.actor('alice')}/statuses/{n}", account_id=alice.account_id,
                       content=f"<p>kite {n}</p>", visibility="public") for n in range(6)]
        session.add_all(made)
    ids = [status.id for status in made]
    for status_id in ids[:PIN_LIMIT]:
        await pins.pin(a.services, "alice", status_id)

    async with browser(a) as page:
        assert (await page.sign_in("alice", PASSWORD)).status == 303
        csrf = await page.csrf(f"/@alice/{ids[5]}")
        refused = await page.post(f"/web/posts/{ids[5]}/pin", {"next": "/@alice"}, csrf=csrf)
        assert refused.status == 422 and LIMIT in refused.text
        async with page.session.post(f"{a.base}/web/posts/{ids[5]}/pin", headers={
                "Accept": "application/json", "X-CSRF-Token": csrf}) as response:
            assert response.status == 422
            assert await response.json() == {"ok": False, "error": LIMIT + "."}  # a sentence
        profile = await page.get("/@alice?tab=replies")
        assert len(re.findall(r'<p class="pinned-label">', profile.text)) == PIN_LIMIT
    # Unpinning one makes room again.
    await pins.unpin(a.services, "alice", ids[0])
    await pins.pin(a.services, "alice", ids[5])
    assert len(await pins.pinned_ids_of(a.services, alice.account_id)) == PIN_LIMIT
