"""`GET /settings/export`: a signed-in user downloads their archive; visitors are sent to
sign in; a deleted account's session is gone with it."""

from __future__ import annotations

import io
import json
import zipfile

from server.services.accounts import account_deletion
from server.services.statuses import posts
from tests.federation.conftest import StartInstance
from tests.server.web_helpers import browser


async def test_signed_in_user_downloads_the_archive(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    media = await a.make_images(alice.account_id, "a paper boat")
    view = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=media, caption="Sail"))
    async with browser(a) as b:
        page = await b.get("/settings/export")
        assert page.status == 303 and "/auth/sign_in" in page.location
        assert (await b.sign_in("alice", "correct horse")).status == 303
        async with b.session.get(a.base + "/settings/export") as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/zip"
            disposition = response.headers["Content-Disposition"]
            assert disposition.startswith('attachment; filename="dreamfeed-alice-')
            data = await response.read()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            outbox = json.loads(archive.read("outbox.json"))
            [create] = outbox["orderedItems"]
            assert create["object"]["id"] == view.uri
            assert archive.read(create["object"]["attachment"][0]["url"])

        await account_deletion.delete_local_account(a.services, "alice")
        page = await b.get("/settings/export")
        assert page.status == 303 and "/auth/sign_in" in page.location
