"""A post's page over HTTP for someone who blocks a server, as Mastodon shows a post: the
server's replies leave the thread (its context filters with StatusFilter) and its remixes
the remix list (as Mastodon's quotes list), while "Liked by" and "Boosted by" still name its
accounts (Mastodon's favourited_by and reblogged_by leave out blocked and muted accounts
only). Others, and visitors, see it all."""

from __future__ import annotations

from typing import Any

from server import appkeys
from server.services.statuses import posts
from storage.ids import new_id
from storage.models import Account, Favourite, RemoteMedia, Status
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance
from tests.server.web_helpers import Page, browser
from tests.web.conftest import PASSWORD


async def _add(a: Instance, *rows: Any) -> None:
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        session.add_all(rows)


async def _remote(a: Instance, username: str, domain: str) -> Account:
    account = Account(username=username, domain=domain, uri=f"https://{domain}/users/{username}",
                      url=f"https://{domain}/@{username}",
                      inbox_url=f"https://{domain}/users/{username}/inbox")
    await _add(a, account)
    return account


async def _answers(a: Instance, remote: Account, mine: posts.StatusView,
                   alice_id: int) -> tuple[int, int]:
    """`remote` replies to, remixes, likes and boosts alice's post: (reply id, remix id)."""
    reply, remix, boost = new_id(), new_id(), new_id()
    base = f"https://{remote.domain}/users/{remote.username}/statuses"
    await _add(
        a,
        Status(id=reply, uri=f"{base}/{reply}", url=f"{base}/{reply}", account_id=remote.id,
               local=False, visibility="public", content=f"<p>{remote.username} answers</p>",
               in_reply_to_id=mine.id, in_reply_to_account_id=alice_id),
        Status(id=remix, uri=f"{base}/{remix}", url=f"{base}/{remix}", account_id=remote.id,
               local=False, visibility="public", content=f"<p>{remote.username} remixes</p>",
               remix_of_id=mine.id),
        Status(id=boost, uri=f"{base}/{boost}/activity", account_id=remote.id, local=False,
               visibility="public", content="", reblog_of_id=mine.id),
        Favourite(account_id=remote.id, status_id=mine.id))
    await _add(a, RemoteMedia(status_id=remix, position=0, media_type="image/png",
                              url=f"https://{remote.domain}/m/{remix}.png", description=""))
    return reply, remix


def _section(page: Page, css_class: str) -> str:
    return page.text.split(f'class="{css_class}"')[1].split("</section>")[0]


async def test_the_post_page_leaves_out_the_blocked_servers_replies_and_remixes(
        start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await a.add_user("bob")
    [image] = await a.make_images(alice.account_id, "a lantern by the lake")
    mine = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[image], caption="Lantern"))
    wolf, fox = await _remote(a, "wolf", "evil.test"), await _remote(a, "fox", "fine.test")
    wolf_reply, wolf_remix = await _answers(a, wolf, mine, alice.account_id)
    fox_reply, fox_remix = await _answers(a, fox, mine, alice.account_id)
    path = f"/@alice/{mine.id}"

    def shows(page: Page, account: Account, reply: int, remix: int) -> dict[str, bool]:
        profile = f"/@{account.username}@{account.domain}"
        return {"reply": f'href="{profile}/{reply}"' in _section(page, "thread thread-down"),
                "remix": f'href="{profile}/{remix}"' in _section(page, "remixes"),
                "liked": f'href="{profile}"' in page.text.split('class="liked-by"')[1]
                .split("</div>")[0],
                "boosted": f'href="{profile}"' in page.text.split('class="boosted-by"')[1]
                .split("</div>")[0]}

    everything = {"reply": True, "remix": True, "liked": True, "boosted": True}
    async with browser(a) as web:
        await web.sign_in("alice", PASSWORD)
        before = await web.get(path)
        assert before.status == 200
        assert shows(before, wolf, wolf_reply, wolf_remix) == everything
        blocked = await web.post("/settings/domain_blocks/block", {"domain": "evil.test"},
                                 form_page="/settings/domain_blocks")
        assert blocked.status == 303
        after = await web.get(path)
        assert shows(after, wolf, wolf_reply, wolf_remix) == {
            "reply": False, "remix": False, "liked": True, "boosted": True}
        assert shows(after, fox, fox_reply, fox_remix) == everything
        # wolf's reply itself still opens, with alice's post above it.
        opened = await web.get(f"/@wolf@evil.test/{wolf_reply}")
        assert opened.status == 200
        assert path in _section(opened, "thread thread-up")
    async with browser(a) as bob:
        await bob.sign_in("bob", PASSWORD)
        assert shows(await bob.get(path), wolf, wolf_reply, wolf_remix) == everything
    async with browser(a) as visitor:
        assert shows(await visitor.get(path), wolf, wolf_reply, wolf_remix) == everything
