"""Settings > Blocked domains over HTTP: a server blocked from the small form (typed any way),
listed, refused when it is this server, unblocked with a one-click Undo; and the Block domain
action of a remote profile's menu, which comes back to the profile."""

from __future__ import annotations

from server import appkeys
from storage.models import Account
from tests.federation.conftest import StartInstance
from tests.server.web_helpers import browser
from tests.web.conftest import PASSWORD

PAGE = "/settings/domain_blocks"


async def test_block_list_unblock_and_undo(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("alice")
    async with browser(a) as web:
        await web.sign_in("alice", PASSWORD)
        empty = await web.get(PAGE)
        assert empty.status == 200
        assert 'href="/settings/domain_blocks" aria-current="page"' in empty.text
        assert "You have blocked no domain." in empty.text

        added = await web.post(f"{PAGE}/block", {"domain": "https://Evil.TEST/@wolf"},
                               form_page=PAGE)
        assert (added.status, added.location) == (303, f"{PAGE}?blocked=evil.test")
        listed = await web.get(added.location)
        assert "You blocked evil.test." in listed.text
        assert 'name="domain" value="evil.test"' in listed.text
        assert "You have blocked no domain." not in listed.text

        own = await web.post(f"{PAGE}/block", {"domain": a.domain}, form_page=PAGE)
        assert own.status == 303 and "error=" in own.location
        refused = await web.get(own.location)
        assert "own domain: it cannot be blocked." in refused.text
        nonsense = await web.post(f"{PAGE}/block", {"domain": "not a domain"}, form_page=PAGE)
        assert "is not a domain name." in (await web.get(nonsense.location)).text

        lifted = await web.post(f"{PAGE}/unblock", {"domain": "evil.test"}, form_page=PAGE)
        assert (lifted.status, lifted.location) == (303, f"{PAGE}?undone=evil.test")
        undo_page = await web.get(lifted.location)
        assert "You unblocked evil.test." in undo_page.text
        assert 'name="undo" value="1"' in undo_page.text
        assert "You have blocked no domain." in undo_page.text
        again = await web.post(f"{PAGE}/block", {"domain": "evil.test", "undo": "1"},
                               form_page=PAGE)
        assert again.location == f"{PAGE}?redone=evil.test"
        redone = await web.get(again.location)
        assert "evil.test is blocked again." in redone.text
        assert 'name="domain" value="evil.test"' in redone.text

        # A form without the CSRF token is refused.
        forged = await web.post(f"{PAGE}/block", {"domain": "other.test"}, csrf=None)
        assert forged.status == 403
    async with browser(a) as visitor:
        assert (await visitor.get(PAGE)).status in (302, 303)


async def test_the_profile_menu_blocks_and_unblocks_the_domain(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("alice")
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        session.add(Account(username="wolf", domain="evil.test",
                            uri="https://evil.test/users/wolf", url="https://evil.test/@wolf",
                            inbox_url="https://evil.test/users/wolf/inbox"))
    profile = "/@wolf@evil.test"
    async with browser(a) as web:
        await web.sign_in("alice", PASSWORD)
        page = await web.get(profile)
        assert page.status == 200 and "Block domain evil.test" in page.text
        blocked = await web.post(f"{PAGE}/block", {"domain": "evil.test", "next": profile},
                                 form_page=profile)
        assert (blocked.status, blocked.location) == (303, profile)
        page = await web.get(profile)
        assert "Unblock domain evil.test" in page.text and "You block evil.test" in page.text
        assert "evil.test" in (await web.get(PAGE)).text
        lifted = await web.post(f"{PAGE}/unblock", {"domain": "evil.test", "next": profile},
                                form_page=profile)
        assert (lifted.status, lifted.location) == (303, profile)
        assert "Block domain evil.test" in (await web.get(profile)).text
        # A local profile offers no domain block.
        await a.add_user("bob")
        assert "Block domain" not in (await web.get("/@bob")).text
